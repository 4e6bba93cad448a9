/* Report pages: choosing a centre or a trend unit shows it at once; the dashboard's live
   counters refresh every minute without reloading the page. Plain JS, no framework. */
(function () {
  "use strict";

  function autoSubmit() {
    var form = document.getElementById("report-form");
    if (!form) { return; }
    ["id_centre", "id_unit"].forEach(function (id) {
      var select = document.getElementById(id);
      if (select) {
        select.addEventListener("change", function () { form.requestSubmit(); });
      }
    });
  }

  function refreshLive() {
    var live = document.getElementById("live");
    if (!live) { return; }
    var seconds = parseInt(live.getAttribute("data-refresh"), 10) || 60;
    window.setInterval(function () {
      if (document.hidden) { return; }
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
          if (fresh) { live.replaceChildren.apply(live, Array.prototype.slice.call(fresh.childNodes)); }
        })
        .catch(function () { /* offline for a moment: keep the last figures */ });
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    autoSubmit();
    refreshLive();
  });
}());
