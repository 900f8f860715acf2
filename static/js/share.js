// Share and copy controls, as progressive enhancement (the strict CSP allows only files
// like this one). Translated texts come from the page's data-* attributes.
//
// <a href="URL" data-share data-share-title="T" data-copied="Link copied">: the share
// sheet where the browser has one (navigator.share), else the link is copied.
// <button type="button" data-copy="INPUT-ID" data-copied="Copied" hidden>: shown when
// the browser can copy; copies the input's value.
// Either says what happened (data-copied, data-copy-failed) in the next role="status"
// element after it or after its parent, or, without one, on the control for a moment.
(function () {
  "use strict";

  function statusAfter(control) {
    // Next to the control, or next to the paragraph that holds it.
    var places = [control, control.parentElement];
    for (var i = 0; i < places.length; i++) {
      for (var element = places[i].nextElementSibling; element; element = element.nextElementSibling) {
        if (element.getAttribute("role") === "status") return element;
      }
    }
    return null;
  }

  function tell(control, text) {
    if (!text) return;
    var status = statusAfter(control);
    if (status) {
      // Emptied first, so a second "Link copied" is announced again.
      status.textContent = "";
      setTimeout(function () { status.textContent = text; }, 50);
      return;
    }
    var label = control.textContent;
    control.textContent = text;
    setTimeout(function () { control.textContent = label; }, 2000);
  }

  function copy(control, text) {
    if (!navigator.clipboard) {
      tell(control, control.dataset.copyFailed);
      return;
    }
    navigator.clipboard.writeText(text).then(
      function () { tell(control, control.dataset.copied); },
      function () { tell(control, control.dataset.copyFailed); }
    );
  }

  document.addEventListener("click", function (event) {
    var share = event.target.closest("a[data-share]");
    if (share) {
      event.preventDefault();
      var url = share.href;
      if (navigator.share) {
        navigator.share({ title: share.dataset.shareTitle || document.title, url: url })
          .catch(function (error) {
            // AbortError: the person closed the share sheet, which is their answer.
            if (error.name !== "AbortError") copy(share, url);
          });
      } else {
        copy(share, url);
      }
      return;
    }
    var button = event.target.closest("button[data-copy]");
    if (button) {
      var input = document.getElementById(button.dataset.copy);
      if (input) copy(button, input.value);
    }
  });

  if (navigator.clipboard) {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
    });
  }
})();
