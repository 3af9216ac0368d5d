// Checkout: show only the address fields for where the parcel goes. Without JavaScript
// every field shows and the server ignores the ones that do not apply.
(function () {
  "use strict";
  var form = document.querySelector("form[data-checkout-form]");
  if (!form) { return; }
  var radios = form.querySelectorAll('input[name="destination"]');
  function update() {
    var chosen = form.querySelector('input[name="destination"]:checked');
    var value = chosen ? chosen.value : "cn";
    form.querySelectorAll("[data-destination]").forEach(function (part) {
      part.hidden = part.dataset.destination !== value;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();
