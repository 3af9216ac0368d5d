// A conversation reads like a chat: it opens at the newest message, and a quick reply is one
// tap away. Without JavaScript the page still works: the picker inserts through the server.
(function () {
  "use strict";
  var latest = document.querySelector(".chat-list [data-latest]");
  var hasError = document.querySelector(".chat-reply .error");
  var reply = document.querySelector(".chat-reply");
  if (latest && !location.hash && !hasError) {
    // Newest message just above the reply box, which stays at the bottom of the screen.
    latest.style.scrollMarginBottom = (reply ? reply.offsetHeight : 0) + 16 + "px";
    latest.scrollIntoView({ block: "end" });
  }

  var chips = document.querySelector("[data-quick-replies]");
  var picker = document.querySelector("[data-quick-picker]");
  var box = document.querySelector(".chat-compose textarea");
  if (!chips || !box) {
    return;
  }
  chips.hidden = false;
  if (picker) {
    picker.hidden = true;
  }
  // Where the seller was typing (null: not yet, then a quick reply goes after the text).
  var caret = null;
  ["keyup", "click", "select", "input"].forEach(function (name) {
    box.addEventListener(name, function () {
      caret = [box.selectionStart, box.selectionEnd];
    });
  });
  chips.addEventListener("click", function (event) {
    var chip = event.target.closest("button[data-text]");
    if (!chip) {
      return;
    }
    var text = chip.getAttribute("data-text");
    var value = box.value;
    var start = caret ? caret[0] : value.length;
    var end = caret ? caret[1] : value.length;
    if (start > 0 && !/\s$/.test(value.slice(0, start))) {
      text = "\n" + text;
    }
    box.value = value.slice(0, start) + text + value.slice(end);
    var at = start + text.length;
    box.focus();
    box.setSelectionRange(at, at);
    caret = [at, at];
  });
})();
