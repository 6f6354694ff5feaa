/* A message that answers what the person just did (e.g. « déjà inscrit ») takes the focus when the page
   opens, so that it is read out and in view rather than far above the form: mark it data-focus-on-load
   (and tabindex="-1"). The HTML autofocus attribute is not relied on: browsers skip it on a page opened
   after another one had the focus. */
(function () {
  "use strict";
  var target = document.querySelector("[data-focus-on-load]");
  if (target) { target.focus(); }
})();
