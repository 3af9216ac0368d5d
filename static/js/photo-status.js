/* Photos still being processed on the listing page: ask the photo-status address now and then
   and show each photo's thumbnail once its renditions are made (or the failure and its delete
   button). Progressive: without this script the page says "Processing…" and offers a reload.

   The list opts in with data-photo-status (the address); each photo is [data-photo-id]. It starts
   again after upload.js swaps the page body for the server's answer. */
(function () {
  "use strict";

  var FIRST_DELAY = 1500;
  var LONGEST_DELAY = 10000;
  var MOST_ERRORS = 5;
  var running = null;

  function showReady(item, photo) {
    var pending = item.querySelector(".photo-pending");
    if (!pending || !photo.thumbnail) { return; }
    var image = document.createElement("img");
    image.src = photo.thumbnail;
    image.alt = pending.getAttribute("data-alt") || "";
    image.width = 160;
    image.height = 160;
    pending.replaceWith(image);
    item.setAttribute("data-state", "ready");
  }

  function showFailed(item) {
    var processing = item.querySelector(".photo-processing");
    var failed = item.querySelector(".photo-failed");
    if (processing) { processing.hidden = true; }
    if (failed) { failed.hidden = false; }
    item.setAttribute("data-state", "failed");
  }

  function follow(list) {
    var address = list.getAttribute("data-photo-status");
    var delay = FIRST_DELAY;
    var errors = 0;
    var token = {};
    running = token;
    Array.prototype.forEach.call(list.querySelectorAll("[data-reload]"), function (link) {
      link.hidden = true;
    });

    function again() {
      delay = Math.min(LONGEST_DELAY, Math.round(delay * 1.5));
      window.setTimeout(check, delay);
    }

    function check() {
      if (running !== token || !document.body.contains(list)) { return; }
      window.fetch(address, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (answer) {
          errors = 0;
          answer.photos.forEach(function (photo) {
            var item = list.querySelector('[data-photo-id="' + photo.id + '"]');
            if (!item || item.getAttribute("data-state") === photo.state) { return; }
            if (photo.state === "ready") { showReady(item, photo); }
            if (photo.state === "failed") { showFailed(item); }
          });
          if (answer.processing > 0) { again(); }
        })
        .catch(function () {
          errors += 1;
          if (errors < MOST_ERRORS) {
            again();
            return;
          }
          // Give the seller the plain way back.
          Array.prototype.forEach.call(list.querySelectorAll("[data-reload]"), function (link) {
            link.hidden = false;
          });
        });
    }

    window.setTimeout(check, delay);
  }

  function start() {
    var list = document.querySelector("[data-photo-status]");
    if (list && window.fetch) { follow(list); }
  }

  start();
  document.addEventListener("page-replaced", start);
}());
