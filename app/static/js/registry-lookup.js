/* Lookup in the Annuaire des entreprises as soon as an identifier is typed (on change, i.e. when the
   field is left, on Enter, or with the « Rechercher » button), without reloading the page.

   The zone marked data-registry-lookup names the identifier input (data-input), the button
   (data-button) and the JSON address (data-url). The server's answer gives the notice to show (the
   same HTML as without JavaScript) and the fields to fill ({name: value or [values]}); the zone is an
   aria-live region, so screen readers hear the notice. Without JavaScript the button submits the form
   to the page that does the same lookup. */
(function () {
  "use strict";
  var zone = document.querySelector("[data-registry-lookup]");
  if (!zone || !window.fetch) { return; }
  var input = document.getElementById(zone.getAttribute("data-input"));
  var button = document.getElementById(zone.getAttribute("data-button"));
  if (!input || !input.form) { return; }
  var form = input.form;
  var searched = zone.getAttribute("data-searched") || "";
  // Optional hidden input told which number was searched (the wizard then saves on « Continuer »
  // instead of searching again).
  var searchedInput = zone.getAttribute("data-searched-input") ?
    form.querySelector('[name="' + zone.getAttribute("data-searched-input") + '"]') : null;
  var pending = 0;

  function compact(value) { return (value || "").replace(/[\s.\-\u00a0\u202f]/g, "").toUpperCase(); }

  function changed(element) { element.dispatchEvent(new Event("change", { bubbles: true })); }

  function fill(fields) {
    Object.keys(fields).forEach(function (name) {
      var values = [].concat(fields[name]);
      form.querySelectorAll('[name="' + name + '"]').forEach(function (element) {
        if (element.type === "radio") {
          var checked = values.indexOf(element.value) !== -1;
          if (element.checked !== checked) { element.checked = checked; if (checked) { changed(element); } }
        } else if (element.type === "checkbox") {
          if (values.indexOf(element.value) !== -1 && !element.checked) { element.checked = true; changed(element); }
        } else if (element.type !== "hidden" && element.value !== values[0]) {
          element.value = values[0];
          changed(element);
        }
      });
    });
  }

  function message(text) {
    var paragraph = document.createElement("p");
    paragraph.className = "fr-info-text";
    paragraph.textContent = text;
    zone.replaceChildren(paragraph);
  }

  function lookUp(again) {
    var value = compact(input.value);
    if (!value || (value === searched && !again)) { return; }
    searched = value;
    if (searchedInput) { searchedInput.value = value; }
    var ticket = ++pending;
    message(zone.getAttribute("data-searching"));
    fetch(zone.getAttribute("data-url") + "?identifiant=" + encodeURIComponent(input.value), {
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (answer) {
      if (ticket !== pending) { return; }  // a later lookup was asked meanwhile
      zone.innerHTML = answer.html;
      if (answer.fields) { fill(answer.fields); }
    }).catch(function () {
      if (ticket !== pending) { return; }
      searched = "";
      message(zone.getAttribute("data-unavailable"));
    });
  }

  input.addEventListener("change", function () { lookUp(false); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); lookUp(false); }
  });
  if (button) {
    button.addEventListener("click", function (event) { event.preventDefault(); lookUp(true); });
  }
})();
