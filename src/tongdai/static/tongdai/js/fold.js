/*
 * Vietnamese folding for accent-insensitive type-ahead: fold("Nguyễn Văn Ấn") === "nguyen van an",
 * fold("Đắk Lắk") === "dak lak". The twin of tongdai/core/text.py fold(); keep them in step
 * (tests/test_ui_fold.py runs both on the same strings).
 *
 * Python strips characters whose canonical combining class is not 0; JavaScript has no API for
 * that class, so we strip the Unicode "Mark" category, which is the same set for Vietnamese and
 * every Latin-script name. Python's casefold() is toLowerCase() plus a few full foldings.
 */
(function () {
  "use strict";
  var MARKS = /\p{M}/gu;
  var SPACES = /\s+/g;

  function fold(text) {
    if (!text) {
      return "";
    }
    var plain = String(text).replace(/đ/g, "d").replace(/Đ/g, "D");
    plain = plain.normalize("NFD").replace(MARKS, "");
    plain = plain.toLowerCase().replace(/ß/g, "ss").replace(/ς/g, "σ");
    return plain.replace(SPACES, " ").trim();
  }

  /* Does every word of the (already folded) query occur in the folded haystack? */
  function matches(haystack, query) {
    if (!query) {
      return true;
    }
    var words = query.split(" ");
    for (var i = 0; i < words.length; i++) {
      if (haystack.indexOf(words[i]) === -1) {
        return false;
      }
    }
    return true;
  }

  var root = typeof window !== "undefined" ? window : globalThis;
  var ns = (root.tongdai = root.tongdai || {});
  ns.fold = fold;
  ns.foldMatches = matches;
  if (typeof module !== "undefined" && module.exports) {
    module.exports = { fold: fold, matches: matches };
  }
})();
