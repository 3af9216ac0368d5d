// Limited-time discounts: count down to the end time the page prints, every second. Progressive
// enhancement: without this script the page shows the end time itself ("Ends at 20:00"). The
// server never charges a discount price outside its window, whatever this clock says.
(function () {
  "use strict";
  var clocks = Array.prototype.slice.call(document.querySelectorAll("[data-countdown]"));
  var offers = Array.prototype.slice.call(document.querySelectorAll("[data-discount-for]"));

  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function ended(clock) {
    clock.textContent = clock.getAttribute("data-ended-text") + " ";
    var reload = document.createElement("a");
    reload.href = window.location.href;
    reload.textContent = clock.getAttribute("data-reload-text");
    clock.appendChild(reload);
    var offer = clock.closest("[data-discount-for]");
    if (offer) offer.classList.add("discount-ended");
  }

  var running = clocks.map(function (clock) {
    var time = clock.querySelector("time[datetime]");
    return { clock: clock, end: time ? Date.parse(time.getAttribute("datetime")) : NaN };
  }).filter(function (entry) {
    return !isNaN(entry.end);
  });

  function tick() {
    var now = Date.now();
    running = running.filter(function (entry) {
      var left = Math.floor((entry.end - now) / 1000);
      if (left <= 0) {
        ended(entry.clock);
        return false;
      }
      var hours = Math.floor(left / 3600);
      var text = pad(hours) + ":" + pad(Math.floor((left % 3600) / 60)) + ":" + pad(left % 60);
      entry.clock.textContent = entry.clock.getAttribute("data-left-text").replace("{time}", text);
      return true;
    });
    if (running.length) window.setTimeout(tick, 1000 - (Date.now() % 1000));
  }

  // Picking another size shows that size's discount (the variant picker changes the price).
  Array.prototype.forEach.call(document.querySelectorAll("[data-variant-picker]"), function (form) {
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (!input || (input.name !== "variant" && input.name !== "variant_id")) return;
      offers.forEach(function (offer) {
        offer.hidden = offer.getAttribute("data-discount-for") !== input.value;
      });
    });
  });

  if (running.length) tick();
})();
