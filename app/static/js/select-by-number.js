/* Département lists can be typed by number: « 33 » lands on « 33 – Gironde », « 2A » on Corse-du-Sud,
   « 974 » on La Réunion. A browser's own type-ahead cycles through the options starting with the letter
   typed again (« 3 », « 3 » gives 31), so for these lists the keys typed within a second are read as one
   code. Any select whose options are « code – name » gets this; without JavaScript the list still works. */
(function () {
  "use strict";
  var CODE_LABEL = /^(\d[\dAB]{1,2}) – /;

  function codeOf(option) {
    var match = CODE_LABEL.exec(option.text);
    return match ? match[1] : null;
  }

  function isDepartementList(select) {
    var coded = 0;
    for (var i = 0; i < select.options.length; i++) {
      if (codeOf(select.options[i])) { coded++; }
    }
    return coded >= 10 && coded >= select.options.length - 1;
  }

  function enhance(select) {
    var typed = "";
    var timer = null;
    select.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.key.length !== 1) { return; }
      var key = event.key.toUpperCase();
      if (!/[0-9AB]/.test(key)) { return; }
      event.preventDefault();
      typed += key;
      clearTimeout(timer);
      timer = setTimeout(function () { typed = ""; }, 1000);
      for (var i = 0; i < select.options.length; i++) {
        var code = codeOf(select.options[i]);
        if (code && code.indexOf(typed) === 0) {
          if (select.selectedIndex !== i) {
            select.selectedIndex = i;
            select.dispatchEvent(new Event("change", { bubbles: true }));
          }
          return;
        }
      }
    });
  }

  var selects = document.querySelectorAll("select:not([multiple])");
  for (var i = 0; i < selects.length; i++) {
    if (isDepartementList(selects[i])) { enhance(selects[i]); }
  }
})();
