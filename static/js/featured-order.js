// Organizer's featured board: drag a featured card (by the whole card or its handle) to a new
// place; the position fields are renumbered and the region's form is saved. Pointer events, so
// a mouse, a pen and a finger all work. Without this script the ↑ and ↓ buttons do the same.
(function () {
  "use strict";
  document.querySelectorAll(".featured-board").forEach(function (board) {
    var dragged = null;

    function renumber() {
      board.querySelectorAll(".board-card").forEach(function (card, index) {
        card.querySelector('input[name="featured"]').checked = true;
        card.querySelector('input[type="number"]').value = String(index + 1);
      });
    }

    board.addEventListener("pointerdown", function (event) {
      var card = event.target.closest(".board-card");
      if (!card || event.button !== 0) return;
      if (event.target.closest("a, button, input, label")) return;
      // A finger drags by the handle only, so that touching a card still scrolls the page.
      if (event.pointerType !== "mouse" && !event.target.closest(".board-handle")) return;
      dragged = card;
      card.classList.add("dragging");
      board.setPointerCapture(event.pointerId);
      event.preventDefault();
    });

    board.addEventListener("pointermove", function (event) {
      if (!dragged) return;
      var cards = Array.prototype.slice.call(board.querySelectorAll(".board-card"));
      var over = cards.find(function (card) {
        var box = card.getBoundingClientRect();
        return card !== dragged && event.clientY >= box.top && event.clientY <= box.bottom;
      });
      if (!over) return;
      var box = over.getBoundingClientRect();
      board.insertBefore(dragged, event.clientY < box.top + box.height / 2 ? over : over.nextSibling);
    });

    function drop(event) {
      if (!dragged) return;
      var card = dragged;
      dragged = null;
      card.classList.remove("dragging");
      if (board.hasPointerCapture(event.pointerId)) board.releasePointerCapture(event.pointerId);
      var before = board.getAttribute("data-order");
      var after = Array.prototype.map.call(board.querySelectorAll(".board-card"), function (c) {
        return c.getAttribute("data-product");
      }).join(",");
      if (before === after) return;
      renumber();
      board.closest("form").submit();
    }

    board.setAttribute("data-order", Array.prototype.map.call(
      board.querySelectorAll(".board-card"), function (c) { return c.getAttribute("data-product"); }
    ).join(","));
    board.addEventListener("pointerup", drop);
    board.addEventListener("pointercancel", drop);
  });
})();
