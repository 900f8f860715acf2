// Check-in at the meeting point, one tap per runner (templates/runs/check_in.html), as
// progressive enhancement: without this file each tap posts its form and the page comes
// back at the runner's row. With it the same form (CSRF token and all) goes with fetch and
// the server's new row replaces the old one, so the list stays put under the thumb.
// Anything but a good answer (check-in closed, runner gone, signed out, offline) sends the
// form the plain way, and the server's page says what happened.
(function () {
  "use strict";

  if (!window.fetch || !document.querySelector("[data-check-in]")) return;

  function replaceRow(row, html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var fresh = holder.content.firstElementChild;
    row.replaceWith(fresh);
    return fresh;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form.check-in-form");
    if (!form) return;
    event.preventDefault();
    var button = form.querySelector("button");
    var hadFocus = document.activeElement === button;
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (answer) {
      var fresh = replaceRow(form.closest(".check-in-row"), answer.row);
      var freshButton = fresh.querySelector("button");
      if (hadFocus && freshButton) freshButton.focus();
      document.getElementById("check-in-summary").textContent = answer.summary;
      document.getElementById("check-in-said").textContent = answer.said;
    }).catch(function () {
      form.submit();
    });
  });
})();
