// Helps the new meeting form and the guests' pages where a browser runs
// it; every flow works without it.
(function () {
  "use strict";
  var tz = "";
  try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  // A guest's zone: the browser's, once, unless chosen; a choice shows.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
    if (s.hasAttribute("data-tz-auto") && tz && s.value !== tz && [].some.call(s.options, function (o) { return o.value === tz; })) {
      s.value = tz; s.form.submit();
    }
  });
  // The new meeting form: the times found, as it is filled in.
  var f = document.querySelector("form[data-slots]"), box = document.getElementById("slots"), t, n = 0;
  if (!f || !box) return;
  function find() {
    var d = new FormData(f), k = ++n;
    if (d.get("mode") !== "find") return;
    d.delete("action");
    fetch(f.getAttribute("data-slots"), {method: "POST", headers: {"X-CSRF-Token": d.get("csrf")}, body: new URLSearchParams(d)})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j && k === n) box.innerHTML = j.html; })
      .catch(function () {});
  }
  f.addEventListener("input", function (e) {
    if (e.target.name === "slot") return;
    clearTimeout(t); t = setTimeout(find, 500);
  });
})();
