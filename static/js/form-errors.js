// After a failed submit: the error summary lists every field in error with a
// link to it (the server lists the main form's; this adds those of formset rows
// and of forms the summary does not know), and the focus moves to it.
(function () {
  "use strict";
  var GROUPS = ".fr-input-group--error, .fr-select-group--error, .fr-fieldset--error, " +
    ".fr-checkbox-group--error, .fr-radio-group--error, .fr-upload-group--error";

  function labelOf(group, control) {
    var label = control.id ? document.querySelector('label[for="' + control.id + '"]') : null;
    var legend = group.querySelector("legend");
    var text = (label || legend || group).cloneNode(true);
    text.querySelectorAll(".fr-hint-text, .fr-message, .fr-error-text").forEach(function (n) { n.remove(); });
    return text.textContent.replace(/\s+/g, " ").trim();
  }

  function messageOf(group) {
    var message = group.querySelector(".fr-error-text, .errorlist li, .fr-message--error");
    return message ? message.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function summary() {
    var existing = document.getElementById("error-summary");
    if (existing) return existing;
    var main = document.getElementById("content");
    if (!main) return null;
    var box = document.createElement("div");
    box.className = "fr-alert fr-alert--error fr-mb-3w";
    box.id = "error-summary";
    box.tabIndex = -1;
    box.setAttribute("data-testid", "error-summary");
    var title = document.createElement("h2");
    title.className = "fr-alert__title";
    title.textContent = "Corrigez les erreurs suivantes";
    var list = document.createElement("ul");
    list.className = "fr-mt-1w";
    list.setAttribute("data-error-summary-list", "");
    box.appendChild(title);
    box.appendChild(list);
    var heading = main.querySelector("h1");
    if (heading && heading.nextSibling) heading.parentNode.insertBefore(box, heading.nextSibling);
    else main.insertBefore(box, main.firstChild);
    return box;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var groups = Array.prototype.slice.call(document.querySelectorAll("#content " + GROUPS));
    var box = document.getElementById("error-summary");
    if (!groups.length && !box) return;
    if (groups.length) {
      box = summary();
      if (!box) return;
      var list = box.querySelector("[data-error-summary-list]");
      groups.forEach(function (group) {
        var control = group.querySelector("input:not([type=hidden]), select, textarea");
        if (!control || !control.id) return;
        if (list.querySelector('[data-error-for="' + control.id + '"]')) return;
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = "#" + control.id;
        link.setAttribute("data-error-for", control.id);
        var message = messageOf(group);
        link.textContent = labelOf(group, control) + (message ? " : " + message : "");
        item.appendChild(link);
        list.appendChild(item);
      });
      if (!list.children.length) return;
    }
    box.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-error-for]");
      if (!link) return;
      var target = document.getElementById(link.getAttribute("data-error-for"));
      if (target) {
        event.preventDefault();
        target.focus();
        target.scrollIntoView({ block: "center" });
      }
    });
    box.focus();
    box.scrollIntoView({ block: "start" });
  });
})();
