// Player page: while the web rendition is 处理中, poll its state and reload when it is ready.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector(".video-player[data-status-url]");
    if (!box) { return; }
    var url = box.getAttribute("data-status-url");
    var tries = 0;
    function poll() {
      tries++;
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.ready || s.state === "failed") { window.location.reload(); return; }
          if (tries < 360) { setTimeout(poll, 5000); }
        })
        .catch(function () { if (tries < 360) { setTimeout(poll, 10000); } });
    }
    setTimeout(poll, 3000);
  });
})();
