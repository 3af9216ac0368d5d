// Variant picker: show the chosen size's price and stock at once. Progressive enhancement:
// without this script the picker is a plain form whose button reloads the page for the size.
(function () {
  "use strict";
  var forms = document.querySelectorAll("[data-variant-picker]");
  Array.prototype.forEach.call(forms, function (form) {
    var price = document.getElementById("chosen-price");
    var stock = document.getElementById("chosen-stock");
    var button = form.querySelector("[data-picker-submit]");
    if (!price || !stock) return;
    if (button) button.hidden = true;
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (!input || input.name !== "variant") return;
      price.textContent = input.getAttribute("data-price");
      stock.textContent = input.getAttribute("data-stock");
      var state = input.getAttribute("data-state");
      stock.className = "stock " + (state === "out" ? "stock-out" : state === "low" ? "stock-low" : "stock-ok");
      if (window.history && window.history.replaceState) {
        var url = new URL(window.location.href);
        url.searchParams.set("variant", input.value);
        window.history.replaceState(null, "", url.toString());
      }
    });
  });
})();
