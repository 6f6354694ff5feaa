/* Application wizard and follow-up: after a submission with errors, move the focus to the error
   summary so keyboard and screen-reader users land on the list of what to correct. Without
   JavaScript the summary is still the first thing of the form, with links to each field. */
(function () {
  "use strict";
  var summary = document.getElementById("resume-erreurs");
  if (summary && !window.location.hash) {
    summary.focus();
  }
})();
