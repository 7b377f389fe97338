// Small progressive enhancements shared by every page. No inline scripts (CSP: script-src 'self').
(function () {
  "use strict";
  // Ask before destructive actions: <form data-confirm="确定……？">
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  }, true);
})();
