"""Reading one RFC 822 e-mail as the hotline needs it (stdlib ``email``, ``policy.default``).

What comes out (``ParsedMail``): the Message-ID and the ids it answers (``In-Reply-To``,
``References``), the sender's address and name, the subject, the text, and the files.

Vietnamese arrives in many encodings and all of them must come out intact: RFC 2047
encoded words in the subject and names (``=?utf-8?B?…?=``, ``=?windows-1258?Q?…?=``), bodies
in UTF-8 or windows-1258 (which writes tone marks as separate combining characters),
quoted-printable or base64. Text is normalised to NFC so "ế" is one character whatever
the sender's encoding. An HTML-only mail becomes plain text: tags and scripts dropped,
entities decoded, never rendered.
"""

from __future__ import annotations

import email
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from tongdai.core.inbox import sha256_hex

#: Longest text kept from one mail; the rest is cut (a hotline mail is a few paragraphs).
MAX_TEXT_CHARS = 50_000
MAX_SUBJECT_CHARS = 300
_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class MailFile:
    """A part that is a file: its name as the sender gave it, and its decoded bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_id: str           # "<id@host>", or "sha256:<hex>" of the raw mail without one
    answers: tuple[str, ...]  # In-Reply-To first, then References newest first
    in_reply_to: str
    sender: str               # lower-cased address ("" when none could be read)
    sender_name: str
    subject: str
    text: str
    sent_at: datetime | None
    files: tuple[MailFile, ...] = field(default_factory=tuple)


def nfc(text: str) -> str:
    """NFC, without NUL characters (a text column on PostgreSQL cannot hold them)."""
    return unicodedata.normalize("NFC", text.replace("\x00", ""))


def _header(msg: EmailMessage, name: str) -> str:
    """A header as decoded text; one the header parser chokes on is read raw rather than
    dropped (the mail is kept whatever its defects)."""
    try:
        value = str(msg.get(name) or "")
    except (ValueError, TypeError, IndexError, LookupError, AttributeError):
        value = next((str(v) for k, v in msg.raw_items() if k.lower() == name), "")
    return nfc(" ".join(value.split()))


def _ids(value: str) -> list[str]:
    return [m for m in _MSGID.findall(value or "") if len(m) <= 200]


def _sender(msg: EmailMessage) -> tuple[str, str]:
    try:
        header = msg.get("from")
        addresses = getattr(header, "addresses", ()) or ()
        if addresses:
            first = addresses[0]
            return (first.addr_spec or "").strip().lower(), nfc(first.display_name or "")
    except (ValueError, TypeError, IndexError, LookupError):
        pass
    raw = msg.get_all("from", []) if hasattr(msg, "get_all") else []
    for name, address in getaddresses([str(v) for v in raw]):
        if "@" in address:
            return address.strip().lower(), nfc(name)
    return "", ""


def _date(msg: EmailMessage) -> datetime | None:
    try:
        value = parsedate_to_datetime(str(msg.get("date") or ""))
    except (TypeError, ValueError, IndexError):
        return None
    return value if value is not None and value.tzinfo is not None else None


class _TextOfHtml(HTMLParser):
    """Visible text of an HTML body: block elements become line breaks; script, style,
    head and template content is dropped; entities are decoded (``convert_charrefs``)."""

    _SKIP = {"script", "style", "head", "template", "noscript", "title"}
    _BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
              "blockquote", "table", "ul", "ol", "section", "article", "hr", "pre"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def decode_unlabelled(data: bytes) -> str:
    """Text whose charset is unknown or wrong: UTF-8 or windows-1258, the two a Vietnamese
    mail is written in. UTF-8 with a few bad bytes (a server replaced a NUL, a cut
    sequence) stays UTF-8: windows-1258 text almost never forms valid UTF-8 sequences."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    good = sum(1 for char in lenient if not char.isascii() and char != "\ufffd")
    if good > bad:
        return lenient
    return data.decode("windows-1258", errors="replace")


def _part_text(part: EmailMessage) -> str:
    """A text part decoded with its declared charset, else as ``decode_unlabelled``."""
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError):
        return decode_unlabelled(part.get_payload(decode=True) or b"")


def _body(msg: EmailMessage) -> tuple[EmailMessage | None, str]:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return None, ""
    text = _part_text(part)
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # the wire's CRLF
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return part, text


def _is_file(part: EmailMessage) -> bool:
    if part.is_multipart():
        return False
    if part.get_content_disposition() == "attachment" or part.get_filename():
        return True
    # Inline images and other non-text parts carry files too (a photo pasted in the mail).
    return part.get_content_maintype() not in {"text", "multipart", "message"}


def _files(msg: EmailMessage, body: EmailMessage | None) -> tuple[MailFile, ...]:
    files = []
    for index, part in enumerate(msg.walk(), start=1):
        if part is body or not _is_file(part):
            continue
        try:
            name = part.get_filename() or ""
        except (ValueError, TypeError, LookupError):
            name = ""
        data = part.get_payload(decode=True) or b""
        files.append(MailFile(filename=nfc(name) or f"part-{index}", data=data))
    return tuple(files)


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse one raw mail. Lenient like every mail reader: a defect never loses the mail."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    ids = _ids(_header(msg, "message-id"))
    in_reply_to = _ids(_header(msg, "in-reply-to"))
    references = list(reversed(_ids(_header(msg, "references"))))
    answers = tuple(dict.fromkeys(in_reply_to + references))
    sender, sender_name = _sender(msg)
    body, text = _body(msg)
    return ParsedMail(
        message_id=ids[0] if ids else "sha256:" + sha256_hex(raw),
        answers=answers, in_reply_to=in_reply_to[0] if in_reply_to else "",
        sender=sender[:200], sender_name=sender_name[:200],
        subject=_header(msg, "subject")[:MAX_SUBJECT_CHARS],
        text=nfc(text).strip()[:MAX_TEXT_CHARS], sent_at=_date(msg),
        files=_files(msg, body))
