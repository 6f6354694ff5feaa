/* Application wizard and follow-up: after a submission with errors, move the focus to the error
   summary so keyboard and screen-reader users land on the list of what to correct. Without
   JavaScript the summary is still the first thing of the form, with links to each field.
   After « Ajouter un tuteur » or « Ajouter un poste » the page opens on the new block's first field
   (named by the address's fragment): it gets the focus, so that typing goes there at once. */
(function () {
  "use strict";
  var summary = document.getElementById("resume-erreurs");
  var target = window.location.hash && document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
  if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) {
    target.focus();
  } else if (summary && !window.location.hash) {
    summary.focus();
  }
})();
