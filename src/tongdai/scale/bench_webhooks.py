"""``tongdai bench webhooks``: provider webhook intake under a steady load (issue 4).

Sends signed Zalo OA and Messenger events, alternately, at a fixed rate (default 200 per
second for 60 seconds) to a running ``tongdai serve`` over several keep-alive HTTP/1.1
connections, then reports:

- events sent, answered 200 (accepted), answered otherwise (by status), transport errors;
- achieved rate; latency percentiles (p50/p95/p99) from the request being written to the
  answer read, and from its *scheduled* time (includes waiting for a free connection, so
  a server that falls behind shows here: no coordinated omission);
- **lost events**: answered 200 but with no ``InboundEvent`` row (must be 0), read from
  the server's database through the ORM (same ``TONGDAI_DATABASE_URL`` /
  ``TONGDAI_DATA_DIR`` as the server);
- processed events once the worker has drained the inbox (waits up to ``--wait`` s).

Every event has a unique provider id starting with ``bench-<run>-``, so runs never collide
and a run's rows can be told apart. Payloads are synthetic (Vietnamese text, made-up
sender ids). The open-loop schedule is kept by one producer; ``--connections`` workers
send. Plain stdlib (asyncio streams): no client library sits between the figures and the
server. Never point it at production: it adds conversations.

Exit status 0 when every event was accepted and none was lost, else 1.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TEXTS = ["Cháu bị đánh, cứu cháu với", "Em cần tư vấn về bạo lực học đường",
         "Có người lạ rủ bạn em đi làm xa", "Tôi muốn báo tin một trẻ bị bỏ rơi",
         "Mẹ em đi làm chưa về, em sợ lắm"]


def add_arguments(parser) -> None:
    parser.add_argument("--rate", type=int, default=200, dest="wh_rate", metavar="N",
                        help="events per second (default 200)")
    parser.add_argument("--seconds", type=int, default=60, dest="wh_seconds", metavar="N",
                        help="duration of the load (default 60)")
    parser.add_argument("--url", default="http://127.0.0.1:8000", dest="wh_url", metavar="URL",
                        help="base URL of the running server (default http://127.0.0.1:8000)")
    parser.add_argument("--connections", type=int, default=32, dest="wh_connections", metavar="N",
                        help="concurrent keep-alive connections (default 32)")
    parser.add_argument("--providers", default="zalo,messenger", dest="wh_providers", metavar="LIST",
                        help="comma-separated: zalo, messenger (default both, alternating)")
    parser.add_argument("--wait", type=int, default=300, dest="wh_wait", metavar="SECONDS",
                        help="seconds to wait for the worker to process the events (default "
                             "300; 0 = do not wait)")
    parser.add_argument("--no-db", action="store_true", dest="wh_no_db",
                        help="server's database not reachable from here: skip lost/processed")
    parser.add_argument("--zalo-app-id", dest="wh_zalo_app_id", metavar="ID",
                        default=os.environ.get("TONGDAI_ZALO_APP_ID", ""),
                        help="default: TONGDAI_ZALO_APP_ID")
    parser.add_argument("--zalo-oa-secret", dest="wh_zalo_oa_secret", metavar="SECRET",
                        default=os.environ.get("TONGDAI_ZALO_OA_SECRET", ""),
                        help="default: TONGDAI_ZALO_OA_SECRET")
    parser.add_argument("--messenger-app-secret", dest="wh_messenger_secret", metavar="SECRET",
                        default=os.environ.get("TONGDAI_MESSENGER_APP_SECRET", ""),
                        help="default: TONGDAI_MESSENGER_APP_SECRET")


# --- events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    event_id: str  # the provider id the server stores as InboundEvent.provider_event_id
    path: str
    body: bytes
    headers: tuple[tuple[str, str], ...]


def zalo_event(n: int, run: str, app_id: str, secret: str) -> Event:
    timestamp = str(int(time.time() * 1000))
    event_id = f"bench-{run}-{n}"
    body = json.dumps({
        "app_id": app_id, "event_name": "user_send_text",
        "sender": {"id": f"9{n % 997:015d}"}, "recipient": {"id": "579745863508352884"},
        "message": {"msg_id": event_id, "text": TEXTS[n % len(TEXTS)]},
        "timestamp": timestamp, "user_id_by_app": f"55{n % 997:016d}",
    }, ensure_ascii=False).encode("utf-8")
    mac = hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode())
    return Event(event_id, "/hooks/zalo", body, (("X-ZEvent-Signature", f"mac={mac.hexdigest()}"),))


def messenger_event(n: int, run: str, app_secret: str) -> Event:
    event_id = f"bench-{run}-{n}"
    # ensure_ascii (the default) escapes Vietnamese as \\uXXXX, as Meta sends it.
    body = json.dumps({"object": "page", "entry": [{
        "id": "106712345678901", "time": int(time.time() * 1000),
        "messaging": [{"sender": {"id": f"7{n % 997:015d}"},
                       "recipient": {"id": "106712345678901"},
                       "timestamp": int(time.time() * 1000),
                       "message": {"mid": event_id, "text": TEXTS[n % len(TEXTS)]}}]}]}
                      ).encode()
    signature = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return Event(event_id, "/hooks/messenger", body,
                 (("X-Hub-Signature-256", f"sha256={signature}"),))


# --- load ------------------------------------------------------------------------------


@dataclass
class Results:
    sent: int = 0
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    accepted: set[str] = field(default_factory=set)
    latency: list[float] = field(default_factory=list)  # write → answer
    from_schedule: list[float] = field(default_factory=list)  # scheduled time → answer
    started: float = 0.0
    finished: float = 0.0


class Connection:
    """One keep-alive HTTP/1.1 connection; reopened after an error or ``Connection: close``."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, event: Event) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = [f"POST {event.path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                "Content-Type: application/json", f"Content-Length: {len(event.body)}",
                *(f"{k}: {v}" for k, v in event.headers)]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("ascii") + event.body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed by the server")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _load(events: list[Event], rate: int, host: str, port: int, connections: int,
                results: Results) -> None:
    queue: asyncio.Queue = asyncio.Queue()
    loop = asyncio.get_running_loop()

    async def produce():
        start = loop.time()
        results.started = time.monotonic()
        for n, event in enumerate(events):
            due = start + n / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((event, due))
        for _ in range(connections):
            queue.put_nowait(None)

    async def send(connection: Connection):
        while (item := await queue.get()) is not None:
            event, due = item
            results.sent += 1
            began = loop.time()
            try:
                status = await asyncio.wait_for(connection.request(event), timeout=30)
            except (TimeoutError, OSError, ValueError, asyncio.IncompleteReadError) as exc:
                results.errors[type(exc).__name__] += 1
                connection.close()
                continue
            done = loop.time()
            results.statuses[status] += 1
            results.latency.append(done - began)
            results.from_schedule.append(done - due)
            if status == 200:
                results.accepted.add(event.event_id)
        connection.close()

    await asyncio.gather(produce(), *(send(Connection(host, port))
                                      for _ in range(connections)))
    results.finished = time.monotonic()


# --- database checks -------------------------------------------------------------------


def stored_and_processed(run: str, patience: float = 120) -> tuple[set[str], int]:
    """Event ids of this run found in the inbox, and how many of them are processed.

    Retried for up to ``patience`` seconds when the database refuses the connection (a
    PostgreSQL server at ``max_connections`` right after the load)."""
    from django.db import DatabaseError, close_old_connections, connection

    from tongdai.channels.models import InboundEvent

    deadline = time.monotonic() + patience
    while True:
        close_old_connections()
        try:
            rows = InboundEvent.objects.filter(provider_event_id__startswith=f"bench-{run}-")
            stored = set(rows.values_list("provider_event_id", flat=True))
            return stored, rows.filter(processed_at__isnull=False).count()
        except DatabaseError:
            connection.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def run(options: dict, stdout) -> int:
    rate, seconds = options["wh_rate"], options["wh_seconds"]
    connections = options["wh_connections"]
    providers = [p.strip() for p in options["wh_providers"].split(",") if p.strip()]
    if rate < 1 or seconds < 1 or connections < 1:
        stdout.write("--rate, --seconds and --connections must be positive.\n")
        return 2
    if not providers or set(providers) - {"zalo", "messenger"}:
        stdout.write("--providers takes zalo and/or messenger.\n")
        return 2
    secrets = {"zalo": options["wh_zalo_app_id"] and options["wh_zalo_oa_secret"],
               "messenger": options["wh_messenger_secret"]}
    missing = [p for p in providers if not secrets[p]]
    if missing:
        stdout.write(f"Secrets missing for {', '.join(missing)}: set TONGDAI_ZALO_APP_ID and "
                     "TONGDAI_ZALO_OA_SECRET / TONGDAI_MESSENGER_APP_SECRET (the server's "
                     "values) or pass them as options.\n")
        return 2
    url = urlsplit(options["wh_url"])
    if url.scheme != "http" or not url.hostname:
        stdout.write("--url must be http://host:port (TLS is terminated in front of tongdai).\n")
        return 2

    run_id = uuid.uuid4().hex[:8]
    total = rate * seconds
    events = [zalo_event(n, run_id, options["wh_zalo_app_id"], options["wh_zalo_oa_secret"])
              if providers[n % len(providers)] == "zalo"
              else messenger_event(n, run_id, options["wh_messenger_secret"])
              for n in range(total)]
    stdout.write(f"Run {run_id}: {total} events ({'+'.join(providers)}) at {rate}/s for "
                 f"{seconds} s over {connections} connections to {options['wh_url']}\n")
    stdout.flush()
    results = Results()
    asyncio.run(_load(events, rate, url.hostname, url.port or 80, connections, results))
    elapsed = results.finished - results.started
    non_200 = {s: n for s, n in results.statuses.items() if s != 200}
    lines = [
        ("events sent", f"{results.sent}"),
        ("accepted (200)", f"{len(results.accepted)}"),
        ("non-200 answers", ", ".join(f"{s}: {n}" for s, n in sorted(non_200.items())) or "0"),
        ("transport errors", ", ".join(f"{k}: {n}" for k, n in results.errors.items()) or "0"),
        ("achieved rate", f"{results.sent / elapsed:.1f}/s over {elapsed:.1f} s"),
        ("latency p50 / p95 / p99", " / ".join(
            f"{percentile(results.latency, p) * 1000:.1f} ms" for p in (50, 95, 99))),
        ("from schedule p50 / p95 / p99", " / ".join(
            f"{percentile(results.from_schedule, p) * 1000:.1f} ms" for p in (50, 95, 99))),
    ]
    width = 30
    for key, value in lines:
        stdout.write(f"  {key:<{width}}  {value}\n")
    stdout.flush()
    lines = []
    lost = 0
    if not options["wh_no_db"]:
        stored, processed = stored_and_processed(run_id)
        lost = len(results.accepted - stored)
        lines.append(("lost (200 but not stored)", f"{lost}"))
        waited_from = time.monotonic()
        while processed < len(stored) and time.monotonic() - waited_from < options["wh_wait"]:
            time.sleep(2)
            stored, processed = stored_and_processed(run_id)
        drained = time.monotonic() - waited_from
        lines.append(("processed by the worker", f"{processed} of {len(stored)} stored "
                                                  f"({drained:.0f} s after the load ended)"))
    for key, value in lines:
        stdout.write(f"  {key:<{width}}  {value}\n")
    ok = (len(results.accepted) == total and not non_200 and not results.errors and lost == 0)
    stdout.write(("OK" if ok else "NOT OK") + "\n")
    return 0 if ok else 1
