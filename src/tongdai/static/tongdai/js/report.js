/* Public report pages: quick exit without a history entry, and with the Esc key.
   Progressive enhancement only: without JavaScript the quick-exit link works as a link. */
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) { return; }
  function leave(event) {
    if (event) { event.preventDefault(); }
    // replace(): the report page does not stay in the back-button history.
    window.location.replace(link.href);
  }
  link.addEventListener("click", leave);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") { leave(event); }
  });
})();
