"""Reading the hotline mailbox over IMAP (stdlib ``imaplib``) into the durable inbox.

Order of operations, so that nothing is lost and nothing is doubled:

1. search the folder for mails not yet taken: without our keyword ``$TongdaiAccepted``
   (when the server keeps custom keywords, as Dovecot, Cyrus, Exchange and Gmail do),
   else not ``\\Seen``. The keyword makes the poll independent of people reading the
   mailbox in a mail client: a mail someone opened is still taken;
2. fetch each mail with ``BODY.PEEK[]`` (fetching does not mark it read) and store it with
   ``services.inbox_accept`` — committed before anything else happens;
3. only then flag it on the server (keyword and ``\\Seen``).

A crash or a dropped connection between 2 and 3 leaves the mail unflagged: the next poll
fetches it again and the inbox's unique event id (SHA-256 of the bytes) makes that a
duplicate, which is then flagged. An unreachable server, a refused login or a database
error stops the poll with the mails untouched on the server; the next poll takes them.
Mails stay in the folder (they are the hotline's record): archive or expunge them with the
mail server's own tools.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError

from tongdai.channels.email import raw_for_inbox
from tongdai.channels.models import Provider
from tongdai.channels.services import inbox_accept

logger = logging.getLogger(__name__)

KEYWORD = "$TongdaiAccepted"
#: Mails taken in one poll at most; the rest wait for the next one (a minute later).
POLL_LIMIT = 200


@dataclass
class PollResult:
    found: int = 0        # mails waiting in the folder
    accepted: int = 0     # new inbox events
    duplicates: int = 0   # already in the inbox (a crash before flagging, a re-delivery)
    error: str = ""       # "" or a short code (exception class, "not_configured")


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _connect(config: dict) -> imaplib.IMAP4:
    timeout = settings.TONGDAI_IMAP_TIMEOUT
    if config["tls"]:
        imap = imaplib.IMAP4_SSL(config["host"], config["port"],
                                 ssl_context=ssl.create_default_context(), timeout=timeout)
    else:
        imap = imaplib.IMAP4(config["host"], config["port"], timeout=timeout)
        if config["starttls"]:
            imap.starttls(ssl_context=ssl.create_default_context())
    try:
        user, password = config["user"], config["password"]
        if (user + password).isascii():
            imap.login(user, password)
        else:  # LOGIN takes ASCII only; SASL PLAIN carries UTF-8
            imap.authenticate("PLAIN", lambda _challenge: f"\0{user}\0{password}".encode())
    except BaseException:
        imap.shutdown()
        raise
    return imap


def _keywords_kept(imap: imaplib.IMAP4) -> bool:
    """True when the selected folder keeps custom keywords (``PERMANENTFLAGS`` with ``\\*``
    or our keyword already in it)."""
    _name, data = imap.response("PERMANENTFLAGS")
    flags = b" ".join(item for item in data if isinstance(item, bytes))
    return b"\\*" in flags or KEYWORD.encode() in flags


def _fetched_bytes(data) -> bytes | None:
    for item in data or ():
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _check(result: tuple) -> list:
    typ, data = result
    if typ != "OK":
        raise imaplib.IMAP4.error(f"IMAP answered {typ}")
    return data


def mailbox_poll(config: dict | None = None, limit: int = POLL_LIMIT) -> PollResult:
    """Take new mails from the hotline mailbox into the inbox (see the module docstring).

    Call it outside any transaction: each mail must be committed before it is flagged.
    """
    config = config if config is not None else settings.TONGDAI_IMAP
    result = PollResult()
    if not config:
        result.error = "not_configured"
        return result
    try:
        imap = _connect(config)
        try:
            _take(imap, config, limit, result)
        finally:
            try:
                imap.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
    except (imaplib.IMAP4.error, OSError, DatabaseError) as exc:
        # Class name only: an IMAP error text can quote a subject or an address.
        result.error = type(exc).__name__
        logger.warning("mailbox poll stopped (%s): %d taken, the rest wait for the next poll",
                       result.error, result.accepted + result.duplicates)
    return result


def _take(imap: imaplib.IMAP4, config: dict, limit: int, result: PollResult) -> None:
    _check(imap.select(_quoted(config["folder"])))
    keywords = _keywords_kept(imap)
    criteria = ("UNDELETED", "UNKEYWORD", KEYWORD) if keywords else ("UNDELETED", "UNSEEN")
    data = _check(imap.uid("SEARCH", *criteria))
    uids = [int(u) for u in b" ".join(data or [b""]).split() if u.isdigit()]
    result.found = len(uids)
    flags = f"({KEYWORD} \\Seen)" if keywords else "(\\Seen)"
    for uid in sorted(uids)[:limit]:
        raw = _fetched_bytes(_check(imap.uid("FETCH", str(uid), "(BODY.PEEK[])")))
        if raw is None:  # expunged by someone else since the search
            continue
        event_id, text = raw_for_inbox(raw)
        _event, created = inbox_accept(Provider.EMAIL, event_id, text)
        if created:
            result.accepted += 1
        else:
            result.duplicates += 1
        _check(imap.uid("STORE", str(uid), "+FLAGS.SILENT", flags))


def mailbox_check(config: dict | None = None) -> tuple[int, str]:
    """``(messages in the folder, "")`` or ``(0, error code)``: for ``tongdai mailbox check``."""
    config = config if config is not None else settings.TONGDAI_IMAP
    if not config:
        return 0, "not_configured"
    try:
        imap = _connect(config)
        try:
            data = _check(imap.select(_quoted(config["folder"]), readonly=True))
        finally:
            imap.logout()
    except (imaplib.IMAP4.error, OSError) as exc:
        return 0, type(exc).__name__
    return int((data or [b"0"])[0] or 0), ""
