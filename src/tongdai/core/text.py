"""Vietnamese text folding for accent-insensitive search.

``fold("Nguyễn Văn Ấn") == "nguyen van an"``; ``fold("Đặng") == "dang"``. NFD splits
letters from their combining marks, which we drop; ``đ``/``Đ`` is a letter of its own in
Unicode (it has no decomposition), so it is mapped by hand. The same folding is written
in ``static/tongdai/js/fold.js`` for the browser's type-ahead; keep them in step.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def search_terms(query: str | None, limit: int = 8) -> list[str]:
    """The folded words of a search box, at most ``limit`` of them."""
    return [t for t in fold(query).split(" ") if t][:limit]
