/* Photo uploads: a preview of each chosen picture, a size check before sending, and a progress
   bar while it travels. Progressive: without this script the forms post as usual and the server
   does every check again.

   Forms opt in with data-upload (and data-max-bytes, data-too-large, data-failed for messages).
   Listeners sit on the document, so they keep working after the page body is swapped for the
   server's answer. */
(function () {
  "use strict";

  var PREVIEW_SIZE = 160;

  function messageArea(form) {
    return form.querySelector(".upload-message");
  }

  function say(form, text, isError) {
    var area = messageArea(form);
    if (!area) { return; }
    area.textContent = text;
    area.classList.toggle("error", Boolean(isError));
  }

  // Not sent after all: say why, and tell listing-editor.js the changes are still unsaved.
  function failed(form, text) {
    say(form, text, true);
    form.dispatchEvent(new CustomEvent("upload-failed", { bubbles: true }));
  }

  function tooLarge(form, input) {
    var limit = parseInt(form.getAttribute("data-max-bytes"), 10);
    if (!limit || !input.files) { return false; }
    return Array.prototype.some.call(input.files, function (file) { return file.size > limit; });
  }

  function drawPreview(file, list) {
    var item = document.createElement("li");
    var caption = document.createElement("span");
    caption.textContent = file.name;
    list.appendChild(item);
    if (!window.createImageBitmap || !/^image\//.test(file.type)) {
      item.appendChild(caption);
      return;
    }
    // A small canvas copy: a data: URL (allowed by the page's security policy) of a few kB,
    // upright like the server will store it.
    window.createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, PREVIEW_SIZE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      var image = document.createElement("img");
      image.src = canvas.toDataURL("image/jpeg", 0.8);
      image.alt = file.name;
      image.width = canvas.width;
      image.height = canvas.height;
      item.appendChild(image);
      if (bitmap.close) { bitmap.close(); }
    }).catch(function () {
      item.appendChild(caption);
    });
  }

  function showPreviews(input) {
    var holder = document.querySelector('[data-preview-for="' + input.id + '"]');
    if (!holder) { return; }
    holder.textContent = "";
    if (!input.files || !input.files.length) { return; }
    var list = document.createElement("ul");
    list.className = "preview-list";
    holder.appendChild(list);
    Array.prototype.forEach.call(input.files, function (file) { drawPreview(file, list); });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file") { return; }
    var form = input.closest("form[data-upload]");
    if (!form) { return; }
    showPreviews(input);
    if (tooLarge(form, input)) {
      input.setAttribute("aria-invalid", "true");
      say(form, form.getAttribute("data-too-large"), true);
    } else {
      input.removeAttribute("aria-invalid");
      say(form, "", false);
    }
  });

  function replacePage(html, url, changedUrl) {
    var page = new DOMParser().parseFromString(html, "text/html");
    document.title = page.title;
    document.body.replaceWith(document.adoptNode(page.body));
    if (changedUrl) { window.history.pushState(null, "", url); }
    // Scripts of the new body do not run: those that follow it (photo-status.js) start again.
    document.dispatchEvent(new CustomEvent("page-replaced"));
    var problem = document.querySelector(
      ".has-error input, .has-error select, .has-error textarea, [aria-invalid=\"true\"]"
    );
    var target = problem || document.getElementById("main");
    if (target) {
      if (!problem) { window.scrollTo(0, 0); }
      target.focus();
    }
  }

  function errorText(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var advice = page.querySelector(".error-page p:not(.error-code)");
    var title = page.querySelector(".error-page h1");
    return [title && title.textContent, advice && advice.textContent].filter(Boolean).join(" ");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    if (!form.hasAttribute("data-upload") || !window.FormData || !window.DOMParser) { return; }
    var inputs = form.querySelectorAll('input[type="file"]');
    for (var index = 0; index < inputs.length; index += 1) {
      if (tooLarge(form, inputs[index])) {
        event.preventDefault();
        failed(form, form.getAttribute("data-too-large"));
        inputs[index].focus();
        return;
      }
    }
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) {
      data.append(event.submitter.name, event.submitter.value);
    }
    var progress = form.querySelector(".upload-progress");
    var buttons = form.querySelectorAll("button");
    var request = new XMLHttpRequest();
    // A button may send the form elsewhere (a failed photo's delete button has its formaction).
    var submitter = event.submitter;
    var action = (submitter && submitter.hasAttribute("formaction") && submitter.formAction) ||
      form.action || window.location.href;
    request.open("POST", action);
    request.upload.addEventListener("progress", function (progressEvent) {
      if (progress && progressEvent.lengthComputable) {
        progress.hidden = false;
        progress.value = Math.round((progressEvent.loaded / progressEvent.total) * 100);
      }
    });
    function finish() {
      if (progress) { progress.hidden = true; }
      Array.prototype.forEach.call(buttons, function (button) { button.disabled = false; });
    }
    request.addEventListener("load", function () {
      finish();
      var html = request.responseText;
      var keptForm = /data-upload/.test(html);
      // Success, or the same form sent back with its values and a message: show that page.
      if (request.status < 400 || keptForm) {
        replacePage(html, request.responseURL, request.responseURL !== action);
        return;
      }
      // An error page (file too big for the server, expired form): keep what was typed here.
      failed(form, errorText(html) || form.getAttribute("data-failed"));
    });
    request.addEventListener("error", function () {
      finish();
      failed(form, form.getAttribute("data-failed"));
    });
    Array.prototype.forEach.call(buttons, function (button) { button.disabled = true; });
    if (progress) { progress.hidden = false; progress.value = 0; }
    request.send(data);
  });
}());
