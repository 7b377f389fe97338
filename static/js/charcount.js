// Live 字数 counter mirroring contest/submissions/counting.py: every non-whitespace character counts 1.
// Markup: <textarea data-count-group="content"> ... <span data-count-for="content" data-limit="2000"></span>
(function () {
  "use strict";
  function count(text) {
    var n = 0;
    for (var i = 0; i < text.length; i++) {
      var code = text.charCodeAt(i);
      // Surrogate pairs are one character, like Python's str.
      if (code >= 0xD800 && code <= 0xDBFF && i + 1 < text.length) { i++; n++; continue; }
      if (!/\s/.test(text[i])) { n++; }
    }
    return n;
  }
  window.contestCountChars = count;
  function update(group) {
    var total = 0;
    document.querySelectorAll('[data-count-group="' + group + '"]').forEach(function (el) { total += count(el.value); });
    document.querySelectorAll('[data-count-for="' + group + '"]').forEach(function (out) {
      var limit = parseInt(out.getAttribute("data-limit"), 10);
      out.textContent = "已输入 " + total + " 字" + (limit ? " / 上限 " + limit + " 字" : "");
      out.classList.toggle("over", !!limit && total > limit);
      if (limit && total > limit) { out.textContent += "（超出 " + (total - limit) + " 字）"; }
    });
  }
  document.addEventListener("input", function (ev) {
    var g = ev.target.getAttribute && ev.target.getAttribute("data-count-group");
    if (g) { update(g); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var seen = {};
    document.querySelectorAll("[data-count-for]").forEach(function (out) {
      var g = out.getAttribute("data-count-for");
      if (!seen[g]) { seen[g] = true; update(g); }
    });
  });
})();
