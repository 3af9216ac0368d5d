// Disclosures that behave like menus: the header's menu and its lists, the seller centre, the
// search filter sheet. Each is a <details data-dismissible>, which opens and closes without
// JavaScript; this adds what people expect of a menu: Escape and a tap elsewhere close it (focus
// goes back to its button), opening one list closes its sibling, and a Close button appears.
(function () {
  "use strict";
  var SELECTOR = "details[data-dismissible]";

  function close(details, restoreFocus) {
    if (!details.open) { return; }
    details.open = false;
    if (restoreFocus) {
      var summary = details.querySelector("summary");
      if (summary) { summary.focus(); }
    }
  }

  function start() {
    document.querySelectorAll(SELECTOR + " [data-close]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        close(button.closest(SELECTOR), true);
      });
    });

    // One list of a group open at a time (the header's 分类 and 地区).
    document.querySelectorAll(SELECTOR).forEach(function (details) {
      details.addEventListener("toggle", function () {
        if (!details.open || !details.parentElement) { return; }
        Array.prototype.forEach.call(details.parentElement.children, function (sibling) {
          if (sibling !== details && sibling.matches(SELECTOR)) { close(sibling, false); }
        });
      });
    });

    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      // The innermost open one that holds the focus, else the last one opened on the page.
      var inside = document.activeElement && document.activeElement.closest(SELECTOR + "[open]");
      var open = document.querySelectorAll(SELECTOR + "[open]");
      var target = inside || open[open.length - 1];
      if (target) {
        close(target, true);
        event.preventDefault();
      }
    });

    document.addEventListener("click", function (event) {
      document.querySelectorAll(SELECTOR + "[open]").forEach(function (details) {
        if (!details.contains(event.target)) { close(details, false); }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
