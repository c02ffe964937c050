// Search fields with suggestions (issue 19): an <input data-suggest="/suggestions/ght/"> gets a
// <datalist> filled, as the user types, from the server's suggestions within what they see.
// Without JavaScript the field is a plain text search (a code or a name), filtered server-side.
(function () {
  "use strict";
  var DELAY = 200;

  function attach(input, index) {
    var list = document.createElement("datalist");
    list.id = "app-suggest-" + index;
    input.setAttribute("list", list.id);
    input.insertAdjacentElement("afterend", list);
    var timer = null;
    var asked = null;

    function fill(results) {
      list.replaceChildren();
      results.forEach(function (item) {
        var option = document.createElement("option");
        option.value = item.value;
        option.label = item.label;
        option.textContent = item.label;
        list.appendChild(option);
      });
    }

    function ask() {
      var query = input.value.trim();
      if (query === asked) {
        return;
      }
      asked = query;
      var url = input.dataset.suggest + "?q=" + encodeURIComponent(query);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (asked === query) {
            fill(data.results || []);
          }
        })
        .catch(function () {
          fill([]);
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY);
    });
    input.addEventListener("focus", ask, { once: true });
  }

  function init() {
    document.querySelectorAll("input[data-suggest]").forEach(attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
