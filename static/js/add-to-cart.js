// Add to cart. Product pages are cached for every visitor, so the form arrives without
// a CSRF token: fetch this visitor's token just before sending. Without JavaScript the cart asks
// the visitor to confirm instead. With script, the page's size picker also chooses the size to add.
(function () {
  "use strict";
  document.querySelectorAll("form[data-add-to-cart]").forEach(function (form) {
    var sending = false;
    form.addEventListener("submit", function (event) {
      var tokenField = form.querySelector('input[name="csrf_token"]');
      if (sending || tokenField.value) { return; }
      event.preventDefault();
      sending = true;
      fetch(form.dataset.tokenUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : {}; })
        .then(function (body) { tokenField.value = body.csrf_token || ""; })
        .catch(function () { /* the confirmation page takes over */ })
        .then(function () { form.submit(); });
    });
    var select = form.querySelector('select[name="variant_id"]');
    var radios = document.querySelectorAll('input[type="radio"][name="variant"]');
    // The page's own size picker chooses the size; the list is only for pages without script.
    if (radios.length && select && select.closest(".field")) { select.closest(".field").hidden = true; }
    var button = form.querySelector('button[type="submit"]');
    function follow(radio) {
      var option = select && select.querySelector('option[value="' + radio.value + '"]');
      var buyable = Boolean(option && !option.disabled);
      if (buyable) { select.value = radio.value; }
      // A sold-out size cannot be added: never add another size than the one shown.
      button.disabled = !buyable;
    }
    radios.forEach(function (radio) {
      if (radio.checked) { follow(radio); }
      radio.addEventListener("change", function () { follow(radio); });
    });
  });
})();
