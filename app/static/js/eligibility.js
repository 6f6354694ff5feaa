/* Eligibility questionnaire: show the ESS questions only for the structure types they concern.
   Without JavaScript every question stays visible and the server ignores the ESS answers of the
   other types. A hidden group is also disabled so its answers do not travel in the result URL. */
(function () {
  "use strict";
  var form = document.getElementById("questionnaire-eligibilite");
  var group = document.getElementById("questions-ess");
  if (!form || !group) { return; }
  var essTypes = (group.getAttribute("data-ess-types") || "").split(" ");

  function selectedType() {
    var checked = form.querySelector('input[name="structure_type"]:checked');
    return checked ? checked.value : "";
  }

  function update() {
    var concerned = essTypes.indexOf(selectedType()) !== -1;
    group.hidden = !concerned;
    group.disabled = !concerned;
  }

  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "structure_type") { update(); }
  });
  update();
})();
