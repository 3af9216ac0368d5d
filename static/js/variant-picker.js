// Size picker: the chips are the add-to-cart form's variant field; picking one shows that
// size's price and stock at once and keeps the choice in the address (for sharing and reloads).
// Without this script the chips still choose what is added, and each chip shows its price.
(function () {
  "use strict";
  var pickers = document.querySelectorAll("[data-variant-picker]");
  Array.prototype.forEach.call(pickers, function (picker) {
    var price = document.getElementById("chosen-price");
    var stock = document.getElementById("chosen-stock");
    if (!price || !stock) return;
    picker.addEventListener("change", function (event) {
      var input = event.target;
      if (!input || input.name !== "variant_id") return;
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
