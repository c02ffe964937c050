// The commitment page: add or remove partner and indicator rows without
// reloading (Django formsets), pre-fill an indicator from the library, and
// show the fields that apply to the kind, the value type and the calculation chosen.
(function () {
  "use strict";
  var templates = JSON.parse(document.getElementById("indicator-templates").textContent);

  function syncIndicatorRow(row) {
    var kind = row.querySelector("select[name$='-kind']");
    var type = row.querySelector("select[name$='-value_type']");
    var computation = row.querySelector("select[name$='-computation']");
    row.querySelectorAll("[data-show-when-kind]").forEach(function (el) {
      el.hidden = kind && kind.value !== el.getAttribute("data-show-when-kind");
    });
    // Only the parameters of the chosen calculation (the server ignores the others).
    row.querySelectorAll("[data-show-when-computation]").forEach(function (el) {
      el.hidden = computation && computation.value !== el.getAttribute("data-show-when-computation");
    });
    row.querySelectorAll("[data-show-when-type]").forEach(function (el) {
      el.hidden = type && type.value !== el.getAttribute("data-show-when-type");
    });
  }

  function prefill(row, templateId) {
    var data = templates[templateId];
    if (!data) return;
    Object.keys(data).forEach(function (field) {
      var input = row.querySelector("[name$='-" + field + "']");
      if (input) input.value = data[field];
    });
    syncIndicatorRow(row);
  }

  function wireRow(row) {
    var remove = row.querySelector("[data-formset-remove]");
    if (remove) {
      remove.addEventListener("click", function () {
        // A new row is emptied and hidden: an unchanged extra form is ignored.
        row.querySelectorAll("input, select, textarea").forEach(function (el) {
          if (el.type !== "hidden") el.value = "";
        });
        row.hidden = true;
      });
    }
    if (row.hasAttribute("data-indicator-row")) {
      var template = row.querySelector("[data-indicator-template]");
      if (template) template.addEventListener("change", function () { prefill(row, template.value); });
      row.querySelectorAll("select[name$='-kind'], select[name$='-value_type'], select[name$='-computation']").forEach(function (el) {
        el.addEventListener("change", function () { syncIndicatorRow(row); });
      });
      syncIndicatorRow(row);
    }
  }

  document.querySelectorAll("[data-formset]").forEach(function (fieldset) {
    var prefix = fieldset.getAttribute("data-formset");
    var total = fieldset.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var rows = fieldset.querySelector("[data-formset-rows]");
    var empty = fieldset.querySelector("template[data-formset-empty]");
    rows.querySelectorAll("[data-formset-row]").forEach(wireRow);
    fieldset.querySelector("[data-formset-add]").addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = empty.innerHTML.replace(/__prefix__/g, String(index));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = String(index + 1);
      wireRow(row);
      var first = row.querySelector("select, input:not([type=hidden]), textarea");
      if (first) first.focus();
    });
  });
})();
