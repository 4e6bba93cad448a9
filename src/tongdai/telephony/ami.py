"""Asterisk Manager Interface listener: queue events → the telephony inbox.

``tongdai ami`` (started by ``tongdai serve`` when ``TONGDAI_AMI_URL`` is set) logs in to
Asterisk with panoramisk, listens to the queue events ``adapters.ami_updates`` maps
(QueueCallerJoin, AgentConnect, AgentComplete, QueueCallerAbandon, Hangup) and writes
each one to ``CallEvent`` (provider ``ami``); the worker does the rest, as for webhooks.

Nothing accepted is lost while the process lives: an event whose database write fails is
kept in memory and written again every few seconds. panoramisk reconnects by itself when
Asterisk restarts. A refused login is a configuration error: the command exits non-zero.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.db import DatabaseError, connection
from django.utils import timezone
from panoramisk import Manager

from tongdai.core.inbox import sha256_hex
from tongdai.telephony.adapters import AMI_EVENTS
from tongdai.telephony.models import CallProvider
from tongdai.telephony.services import call_event_accept

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5


class AmiConfigError(ValueError):
    """``TONGDAI_AMI_URL`` is not ``ami://user:secret@host[:port]``, or the login failed."""


@dataclass(frozen=True)
class AmiTarget:
    host: str
    port: int
    username: str
    secret: str


def parse_ami_url(url: str) -> AmiTarget:
    parts = urlsplit(url)
    if parts.scheme != "ami" or not parts.hostname or not parts.username:
        raise AmiConfigError("TONGDAI_AMI_URL must look like ami://user:secret@host:5038")
    try:
        port = parts.port or 5038
    except ValueError as exc:
        raise AmiConfigError("TONGDAI_AMI_URL has an invalid port") from exc
    return AmiTarget(parts.hostname, port, unquote(parts.username), unquote(parts.password or ""))


def event_record(message) -> tuple[str, str]:
    """``(event id, stored JSON)`` of one AMI event. The id is the SHA-256 of its fields,
    so the same event delivered twice (a replay after a reconnect) is stored once; the
    time tongdai received it is added for events without ``Timestamp``."""
    fields = {str(key): str(value) for key, value in dict(message).items()
              if not str(key).startswith("_")}
    event_id = sha256_hex(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode())
    fields["_received"] = timezone.now().isoformat()
    return event_id, json.dumps(fields, ensure_ascii=False, sort_keys=True)


class _Manager(Manager):
    """panoramisk's manager, remembering a refused login (it only reports successes)."""

    refused = False

    def login(self, future):
        authenticated = super().login(future)
        if not authenticated:
            self.refused = True
        return authenticated


class AmiListener:
    """Connects, listens and stores until ``stop`` is set.

    The AMI connection runs in its own thread (panoramisk is asyncio); events cross to the
    thread that called ``run`` through a queue and are written there with the ordinary,
    synchronous ORM.
    """

    def __init__(self, url: str, stop: threading.Event):
        self.target = parse_ami_url(url)
        self.stop = stop
        self.inbox: queue.Queue[tuple[str, str]] = queue.Queue()
        self.stored = 0
        self.code = 0

    def run(self) -> int:
        """Listen until ``stop`` is set (exit code 0) or the login is refused (2)."""
        thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True,
                                  name="ami-connection")
        thread.start()
        while thread.is_alive() or not self.inbox.empty():
            try:
                item = self.inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            self._store(item)
        thread.join()
        return self.code

    def _store(self, item: tuple[str, str]) -> None:
        """Write one event; while the database refuses, keep it and try again."""
        while True:
            try:
                call_event_accept(CallProvider.AMI, *item)
                self.stored += 1
                return
            except DatabaseError:
                if not connection.in_atomic_block:
                    connection.close()  # a fresh connection for the retry
                if self.stop.is_set():
                    logger.error("AMI: stopping with %d event(s) not stored (database down)",
                                 self.inbox.qsize() + 1)
                    return
                logger.warning("AMI: inbox write failed; event kept, retrying in %d s",
                               RETRY_SECONDS)
                self.stop.wait(RETRY_SECONDS)

    async def _main(self) -> None:
        loop = asyncio.get_running_loop()
        manager = _Manager(loop=loop, host=self.target.host, port=self.target.port,
                          username=self.target.username, secret=self.target.secret,
                          ping_delay=10, ping_interval=10, reconnect_timeout=2,
                          log=logging.getLogger("tongdai.telephony.ami.panoramisk"),
                          on_login=lambda _m: logger.info("AMI: logged in"))
        for name in AMI_EVENTS:
            manager.register_event(name, self._on_event)
        manager.connect()
        try:
            while not self.stop.is_set():
                await asyncio.sleep(0.2)
                if manager.refused:
                    logger.error("AMI: login refused; check TONGDAI_AMI_URL")
                    self.code = 2
                    return
        finally:
            manager.close()

    def _on_event(self, manager, message) -> None:
        self.inbox.put(event_record(message))
