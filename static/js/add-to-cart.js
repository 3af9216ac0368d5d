// Add to cart and buy now. Product pages are cached for every visitor, so the form arrives
// without a CSRF token: fetch this visitor's token just before sending, with a one-time form
// token (the server adds once per form token, however often a tap sends it). Without
// JavaScript the cart asks the visitor to confirm instead.
(function () {
  "use strict";
  document.querySelectorAll("form[data-add-to-cart]").forEach(function (form) {
    var sending = false;
    form.addEventListener("submit", function (event) {
      var tokenField = form.querySelector('input[name="csrf_token"]');
      var onceField = form.querySelector('input[name="form_token"]');
      if (sending || tokenField.value) { return; }
      event.preventDefault();
      sending = true;
      // form.submit() sends no button: carry 立即购买's name and value ourselves.
      var button = event.submitter;
      if (button && button.name) {
        var carried = document.createElement("input");
        carried.type = "hidden";
        carried.name = button.name;
        carried.value = button.value;
        form.appendChild(carried);
      }
      fetch(form.dataset.tokenUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : {}; })
        .then(function (body) {
          tokenField.value = body.csrf_token || "";
          if (onceField) { onceField.value = body.form_token || ""; }
        })
        .catch(function () { /* the confirmation page takes over */ })
        .then(function () { form.submit(); });
    });
  });
})();
