/* Site-wide keyboard help. Everything works without it. */
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    // "/" jumps to the search box of the contact list, as on many sites.
    if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target)) {
      var search = document.getElementById("id_q");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
    }
  });
})();
