// The holder's on-screen code: count down to its end, then say it has expired (the button makes a new one).
(function () {
  var figure = document.querySelector(".permit-screen-code");
  var script = document.currentScript;
  if (!figure) return;
  var expires = parseInt(figure.getAttribute("data-expires"), 10) * 1000;
  var left = figure.querySelector(".permit-screen-code__left");
  function tick() {
    var seconds = Math.max(0, Math.round((expires - Date.now()) / 1000));
    if (seconds === 0) {
      figure.classList.add("permit-screen-code--expired");
      left.textContent = script.getAttribute("data-expired");
      return;
    }
    left.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    window.setTimeout(tick, 1000);
  }
  tick();
})();
