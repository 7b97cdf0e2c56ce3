// An order's conversation: new messages appear without a reload. Every few seconds (the section's
// data-poll-seconds, 15 by default) while the page is visible, the thread is fetched again and replaced when it changed (not while a correction is being
// written). Without JavaScript the thread is as fresh as the page.
(function () {
  "use strict";
  var section = document.querySelector("[data-thread-url]");
  if (!section || !window.fetch) return;
  var box = section.querySelector("[data-thread-entries]");
  var url = section.getAttribute("data-thread-url");
  function refresh() {
    if (document.hidden || box.querySelector("details.message__edit[open]")) return;
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && html.trim() !== box.innerHTML.trim()) box.innerHTML = html;
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }
  var seconds = parseInt(section.getAttribute("data-poll-seconds"), 10) || 15;
  window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
})();
