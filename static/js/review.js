// Expert review: the live total of the score form, and row/column toggles of the assignment matrix.
(function () {
  "use strict";

  function parse(text) {
    var t = (text || "").trim();
    if (t === "") { return 0; }
    var n = Number(t);
    return isFinite(n) ? n : NaN;
  }

  function updateTotal(form) {
    var total = 0, bad = false;
    form.querySelectorAll(".score-input").forEach(function (input) {
      var max = Number(input.getAttribute("data-max"));
      var value = parse(input.value);
      var hint = input.parentNode.querySelector(".score-hint");
      var msg = "";
      if (isNaN(value)) { msg = "请填写数字"; }
      else if (value < 0) { msg = "不能为负数"; }
      else if (value > max) { msg = "最高" + max + "分"; }
      else if (Math.round(value * 2) !== value * 2) { msg = "须以0.5分为单位"; }
      input.classList.toggle("over", msg !== "");
      if (hint) { hint.textContent = msg; hint.hidden = msg === ""; }
      if (msg) { bad = true; } else { total += value; }
    });
    var out = document.getElementById("score-total");
    if (out) {
      out.textContent = String(Math.round(total * 100) / 100);
      out.classList.toggle("over", bad);
    }
  }

  var form = document.getElementById("score-form");
  if (form) {
    form.addEventListener("input", function () { updateTotal(form); });
    updateTotal(form);
    form.querySelectorAll("[data-confirm-submit]").forEach(function (btn) {
      btn.addEventListener("click", function (ev) {
        if (!window.confirm(btn.getAttribute("data-confirm-submit"))) { ev.preventDefault(); }
      });
    });
  }

  function toggle(selector) {
    var boxes = Array.prototype.slice.call(document.querySelectorAll(selector));
    var allOn = boxes.every(function (b) { return b.checked; });
    boxes.forEach(function (b) { b.checked = !allOn; });
  }
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t.hasAttribute && t.hasAttribute("data-toggle-col")) {
      toggle('input[data-col="' + t.getAttribute("data-toggle-col") + '"]');
    } else if (t.hasAttribute && t.hasAttribute("data-toggle-row")) {
      toggle('input[data-row="' + t.getAttribute("data-toggle-row") + '"]');
    }
  });
})();
