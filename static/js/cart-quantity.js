// Cart quantities save as they change. A change (typed, or tapped with − / +) sends the line's
// own form a moment later, and the cart part of the page is replaced by the server's answer: the
// same form post and redirect as the Update button, read with fetch. Lines, totals and the
// header's count then come from the server. Without JavaScript the Update button does it all.
(function () {
  "use strict";
  var DELAY = 600;
  var queue = [];     // {id, action, body} waiting to be sent, in the order they were made
  var sending = false;
  var timers = {};

  function cartPage() { return document.querySelector(".cart-page"); }

  // A live region that already exists when the message changes is announced by screen readers.
  function flashArea() {
    var area = document.querySelector(".flashes");
    if (!area) {
      area = document.createElement("div");
      area.className = "wrap flashes";
      area.setAttribute("role", "status");
      document.getElementById("main").before(area);
    }
    return area;
  }

  function enhance(root) {
    root.querySelectorAll("form.cart-quantity").forEach(function (form) {
      var input = form.querySelector('input[name="quantity"]');
      if (!input || form.classList.contains("cart-quantity-live")) { return; }
      form.classList.add("cart-quantity-live");
      form.dataset.sent = input.value;
      var fewer = stepButton("−", form.dataset.fewerLabel, -1, input);
      var more = stepButton("+", form.dataset.moreLabel, 1, input);
      input.before(fewer);
      input.after(more);
      syncSteps(input);
      input.addEventListener("input", function () {
        syncSteps(input);
        if (input.value.trim() !== "") { later(form); }
      });
      input.addEventListener("change", function () { now(form); });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        now(form);
      });
    });
  }

  function stepButton(text, label, step, input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary cart-step";
    button.textContent = text;
    button.setAttribute("aria-label", label || text);
    button.dataset.step = String(step);
    button.addEventListener("click", function () {
      var value = parseInt(input.value, 10);
      if (isNaN(value)) { value = 1; }
      var most = parseInt(input.max, 10) || 999;
      input.value = String(Math.min(most, Math.max(1, value + step)));
      syncSteps(input);
      later(input.form);
    });
    return button;
  }

  // − stops at one (the Remove button takes a line out); + stops at the most a line may hold.
  function syncSteps(input) {
    var value = parseInt(input.value, 10);
    var most = parseInt(input.max, 10) || 999;
    input.form.querySelectorAll(".cart-step").forEach(function (button) {
      button.disabled = button.dataset.step === "-1" ? !(value > 1) : !(value < most);
    });
  }

  function later(form) {
    var id = form.querySelector('input[name="quantity"]').id;
    clearTimeout(timers[id]);
    // Looked up when it fires: the line's form may have been redrawn meanwhile.
    timers[id] = setTimeout(function () {
      var input = document.getElementById(id);
      if (input && input.form) { now(input.form); }
    }, DELAY);
  }

  function now(form) {
    var input = form.querySelector('input[name="quantity"]');
    clearTimeout(timers[input.id]);
    if (input.value === form.dataset.sent) { return; }
    form.dataset.sent = input.value;
    queue = queue.filter(function (item) { return item.id !== input.id; });
    queue.push({ id: input.id, action: form.action, body: new FormData(form) });
    sendNext();
  }

  function sendNext() {
    if (sending || !queue.length) { return; }
    sending = true;
    var item = queue.shift();
    var page = cartPage();
    if (page) { page.setAttribute("aria-busy", "true"); }
    fetch(item.action, { method: "POST", body: item.body, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("cart update " + response.status); }
        return response.text();
      })
      .then(function (html) {
        show(new DOMParser().parseFromString(html, "text/html"), item.id);
        sending = false;
        sendNext();
      })
      .catch(function () {
        // Let the browser send it the ordinary way and show whatever the server says.
        var input = document.getElementById(item.id);
        if (input && input.form) { input.form.submit(); } else { window.location.reload(); }
      });
  }

  function show(fresh, focusId) {
    var freshPage = fresh.querySelector(".cart-page");
    var page = cartPage();
    if (!freshPage || !page) { window.location.reload(); return; }
    var hadFocus = document.activeElement && document.activeElement.id;
    // What the buyer typed meanwhile in other lines is kept, and sent next.
    var typed = {};
    page.querySelectorAll('input[name="quantity"]').forEach(function (input) {
      if (input.form.dataset.sent !== input.value || queue.some(function (q) { return q.id === input.id; })) {
        typed[input.id] = input.value;
      }
    });
    page.replaceWith(freshPage);
    enhance(freshPage);
    Object.keys(typed).forEach(function (id) {
      var input = document.getElementById(id);
      if (input) { input.value = typed[id]; syncSteps(input); }
    });
    var freshFlashes = fresh.querySelector(".flashes");
    flashArea().innerHTML = freshFlashes ? freshFlashes.innerHTML : "";
    var count = fresh.querySelector(".cart-count");
    var mine = document.querySelector(".cart-count");
    if (count && mine) { mine.textContent = count.textContent; }
    var target = document.getElementById(hadFocus || focusId);
    if (target && freshPage.contains(target)) {
      target.focus();
    } else if (hadFocus) {
      document.getElementById("main").focus();
    }
  }

  var page = cartPage();
  if (page) {
    flashArea();
    enhance(page);
  }
})();
