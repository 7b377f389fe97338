// Voting: send the vote with fetch and show the result at once; show the captcha when the server asks.
// No framework, no inline script (CSP). Without JavaScript the form posts normally.
(function () {
  "use strict";
  var form = document.getElementById("vote-form");
  var feedback = document.getElementById("vote-feedback");
  var copy = document.getElementById("share-copy");

  function say(text, ok) {
    if (!feedback) { return; }
    feedback.textContent = text;
    feedback.className = "vote-feedback " + (ok ? "ok" : "err");
  }

  if (copy) {
    copy.addEventListener("click", function () {
      var url = copy.getAttribute("data-url");
      var input = document.getElementById("share-url");
      function done() { say("链接已复制，快去分享给好友吧。", true); }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(url).then(done, function () { input.select(); document.execCommand("copy"); done(); });
      } else { input.select(); document.execCommand("copy"); done(); }
    });
  }
  if (!form) { return; }

  var button = document.getElementById("vote-button");
  var row = document.getElementById("captcha-row");
  var img = document.getElementById("captcha-img");
  var token = document.getElementById("captcha-token");
  var answer = document.getElementById("captcha-answer");
  var count = document.getElementById("vote-count");

  function loadCaptcha() {
    row.hidden = false;
    answer.value = "";
    fetch(form.getAttribute("data-captcha-url"), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.token) { token.value = data.token; img.src = data.image; }
        else if (data.error) { say(data.error, false); }
      })
      .catch(function () { say("验证码加载失败，请检查网络后点“换一张”。", false); });
  }
  // The server puts a captcha into the page when the first vote needs one; fetch one only if it did not.
  if (form.getAttribute("data-need-captcha") === "1" && !token.value) { loadCaptcha(); }
  img.addEventListener("click", loadCaptcha);
  document.getElementById("captcha-refresh").addEventListener("click", loadCaptcha);

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!row.hidden && !answer.value.trim()) { say("请先输入图片验证码。", false); answer.focus(); return; }
    button.disabled = true;
    say("正在提交……", true);
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Requested-With": "fetch" }
    }).then(function (r) {
      return r.json().catch(function () { return { ok: false, error: "网络繁忙，请稍后重试。" }; });
    }).then(function (data) {
      button.disabled = false;
      if (data.ok) {
        say(data.message, true);
        if (count && typeof data.count === "number") { count.textContent = data.count; }
        if (data.captcha_required) { loadCaptcha(); } else { row.hidden = true; token.value = ""; }
      } else {
        say(data.error || "投票未成功，请稍后重试。", false);
        if (data.captcha_required || !row.hidden) { loadCaptcha(); }
      }
    }).catch(function () {
      button.disabled = false;
      say("网络连接失败，请检查网络后重试。", false);
    });
  });
})();
