"""What a file really is, from its first bytes (never from its name or the browser's claim).

Allowed: PDF, PNG, JPEG, and the Office Open XML documents DOCX and XLSX (a ZIP archive
holding ``[Content_Types].xml`` and the main part of its type). Everything else is
refused: executables, HTML, SVG (it can carry script), other archives, unknown bytes.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True)
class FileType:
    extension: str
    content_type: str


PDF = FileType("pdf", "application/pdf")
PNG = FileType("png", "image/png")
JPEG = FileType("jpg", "image/jpeg")
DOCX = FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
ALLOWED = (PDF, PNG, JPEG, DOCX, XLSX)

_MAGIC = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
_ZIP = b"PK\x03\x04"
#: The main part that makes an OOXML package a document or a workbook.
_OOXML_MAIN = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX))
_MAX_ZIP_MEMBERS = 10_000  # a real document has dozens; more is a bomb or not an office file


def sniff(stream: IO[bytes]) -> FileType | None:
    """The type of ``stream`` (seekable, read from the start), or None if not allowed.
    Leaves the stream at position 0."""
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    for magic, file_type in _MAGIC:
        if head.startswith(magic):
            return file_type
    if head.startswith(_ZIP):
        return _sniff_ooxml(stream)
    return None


def _sniff_ooxml(stream: IO[bytes]) -> FileType | None:
    """Reads only the ZIP's central directory: nothing is extracted."""
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
            if len(infos) > _MAX_ZIP_MEMBERS:
                return None
            names = {info.filename for info in infos}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        stream.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    for part, file_type in _OOXML_MAIN:
        if part in names:
            return file_type
    return None
