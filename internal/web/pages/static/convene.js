// Convene's pages work without this script: it only helps where a browser
// runs it (the browser's time zone, copy buttons).
(function () {
  "use strict";
  // Old names some browsers still report, and the zone the selects offer.
  var aliases = {"Asia/Calcutta": "Asia/Kolkata", "Asia/Saigon": "Asia/Ho_Chi_Minh", "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon", "Europe/Kiev": "Europe/Kyiv", "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "Atlantic/Faeroe": "Atlantic/Faroe", "Etc/UTC": "UTC", "Etc/GMT": "UTC"};
  var tz = "";
  try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  tz = aliases[tz] || tz;
  // A time zone select not chosen yet starts at the browser's zone.
  document.querySelectorAll("select[data-tz-detect]").forEach(function (sel) {
    for (var i = 0; i < sel.options.length; i++) {
      if (sel.options[i].value === tz) { sel.value = tz; return; }
    }
  });
  // <button data-copy="ID" hidden> copies the text of #ID.
  if (!navigator.clipboard) return;
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var el = document.getElementById(btn.getAttribute("data-copy"));
      if (!el) return;
      navigator.clipboard.writeText(el.textContent.trim()).then(function () {
        btn.textContent = btn.getAttribute("data-copied") || btn.textContent;
      });
    });
  });
})();
