// The template editor's live preview: as the admin types, the form is sent
// to the editor's JSON route (with the CSRF token in X-CSRF-Token) and the
// preview replaced. Without this script the Preview button does the same.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview]"), out = document.getElementById("preview");
  if (!form || !out || !window.fetch || !window.URLSearchParams) return;
  var token = form.querySelector("input[name=csrf]").value, timer, seq = 0;
  function send() {
    var n = ++seq;
    out.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("data-preview"), {method: "POST", credentials: "same-origin",
      headers: {"X-CSRF-Token": token, "Accept": "application/json"}, body: new URLSearchParams(new FormData(form))})
      .then(function (r) { return r.json(); })
      .then(function (j) { if (n === seq && typeof j.html === "string") out.innerHTML = j.html; })
      .catch(function () {})
      .then(function () { if (n === seq) out.removeAttribute("aria-busy"); });
  }
  function later(ms) { clearTimeout(timer); timer = setTimeout(send, ms); }
  form.addEventListener("input", function () { later(400); });
  form.addEventListener("change", function () { later(50); });
})();
