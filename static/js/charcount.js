// Live 字数 counter: an exact copy of the rule in contest/submissions/counting.py (Word's 字数统计):
// each CJK character / 中文·全角 punctuation / full-width letter or digit counts 1; each run of other
// non-whitespace characters (APP, 2023, 12.5, 3,200) counts 1; whitespace does not count.
// Markup: <textarea data-count-group="content"> ... <span data-count-for="content" data-limit="2000"></span>
(function () {
  "use strict";
  // Same set as counting._WHITESPACE (Python's str.isspace() plus U+FEFF).
  var WHITESPACE = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]$/;
  // Same ranges as counting._CJK_RANGES and counting._IGNORED_RANGES.
  var CJK_RANGES = [
    [0x00B7, 0x00B7], [0x2014, 0x2014], [0x2018, 0x2019], [0x201C, 0x201D], [0x2026, 0x2026],
    [0x2E80, 0x2FFF], [0x3000, 0x9FFF], [0xF900, 0xFAFF], [0xFE10, 0xFE1F], [0xFE30, 0xFE4F],
    [0xFF00, 0xFFEF], [0x20000, 0x3FFFF]
  ];
  var IGNORED_RANGES = [[0xFE00, 0xFE0F], [0xE0100, 0xE01EF]];
  function inRanges(cp, ranges) {
    for (var j = 0; j < ranges.length; j++) {
      if (cp >= ranges[j][0] && cp <= ranges[j][1]) { return true; }
    }
    return false;
  }
  function count(text) {
    var n = 0, inRun = false;
    for (var i = 0; i < text.length; i++) {
      var cp = text.codePointAt(i);
      if (cp > 0xFFFF) { i++; }  // a surrogate pair is one character, like Python's str
      if (cp <= 0xFFFF && WHITESPACE.test(text[i])) {
        inRun = false;
      } else if (inRanges(cp, CJK_RANGES)) {
        n++; inRun = false;
      } else if (inRanges(cp, IGNORED_RANGES)) {
        continue;
      } else if (!inRun) {
        n++; inRun = true;
      }
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
