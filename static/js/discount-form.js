// The discount form: show only the amount field of the chosen kind, and next to each variant the
// price buyers would pay, as the seller types. Progressive enhancement: without this script every
// field shows and the message after scheduling lists the resulting prices. The server works the
// price out again (products.services.discount_price_fen); this is the same integer arithmetic.
(function () {
  "use strict";
  var form = document.querySelector("[data-discount-form]");
  if (!form) return;
  var unit = form.getAttribute("data-unit");
  var amountInput = form.querySelector(unit === "zhe" ? "#zhe" : "#percent_off");
  var fixedInput = form.querySelector("#fixed_price");
  var results = Array.prototype.slice.call(form.querySelectorAll(".discount-result"));

  function kind() {
    var checked = form.querySelector("input[name=kind]:checked");
    return checked ? checked.value : "percent";
  }

  // The percentage off typed, or null: "8" or "8.5" (折, one decimal) or 1 to 99 (% off).
  function percentOff() {
    var text = (amountInput && amountInput.value || "").trim().replace(/折$/, "").trim();
    if (unit === "zhe") {
      var zhe = /^([1-9])(?:\.([0-9]))?$/.exec(text);
      return zhe ? 100 - (Number(zhe[1]) * 10 + Number(zhe[2] || 0)) : null;
    }
    if (!/^[0-9]{1,2}$/.test(text)) return null;
    var percent = Number(text);
    return percent >= 1 && percent <= 99 ? percent : null;
  }

  // Yuan typed ("29.9") as whole fen, or null.
  function fixedFen() {
    var match = /^([0-9]{1,8})(?:\.([0-9]{1,2}))?$/.exec((fixedInput && fixedInput.value || "").trim());
    if (!match) return null;
    return Number(match[1]) * 100 + Number(((match[2] || "") + "00").slice(0, 2));
  }

  function money(fen) {
    return "¥" + Math.floor(fen / 100) + "." + ("0" + (fen % 100)).slice(-2);
  }

  function update() {
    var chosen = kind();
    Array.prototype.forEach.call(form.querySelectorAll("[data-discount-kind]"), function (box) {
      box.hidden = box.getAttribute("data-discount-kind") !== chosen;
    });
    var percent = chosen === "percent" ? percentOff() : null;
    var fixed = chosen === "fixed_price" ? fixedFen() : null;
    results.forEach(function (result) {
      var regular = Number(result.getAttribute("data-price-fen"));
      var price = null;
      if (percent !== null) price = Math.max(1, Math.floor((regular * (100 - percent) + 50) / 100));
      else if (fixed !== null && fixed > 0 && fixed < regular) price = fixed;
      result.textContent = price === null ? "" : "→ " + money(price);
    });
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
