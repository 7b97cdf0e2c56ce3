// A new order's contract is sealed just after the order is placed: while the page says so, fetch the
// page again every 2 seconds (up to a minute) and swap in the contract section once it has arrived.
(function () {
  "use strict";
  var note = document.querySelector("[data-contract-arriving]");
  if (!note || !window.fetch || !window.DOMParser) return;
  var tries = 0;
  function check() {
    tries += 1;
    fetch(note.getAttribute("data-refresh-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(".order-contract");
        var current = document.querySelector(".order-contract");
        if (fresh && current && !fresh.querySelector("[data-contract-arriving]")) {
          current.replaceWith(fresh);
          return;
        }
        if (tries < 30) window.setTimeout(check, 2000);
      })
      .catch(function () { if (tries < 30) window.setTimeout(check, 2000); });
  }
  window.setTimeout(check, 1000);
})();
