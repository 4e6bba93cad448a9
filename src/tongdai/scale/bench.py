"""``tongdai bench reads``: how fast the screens a counsellor and a manager use are, on a
generated database (``tongdai generate``), and how close the app is to hand-written SQL.

Every read goes through the app's own service functions (the ones the views and the API
call, with their access scoping and audit records) and, in the same run, through the raw
SQL that fetches the same rows or counts. Reported: p50/p95/p99 in milliseconds and the
ratio app/raw of the medians.

Contact creation is measured end to end: a real uvicorn server (``tongdai.asgi``, its
own processes) started by the benchmark on a free local port, and 8 client threads each
POSTing completed contacts to ``/api/v1/contacts`` with their own counsellor's bearer
token (over keep-alive HTTP connections). Reported: contacts per second and latency.

Never run against a production database: it adds contacts, API tokens and audit records.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from tongdai.accounts.models import ApiToken, User
from tongdai.cases.models import Case, CaseAccess, CaseStatus
from tongdai.cases.services import CaseFilter, case_audit_list, case_list_page
from tongdai.contacts.models import Contact
from tongdai.contacts.services import (
    ContactFilter,
    audit_list,
    caller_history,
    contact_list_page,
)
from tongdai.core.idsets import id_set
from tongdai.reports.services import Period
from tongdai.scale.generate import GEN_PREFIX

PAGE = 25


@dataclass
class Timing:
    name: str
    app: list[float]
    raw: list[float] | None = None
    note: str = ""

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]

    def row(self) -> list[str]:
        p = [self.pct(self.app, q) for q in (50, 95, 99)]
        out = [self.name, str(len(self.app)), *(f"{v:.1f}" for v in p)]
        if self.raw:
            r50, r95 = self.pct(self.raw, 50), self.pct(self.raw, 95)
            out += [f"{r50:.1f}", f"{r95:.1f}", f"{p[0] / r50:.2f}" if r50 > 0 else "-"]
        else:
            out += ["-", "-", "-"]
        return out


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _measure(name: str, app_fn, raw_fn, inputs: list, *, note: str = "") -> Timing:
    """Run app and raw on the same inputs, taking turns at going first: whichever runs
    second on an input finds the pages the first one read already in memory, so each
    side goes first on half of the inputs."""
    app_fn(inputs[0])  # warm-up: plan caches, reference data
    if raw_fn:
        raw_fn(inputs[0])
    app, raw = [], []
    for i, value in enumerate(inputs):
        if raw_fn and i % 2:
            raw.append(_timed(lambda v=value: raw_fn(v)))
        app.append(_timed(lambda v=value: app_fn(v)))
        if raw_fn and not i % 2:
            raw.append(_timed(lambda v=value: raw_fn(v)))
    return Timing(name, app, raw or None, note)


def _fetch(sql: str, params: list) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --------------------------------------------------------------------------- actors & inputs


def _bench_user(username: str, role: str, centre: str | None) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        from tongdai.accounts.provisioning import user_create

        user = user_create(username, role, os.urandom(16).hex() + "Aa1!", centre=centre,
                           full_name=f"{username} (dữ liệu giả lập)", via="cli")
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _actors() -> dict[str, User]:
    counsellor = User.objects.filter(username=f"{GEN_PREFIX}hn.c01").first()
    case_manager = User.objects.filter(username=f"{GEN_PREFIX}hn.cm").first()
    if counsellor is None or case_manager is None:
        raise RuntimeError("No generated staff: run tongdai generate first.")
    return {"counsellor": counsellor, "case_manager": case_manager,
            "manager": _bench_user(f"{GEN_PREFIX}hn.mgr", "centre_manager", "HN"),
            "admin": _bench_user(f"{GEN_PREFIX}admin", "national_admin", None)}


def _sample_contacts(centre: str, n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(caller_phone, search_text) of ``n`` random contacts of ``centre`` with a name."""
    last = Contact.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    out: list[tuple[str, str]] = []
    tries = 0
    while len(out) < n and tries < n * 50:
        tries += 1
        start = rng.randrange(1, last + 1)
        row = (Contact.objects.filter(pk__gte=start, centre_id=centre).exclude(caller_phone="")
               .exclude(caller_name="").order_by("pk").values_list("caller_phone", "search_text").first())
        if row:
            out.append(row)
    return out


# --------------------------------------------------------------------------- raw SQL twins


def _contact_select() -> str:
    """The columns the contact list gives its callers (the page, ``GET /api/v1/contacts``):
    every column of the contact and its counsellor's username and name; centre, kind and
    province come from the reference cache in the app, so they are not joined here either."""
    columns = ", ".join(f"c.{f.column}" for f in Contact._meta.concrete_fields)
    return (f"SELECT {columns}, u.username, u.full_name FROM contacts_contact c "
            "JOIN accounts_user u ON u.id = c.counsellor_id ")


def _raw_audit(user: User, action: str, ids: list[int], detail: dict, object_type: str = "contact") -> None:
    """The audit row the app writes for a list or a search (``audit_record``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, actor_id, actor_username, action, object_type, "
            "object_id, object_ids, fields, detail, ip, via) VALUES "
            "(%s, %s, %s, %s, %s, NULL, %s, %s, %s, NULL, %s)",
            [timezone.now(), user.pk, user.username, action, object_type, json.dumps(ids), "[]",
             json.dumps(detail), "bench"])


def _raw_topics(ids: list[int]) -> None:
    if ids:
        marks = ", ".join(["%s"] * len(ids))
        _fetch(f"SELECT contact_id, topic_id FROM contacts_contacttopic WHERE contact_id IN ({marks})", ids)


def _raw_scope(user: User) -> tuple[str, list]:
    return "c.centre_id = %s AND (c.status = 'completed' OR c.counsellor_id = %s)", [user.centre_id, user.pk]


def raw_caller_history(user: User, phone: str) -> None:
    """The columns the history panel shows (kind and topic labels come from the reference
    cache, in the app as here: codes only), the topic codes, the audit row."""
    scope, params = _raw_scope(user)
    rows = _fetch(f"SELECT c.id, c.centre_id, c.received_at, c.status, c.urgent, c.kind_id "
                  f"FROM contacts_contact c WHERE {scope} AND c.caller_phone = %s "
                  "ORDER BY c.received_at DESC, c.id DESC LIMIT 10", [*params, phone])
    if rows:
        ids = [r[0] for r in rows]
        _raw_topics(ids)
        _raw_audit(user, "list", ids, {"caller_history": True})


def raw_search(user: User, terms: list[str]) -> None:
    scope, params = _raw_scope(user)
    where = " AND ".join("c.search_text LIKE %s" for _ in terms)
    rows = _fetch(_contact_select() + f"WHERE {scope} AND {where} "
                  f"ORDER BY c.received_at DESC, c.id DESC LIMIT {PAGE + 1}",
                  [*params, *(f"%{t}%" for t in terms)])
    shown = [r[0] for r in rows][:PAGE]
    _raw_topics(shown)
    _raw_audit(user, "search", shown, {"filters": {"q": True}, "page": 1, "shown": len(shown)})


def raw_filtered(user: User, start, end, channel: str, kind: str) -> None:
    scope, params = _raw_scope(user)
    rows = _fetch(_contact_select() + f"WHERE {scope} AND c.received_at >= %s AND c.received_at < %s "
                  "AND c.channel = %s AND c.kind_id = %s "
                  f"ORDER BY c.received_at DESC, c.id DESC LIMIT {PAGE + 1}",
                  [*params, start, end, channel, kind])
    shown = [r[0] for r in rows][:PAGE]
    _raw_topics(shown)
    _raw_audit(user, "list", shown, {"filters": {"channel": channel, "kind": kind}, "page": 1,
                                     "shown": len(shown)})


def raw_cases(user: User, status: str) -> None:
    """The columns the case list gives its callers (the page and ``GET /api/v1/cases``):
    every column of the case and its manager's username and name."""
    columns = ", ".join(f"s.{f.column}" for f in Case._meta.concrete_fields)
    rows = _fetch(f"SELECT {columns}, u.username, u.full_name "
                  "FROM cases_case s LEFT JOIN accounts_user u ON u.id = s.case_manager_id "
                  f"WHERE s.centre_id = %s AND s.status = %s AND (s.sensitivity = 'normal' "
                  f"OR s.case_manager_id = %s OR EXISTS (SELECT 1 FROM {CaseAccess._meta.db_table} a "
                  "WHERE a.case_id = s.id AND a.user_id = %s)) "
                  f"ORDER BY s.opened_at DESC, s.id DESC LIMIT {PAGE + 1}",
                  [user.centre_id, status, user.pk, user.pk])
    shown = [r[0] for r in rows][:PAGE]
    _raw_audit(user, "list", shown, {"filters": {"status": status}, "page": 1, "shown": len(shown)}, "case")


def _raw_rollups(columns: str, d_from, d_to, centre: str | None, dimension: str | None = None) -> list:
    """Rollup counts (counter rows plus pending deltas) of the day range grouped by
    ``columns``, as ``tongdai.reports.rollups.rollup_sums`` reads them."""
    cond = "day >= %s AND day <= %s"
    params: list = [d_from, d_to]
    if centre:
        cond += " AND centre_id = %s"
        params.append(centre)
    if dimension:
        cond += " AND dimension = %s"
        params.append(dimension)
    return _fetch(f"SELECT {columns}, SUM(n) FROM (SELECT {columns}, count AS n FROM reports_contactdaycount "
                  f"WHERE {cond} UNION ALL SELECT {columns}, delta FROM reports_contactdaydelta "
                  f"WHERE {cond}) x GROUP BY {columns}", params + params)


def raw_summary(d_from: datetime.date, d_to: datetime.date, centre: str | None = None) -> None:
    """The standard report in hand-written SQL over the same tables the app reads: contact
    counts of every dimension from the daily rollups, referrals by outcome and agency
    type, and people rescued (same definitions as ``tongdai.reports.services``)."""
    period = Period(d_from, d_to)
    start, end = period.start, period.end
    _raw_rollups("dimension, key, centre_id", d_from, d_to, centre)
    rcond = "r.sent_at >= %s AND r.sent_at < %s AND r.status <> 'revoked'"
    rparams: list = [start, end]
    if centre:
        rcond += " AND s.centre_id = %s"
        rparams.append(centre)
    rfrom = f"FROM referrals_referral r JOIN cases_case s ON s.id = r.case_id WHERE {rcond}"
    _fetch(f"SELECT r.outcome, r.status, COUNT(*) {rfrom} GROUP BY 1, 2", rparams)
    _fetch(f"SELECT a.type, COUNT(*) FROM referrals_referral r JOIN cases_case s ON s.id = r.case_id "
           f"JOIN accounts_agency a ON a.id = r.agency_id WHERE {rcond} GROUP BY 1", rparams)
    _fetch(f"SELECT COUNT(DISTINCT r.case_id) {rfrom}", rparams)
    # People rescued: cases whose first rescue or support event (a completed rescue
    # referral, a rescue reception, support given, a shelter stay) falls in the period.
    sources = [  # (case id, moment, FROM … WHERE, moment is a date)
        ("r.case_id", "st.at", "referrals_referralstep st JOIN referrals_referral r ON "
         "r.id = st.referral_id WHERE st.status = 'completed' AND r.outcome IN ('rescued', 'supported')", False),
        ("e.case_id", "e.received_at", "trafficking_reception e WHERE e.how = 'rescued'", False),
        ("g.case_id", "g.date", "trafficking_supportgiven g WHERE g.date IS NOT NULL", True),
        ("g.case_id", "g.recorded_at", "trafficking_supportgiven g WHERE g.date IS NULL", False),
        ("h.case_id", "h.start", "trafficking_shelterstay h WHERE 1 = 1", True),
    ]
    parts, params = [], []
    for case_id, moment, source, is_date in sources:
        low, high = (d_from, d_to) if is_date else (start, end)
        scope = f" AND {case_id} IN (SELECT id FROM cases_case WHERE centre_id = %s)" if centre else ""
        parts.append(f"SELECT {case_id} FROM {source} AND {moment} >= %s "
                     f"AND {moment} {'<=' if is_date else '<'} %s{scope}")
        params += [low, high, *([centre] if centre else [])]
    cases = [r[0] for r in _fetch(" UNION ".join(parts), params)]
    if cases:
        ids = id_set(cases)  # one array (PostgreSQL) or JSON (SQLite) parameter, as the app
        _fetch(" UNION ".join(f"SELECT {case_id} FROM {source} AND {moment} < %s "
                              f"AND {case_id} IN ({ids.sql})" for case_id, moment, source, _d in sources),
               [p for *_, is_date in sources for p in (d_from if is_date else start, *ids.params)])
        _fetch(f"SELECT p.case_id, COUNT(*) FROM cases_caseperson p WHERE p.role = 'child_victim' "
               f"AND p.case_id IN ({ids.sql}) GROUP BY p.case_id", list(ids.params))


def raw_dashboard(d_from: datetime.date, d_to: datetime.date, today: datetime.date,
                  centre: str | None) -> None:
    """The dashboard in hand-written SQL: the summary, today's and this week's totals and
    the daily trend from the rollups, deadlines due and calls."""
    raw_summary(d_from, d_to, centre)
    for low in (today, today - datetime.timedelta(days=today.weekday())):
        _raw_rollups("dimension", low, today, centre, "total")
    _raw_rollups("day", d_from, d_to, centre, "total")
    period = Period(d_from, d_to)
    start, end = period.start, period.end
    dl = ("SELECT d.kind, COUNT(*) FROM deadlines_deadline d JOIN cases_case s ON s.id = d.case_id "
          "WHERE d.due_at >= %s AND d.due_at < %s AND d.cancelled_at IS NULL")
    calls = ("SELECT COUNT(*), COUNT(answered_at), SUM(CASE WHEN state = 'abandoned' THEN 1 ELSE 0 END) "
             "FROM telephony_call WHERE started_at >= %s AND started_at < %s")
    if centre:
        _fetch(dl + " AND s.centre_id = %s GROUP BY d.kind", [start, end, centre])
        _fetch(calls + " AND centre_id = %s", [start, end, centre])
    else:
        _fetch(dl + " GROUP BY d.kind", [start, end])
        _fetch(calls, [start, end])


# --------------------------------------------------------------------------- create


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """uvicorn serving the app on a free local port, with this process's settings."""

    def __init__(self, workers: int):
        self.port = _free_port()
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="tongdai.settings")
        self.log = Path(settings.DATA_DIR) / "bench-server.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "tongdai.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(workers), "--no-access-log",
             "--log-level", "warning"], env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status < 500:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the server did not start; see {self.log}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _payload(rng: random.Random, n: int) -> bytes:
    now = timezone.now()
    received = now - datetime.timedelta(minutes=rng.randint(5, 50))
    prefix = rng.choice(["90", "91", "93", "94", "96", "97", "98", "86", "88", "32"])
    data = {
        "status": "completed", "channel": "phone_111", "kind": "counselling_psychological",
        "topics": ["peers"], "summary": "Trẻ buồn vì bị bạn thân xa lánh (dữ liệu giả lập).",
        "received_at": received.isoformat(),
        "answered_at": (received + datetime.timedelta(seconds=20)).isoformat(),
        "ended_at": (received + datetime.timedelta(minutes=4)).isoformat(),
        "caller": {"phone": f"+84{prefix}{rng.randrange(10**7):07d}", "name": f"Nguyễn Thị Bench {n}",
                   "relation": "child_self", "sex": "female", "age": 14, "province": "01",
                   "consent_keep": True},
        "subjects": [{"name": f"Nguyễn Thị Bench {n}", "sex": "female", "age": 14, "province": "01"}],
    }
    return json.dumps(data).encode()


def bench_create(clients: int, total: int, workers: int, url: str | None,
                 warmup: int = 0) -> tuple[Timing, float, int]:
    """(latencies, contacts per second, failures) of ``total`` creates by ``clients`` threads.

    Each client first sends its share of ``warmup`` creates, not measured: a fresh server
    process imports the views, fills its caches and opens its pool connections on its
    first requests, and the target is the steady rate. The clock starts when every client
    has finished its warm-up (a barrier), so no warm-up request overlaps the measure."""
    users = list(User.objects.filter(username__startswith=f"{GEN_PREFIX}hn.c").order_by("username")[:clients])
    tokens = [ApiToken.issue(u, name="bench")[1] for u in users]
    server = None
    if url:
        host, port = url.replace("http://", "").rstrip("/").split(":")
        port = int(port)
    else:
        server = _Server(workers)
        host, port = "127.0.0.1", server.port
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    per_client = total // clients
    warm_per_client = warmup // clients
    ready = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        rng = random.Random(index)
        conn = http.client.HTTPConnection(host, port, timeout=30)
        headers = {"Authorization": f"Bearer {tokens[index % len(tokens)]}",
                   "Content-Type": "application/json"}
        try:
            for n in range(warm_per_client):
                conn.request("POST", "/api/v1/contacts", body=_payload(rng, -1 - n), headers=headers)
                conn.getresponse().read()
        except OSError:
            conn = http.client.HTTPConnection(host, port, timeout=30)
        ready.wait(timeout=300)
        for n in range(per_client):
            body = _payload(rng, index * per_client + n)
            started = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/contacts", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 201
            except OSError:
                ok = False
                conn = http.client.HTTPConnection(host, port, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if not ok:
                    failures[0] += 1

    try:
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        ready.wait(timeout=300)
        started = time.perf_counter()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
    finally:
        if server:
            server.stop()
        ApiToken.objects.filter(user__in=users, name="bench").delete()
    rate = len(latencies) / seconds if seconds else 0.0
    where = url or f"uvicorn, {workers} worker process(es)"
    return (Timing(f"create contact via API ({clients} clients, {where})", latencies, None,
                   note=f"{rate:.0f}/s"), rate, failures[0])


# --------------------------------------------------------------------------- reads


def bench_reads(iterations: int, report_iterations: int, seed: int, stdout) -> list[Timing]:
    from tongdai.reports.services import dashboard_data, report_summary

    rng = random.Random(seed)
    actors = _actors()
    counsellor, manager, admin = actors["counsellor"], actors["manager"], actors["admin"]
    case_manager = actors["case_manager"]
    samples = _sample_contacts(counsellor.centre_id, iterations, rng)
    if not samples:
        raise RuntimeError("No generated contacts with a phone and a name: run tongdai generate first.")
    timings: list[Timing] = []

    def add(timing: Timing) -> None:
        """Keep the timing and show it at once: a later failure loses nothing."""
        timings.append(timing)
        stdout.write("  " + " | ".join(timing.row()) + "\n")
        stdout.flush()

    def history(phone):
        caller_history(counsellor, phone, via="bench")

    add(_measure("caller history by phone", history,
                            lambda phone: raw_caller_history(counsellor, phone), [p for p, _ in samples]))

    def name_query(text: str) -> str:
        words = text.split(" | ")[0].split()
        return " ".join(words[-2:]) if len(words) >= 2 else text  # "thi lan": middle + given name

    def search(q):
        flt = ContactFilter(q=q)
        rows, _more = contact_list_page(counsellor, flt, 1, PAGE)
        audit_list(counsellor, rows, flt, via="bench")

    queries = [name_query(text) for _, text in samples]
    add(_measure("text search (accent-insensitive, 2 words)", search,
                            lambda q: raw_search(counsellor, q.split()), queries))

    today = timezone.localdate()
    month_ago = today - datetime.timedelta(days=30)
    month = Period(month_ago, today)
    start, end = month.start, month.end
    combos = [(ch, kind) for ch in ("phone_111", "zalo", "facebook")
              for kind in ("information", "counselling_psychological", "report")]

    def filtered(combo):
        channel, kind = combo
        flt = ContactFilter(date_from=month_ago, date_to=today, channel=channel, kind=kind)
        rows, _more = contact_list_page(counsellor, flt, 1, PAGE)
        audit_list(counsellor, rows, flt, via="bench")

    add(_measure("filtered contact list (30 days, channel, kind)", filtered,
                            lambda c: raw_filtered(counsellor, start, end, *c),
                            [combos[i % len(combos)] for i in range(iterations)]))

    def cases(status):
        flt = CaseFilter(status=status)
        rows, _more = case_list_page(case_manager, flt, 1, PAGE)
        case_audit_list(case_manager, rows, flt, via="bench")

    add(_measure("case list (open/closed)", cases, lambda s: raw_cases(case_manager, s),
                            [(CaseStatus.OPEN, CaseStatus.CLOSED)[i % 2] for i in range(iterations)]))

    year = today.year - 1
    y_from, y_to = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    add(_measure(f"yearly standard report ({year}, national)",
                            lambda _v: report_summary(admin, y_from, y_to),
                            lambda _v: raw_summary(y_from, y_to), list(range(report_iterations))))
    add(_measure(f"yearly standard report ({year}, centre HN)",
                            lambda _v: report_summary(manager, y_from, y_to),
                            lambda _v: raw_summary(y_from, y_to, "HN"), list(range(report_iterations))))

    d_from = today - datetime.timedelta(days=29)
    add(_measure("dashboard (30 days, centre HN)", lambda _v: dashboard_data(manager),
                            lambda _v: raw_dashboard(d_from, today, today, "HN"),
                            list(range(report_iterations))))
    add(_measure("dashboard (30 days, national)", lambda _v: dashboard_data(admin),
                            lambda _v: raw_dashboard(d_from, today, today, None),
                            list(range(report_iterations))))
    return timings


HEADER = ["measure", "n", "app p50", "app p95", "app p99", "raw p50", "raw p95", "app/raw"]


def format_table(timings: list[Timing]) -> str:
    rows = [HEADER] + [t.row() for t in timings]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = ["| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(r)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def describe_database() -> str:
    counts = {m.__name__: m.objects.count() for m in (Contact, Case)}
    vendor = connection.vendor
    return f"{vendor}: {counts['Contact']:,} contacts, {counts['Case']:,} cases"


def run_reads(options: dict, stdout) -> int:
    stdout.write(f"Database: {describe_database()}; load average {_load()} on {os.cpu_count()} CPUs\n")
    timings = []
    if not options.get("skip_create"):
        timing, rate, failures = bench_create(options["clients"], options["creates"],
                                              options["workers"], options.get("url"),
                                              warmup=options.get("warmup", 0))
        timings.append(timing)
        stdout.write(f"create: {rate:.0f} contacts/s with {options['clients']} clients, "
                     f"{failures} failed (after {options.get('warmup', 0)} warm-up creates, "
                     f"not measured)\n")
        connections.close_all()
    if not options.get("skip_reads"):
        # The contacts just created left rollup deltas that a running worker would have
        # folded within a second (tongdai.reports.rollups); this benchmark runs no worker.
        from tongdai.reports.rollups import fold

        stdout.write(f"Folded {fold():,} pending rollup deltas before the reads.\n")
        timings += bench_reads(options["iterations"], options["report_iterations"], options["seed"], stdout)
    stdout.write("Times in milliseconds; app = the service functions the views call "
                 "(scoping and audit included), raw = hand-written SQL for the same rows.\n")
    stdout.write(format_table(timings) + "\n")
    stdout.write(f"Load average at the end: {_load()}\n")
    for t in timings:
        if t.note:
            stdout.write(f"{t.name}: {t.note}\n")
    return 0


def _load() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "unknown"
