// Streaming video upload: the raw file is the body of one PUT (no multipart, no buffering on the
// server), with the CSRF token in X-CSRFToken. Shows percentage and speed; says clearly when the
// connection drops. Markup: templates/submissions/video_form.html (.upload[data-upload-url]).
// The form fields share the page (form[data-unsaved-guard]): typed text must survive an upload, so
// a finished upload only moves on to the video page when the form has nothing unsaved, and leaving
// the page warns while the form has unsaved changes or an upload is running.
(function () {
  "use strict";
  var uploading = 0;
  var guard = null;
  function serialize(form) { return new URLSearchParams(new FormData(form)).toString(); }
  function guardForm(form) {
    var saved = serialize(form);
    var submitting = false;
    form.addEventListener("submit", function (ev) {
      if (uploading > 0 && !window.confirm("视频还在上传。现在保存会离开本页并中断上传，视频文件不会保存。确定要保存并中断上传吗？")) {
        ev.preventDefault();
        return;
      }
      submitting = true;
    });
    return {
      dirty: function () { return !submitting && serialize(form) !== saved; },
      leaving: function () { return submitting; }
    };
  }
  function fmtBytes(n) {
    if (n >= 1073741824) { return (n / 1073741824).toFixed(2) + " GB"; }
    if (n >= 1048576) { return (n / 1048576).toFixed(1) + " MB"; }
    return Math.max(1, Math.round(n / 1024)) + " KB";
  }
  function show(box, cls, text, list) {
    var out = box.querySelector(".upload-message");
    out.textContent = "";
    var p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    out.appendChild(p);
    if (list && list.length) {
      var ul = document.createElement("ul");
      list.forEach(function (r) { var li = document.createElement("li"); li.className = cls; li.textContent = r; ul.appendChild(li); });
      out.appendChild(ul);
    }
  }
  function setup(box) {
    var input = box.querySelector(".upload-input");
    var start = box.querySelector(".upload-start");
    var cancel = box.querySelector(".upload-cancel");
    var progress = box.querySelector(".upload-progress");
    var bar = progress.querySelector("progress");
    var pct = box.querySelector(".upload-percent");
    var speed = box.querySelector(".upload-speed");
    var maxBytes = parseInt(box.getAttribute("data-max-bytes"), 10);
    var xhr = null;

    start.addEventListener("click", function () {
      var file = input.files && input.files[0];
      if (!file) { show(box, "err", "请先选择要上传的视频文件。"); return; }
      if (file.size === 0) { show(box, "err", "所选文件是空文件，请重新选择。"); return; }
      if (maxBytes && file.size > maxBytes) {
        show(box, "err", "视频文件 " + fmtBytes(file.size) + "，超过 " + box.getAttribute("data-max-label") + " 的大小上限，请压缩后重新上传。");
        return;
      }
      xhr = new XMLHttpRequest();
      xhr.open("PUT", box.getAttribute("data-upload-url"));
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", box.getAttribute("data-csrf"));
      xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
      var t0 = Date.now();
      var lastT = t0, lastLoaded = 0, rate = 0;
      progress.hidden = false; cancel.hidden = false; start.disabled = true; input.disabled = true;
      bar.value = 0; pct.textContent = "0%"; speed.textContent = "";
      show(box, "", "正在上传，请勿关闭页面……");
      xhr.upload.addEventListener("progress", function (ev) {
        if (!ev.lengthComputable) { return; }
        var p = Math.floor(ev.loaded * 100 / ev.total);
        bar.value = p; pct.textContent = p + "%";
        var now = Date.now();
        if (now - lastT >= 500) {
          var inst = (ev.loaded - lastLoaded) * 1000 / (now - lastT);
          rate = rate ? rate * 0.7 + inst * 0.3 : inst;
          lastT = now; lastLoaded = ev.loaded;
          var left = rate > 0 ? Math.round((ev.total - ev.loaded) / rate) : 0;
          speed.textContent = fmtBytes(rate) + "/s · 已传 " + fmtBytes(ev.loaded) + " / " + fmtBytes(ev.total) +
            (left > 0 ? " · 约剩 " + (left >= 60 ? Math.floor(left / 60) + " 分 " : "") + (left % 60) + " 秒" : "");
        }
        if (p === 100) { show(box, "", "上传完成，正在检测视频（时长、分辨率）……"); }
      });
      function done() { cancel.hidden = true; start.disabled = false; input.disabled = false; xhr = null; uploading -= 1; }
      xhr.addEventListener("load", function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        if (xhr.status === 200 && data && data.ok) {
          if (guard && guard.dirty()) {
            show(box, "ok", (data.message || "上传成功。") + "表单中还有未保存的修改，请点击“保存”后再离开本页。");
            if (data.redirect) {
              var a = document.createElement("a");
              a.href = data.redirect; a.className = "button small upload-view"; a.textContent = "查看作品";
              box.querySelector(".upload-message p").appendChild(document.createTextNode(" "));
              box.querySelector(".upload-message p").appendChild(a);
            }
          } else {
            show(box, "ok", data.message || "上传成功。");
            if (data.redirect) {
              setTimeout(function () {
                if (!(guard && guard.dirty())) { window.location.href = data.redirect; }
              }, 1200);
            }
          }
        } else if (data && (data.reasons || data.error)) {
          show(box, "err", "未保存：视频不符合要求。", data.reasons || [data.error]);
        } else if (xhr.status === 413) {
          show(box, "err", "视频文件超过大小上限，未保存。请压缩后重新上传。");
        } else {
          show(box, "err", "上传失败（服务器返回 " + xhr.status + "），文件未保存。请刷新页面后重试。");
        }
        done();
      });
      xhr.addEventListener("error", function () {
        show(box, "err", "网络连接中断，上传失败，文件未保存。请检查网络后重新上传。");
        done();
      });
      xhr.addEventListener("abort", function () {
        show(box, "err", "已取消上传，文件未保存。");
        done();
      });
      uploading += 1;
      xhr.send(file);
    });
    cancel.addEventListener("click", function () { if (xhr) { xhr.abort(); } });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-unsaved-guard]");
    if (form) { guard = guardForm(form); }
    window.addEventListener("beforeunload", function (ev) {
      if (guard && guard.leaving()) { return; }
      if (uploading > 0 || (guard && guard.dirty())) {
        ev.preventDefault();
        ev.returnValue = "";  // the browser shows its own "leave this page?" text
      }
    });
    document.querySelectorAll(".upload[data-upload-url]").forEach(setup);
  });
})();
