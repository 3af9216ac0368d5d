/* The listing forms: a warning before leaving with unsaved changes, and arrows to reorder photos.
   Progressive: without this script the forms post as usual and photo order is set by number.

   Forms opt in with data-unsaved-guard; the attribute data-unsaved marks changes not yet saved
   (the server sets it too when it sends a form back with messages). Listeners sit on the
   document, so they keep working after upload.js swaps the page body for the server's answer. */
(function () {
  "use strict";

  function guardOf(element) {
    return element && element.closest ? element.closest("form[data-unsaved-guard]") : null;
  }

  function markUnsaved(form) {
    form.setAttribute("data-unsaved", "");
    var state = form.querySelector(".save-state");
    if (state) { state.textContent = state.getAttribute("data-unsaved-text") || ""; }
  }

  // Number the places 1, 2, 3... in the order shown; offer only the moves that are possible.
  function renumber(list) {
    Array.prototype.forEach.call(list.children, function (item, index) {
      var place = item.querySelector('input[name^="photo_place-"]');
      if (place) { place.value = index + 1; }
      var earlier = item.querySelector('[data-move="-1"]');
      var later = item.querySelector('[data-move="1"]');
      if (earlier) { earlier.hidden = index === 0; }
      if (later) { later.hidden = index === list.children.length - 1; }
    });
  }

  function showArrows() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-photo-order]"), renumber);
  }

  document.addEventListener("input", function (event) {
    var form = guardOf(event.target);
    if (form) { markUnsaved(form); }
  });

  document.addEventListener("change", function (event) {
    var form = guardOf(event.target);
    if (form) { markUnsaved(form); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-move]") : null;
    if (!button) { return; }
    var item = button.closest("li");
    var list = item && item.parentElement;
    if (!list) { return; }
    if (button.getAttribute("data-move") === "-1" && item.previousElementSibling) {
      list.insertBefore(item, item.previousElementSibling);
    } else if (button.getAttribute("data-move") === "1" && item.nextElementSibling) {
      list.insertBefore(item.nextElementSibling, item);
    }
    renumber(list);
    if (!button.hidden) { button.focus(); }
    var form = guardOf(list);
    if (form) { markUnsaved(form); }
  });

  // Sending the form is not leaving it: the answer is either the saved page or the same form back.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-unsaved-guard")) { form.removeAttribute("data-unsaved"); }
  }, true);

  // upload.js could not deliver the form (connection, server error page): it is still unsaved.
  document.addEventListener("upload-failed", function (event) {
    var form = guardOf(event.target);
    if (form) { markUnsaved(form); }
  });

  window.addEventListener("beforeunload", function (event) {
    if (document.querySelector("form[data-unsaved-guard][data-unsaved]")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // The page body is swapped after an upload; show the arrows of the new one too.
  new MutationObserver(showArrows).observe(document.documentElement, { childList: true });
  showArrows();
}());
