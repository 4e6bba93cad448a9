"""The Vietnamese UI is complete: every catalogue is fully translated, has no fuzzy entry,
passes ``msgfmt --check``, and its compiled ``.mo`` (what Django loads) holds every entry.

A string added to the code without a translation shows up here as soon as
``makemessages`` has been run, so the Vietnamese default never silently shows English.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tongdai"
CATALOGUES = sorted(PACKAGE.rglob("locale/vi/LC_MESSAGES/django.po"))


def test_there_is_a_vietnamese_catalogue():
    assert PACKAGE / "locale/vi/LC_MESSAGES/django.po" in CATALOGUES


def _entries(po: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of every non-header entry, read with a small PO parser."""
    entries, msgid, msgstr, fuzzy, field = [], None, None, False, None

    def flush():
        if msgid:  # the header has an empty msgid
            entries.append((msgid, msgstr or "", fuzzy))

    for line in po.read_text(encoding="utf-8").splitlines():
        if line.startswith("#,"):
            flush()
            msgid, msgstr, field = None, None, None
            fuzzy = "fuzzy" in line
        elif line.startswith("msgid "):
            if field == "msgstr":
                flush()
                fuzzy = fuzzy if msgid is None else False
            msgid, msgstr, field = _unquote(line[6:]), None, "msgid"
        elif line.startswith("msgid_plural "):
            field = "plural"
        elif line.startswith("msgstr"):
            value = _unquote(line.split(" ", 1)[1])
            msgstr = value if msgstr is None else msgstr + value
            field = "msgstr"
        elif line.startswith('"'):
            if field == "msgid":
                msgid += _unquote(line)
            elif field == "msgstr":
                msgstr += _unquote(line)
        elif not line.strip():
            if field == "msgstr":
                flush()
                msgid, msgstr, field, fuzzy = None, None, None, False
    if field == "msgstr":
        flush()
    return entries


def _unquote(text: str) -> str:
    text = text.strip()
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)),
                  text[1:-1])


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_catalogue_is_complete_and_compiled(po):
    entries = _entries(po)
    assert entries, f"{po} has no entries"
    untranslated = [m for m, s, _ in entries if not s]
    fuzzy = [m for m, _, f in entries if f]
    assert not untranslated, f"untranslated in {po}: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy in {po}: {fuzzy[:10]}"
    if shutil.which("msgfmt"):
        check = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} missing: run compilemessages"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = compiled._catalog  # noqa: SLF001 - the only way to list a .mo's entries
    stale = [m for m, _, _ in entries if m not in catalog and (m, 0) not in catalog]
    assert not stale, f"{mo} is older than {po.name} (run compilemessages): {stale[:10]}"
