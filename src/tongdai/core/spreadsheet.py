"""Cells for files opened in a spreadsheet (CSV, Excel): text that is never run as a formula.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken as a
formula by Excel and LibreOffice (CSV/Excel injection, OWASP). Every exported text cell
goes through ``safe_cell``, which prefixes such text with an apostrophe so it shows as
typed. Numbers stay numbers: write them as ``int``/``float``, not through this function.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell a spreadsheet will show as text, never run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
