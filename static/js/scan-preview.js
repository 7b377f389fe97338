// Local preview of a chosen scan image before upload (PDFs show their name only).
(function () {
  "use strict";
  document.addEventListener("change", function (ev) {
    var input = ev.target;
    if (!input.hasAttribute || !input.hasAttribute("data-scan-input")) { return; }
    var box = input.form && input.form.querySelector(".scan-preview");
    if (!box) { return; }
    var img = box.querySelector("img");
    var file = input.files && input.files[0];
    if (file && /^image\/(png|jpeg)$/.test(file.type)) {
      if (img.src) { URL.revokeObjectURL(img.src); }
      img.src = URL.createObjectURL(file);
      box.hidden = false;
    } else {
      box.hidden = true;
    }
  });
})();
