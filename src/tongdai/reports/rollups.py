"""Daily rollups of contact counts (``ContactDayCount``), and the rules for which keys a
completed contact counts under.

**What is counted.** For every completed contact, one row per (local day it was received,
centre, dimension, key) it counts under — the dimensions of the standard report that come
from the contacts table: ``total`` (key ``""``), ``kind``, ``topic``, ``channel``,
``region``, ``province`` and ``relation`` (``by_centre`` is ``total`` grouped by centre).
The rules (``contact_stat_keys`` for one contact, ``_row_keys``/``_topic_keys``/
``place_keys`` for both it and the set-based rebuild) are the report's definitions, stated
in ``tongdai.reports.services``; they live here only, so the rebuild and the write path
cannot drift apart.

**How it stays correct.** ``tongdai.contacts.services`` takes ``contact_snapshot`` of a
contact before changing it (``None`` for a draft or a new contact) and calls
``contact_changed(before, contact)`` after saving it, in the same transaction: the rows
the contact no longer counts under get −1, the new ones +1. Drafts count nowhere.

The ±1 are written as **pending deltas** (``ContactDayDelta``, plain inserts), not as
updates of the counter rows: every counsellor of a centre records contacts on the same
day, so an update would make each saving transaction wait for the previous one to commit
on the same rows. ``fold`` moves the deltas into ``ContactDayCount`` (one transaction that
deletes the deltas it claimed and adds them with an atomic upsert, ``INSERT … ON CONFLICT
DO UPDATE SET count = count + delta``); the job ``reports_rollups_fold`` runs it about a
second after contacts are saved (``fold_soon``) and every minute as a sweep. Readers never
wait for it: ``rollup_sums`` adds the counter rows and the pending deltas in one statement
(one snapshot), so a report counts every saved contact exactly once whether or not its
delta has been folded.

**Repair.** ``tongdai rollups rebuild [--from --to]`` (``rebuild``) recomputes the rows of
a day range from the contacts table with grouped queries, e.g. after a bulk load (``tongdai
generate`` calls it) or an import that wrote contacts without the services.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from tongdai.contacts.models import Contact, ContactTopic, Status
from tongdai.core.fastinsert import insert_rows
from tongdai.core.statements import prepared
from tongdai.geo.regions import ABROAD
from tongdai.reports.models import ContactDayCount, ContactDayDelta

log = logging.getLogger(__name__)

#: Key for what has no value: no kind, no caller relation, no place.
UNKNOWN = "unknown"
TOTAL = "total"
#: The dimensions counted from contacts, in the report's order.
DIMENSIONS = (TOTAL, "kind", "topic", "channel", "region", "province", "relation")

Key = tuple[str, str]  # (dimension, key)
Row = tuple[datetime.date, str, str, str]  # (day, centre, dimension, key)


# --------------------------------------------------------------------------- rules


def place_keys(province_id, province_region_id, legacy_current_id, legacy_region_id,
               abroad: bool) -> tuple[str, str]:
    """(province, region) a contact counts in: its statistical province, else the current
    successor of its legacy unit (in the legacy unit's region), else ``ABROAD`` when the
    caller is abroad, else ``unknown``."""
    if province_id:
        return province_id, province_region_id or UNKNOWN
    if legacy_current_id:
        return legacy_current_id, legacy_region_id or UNKNOWN
    if abroad:
        return UNKNOWN, ABROAD
    return UNKNOWN, UNKNOWN


def _topic_keys(topics: Iterable[tuple[str, str | None]]) -> set[Key]:
    """A subcategory counts itself; a category counts once when the contact carries it or
    any of its subcategories."""
    keys: set[Key] = set()
    for code, parent in topics:
        keys.add(("topic", code))
        keys.add(("topic", parent or code))
    return keys


def _row_keys(kind_id, channel, relation_id) -> set[Key]:
    return {(TOTAL, ""), ("kind", kind_id or UNKNOWN), ("channel", channel),
            ("relation", relation_id or UNKNOWN)}


def contact_stat_keys(contact: Contact, topics: Iterable | None = None) -> set[Key]:
    """Every (dimension, key) a completed ``contact`` counts under (its current state).
    ``topics``: its topics (``Topic`` objects) when the caller has them at hand; else they
    are read from the database."""
    province = contact.province
    legacy = contact.legacy_province
    province_key, region_key = place_keys(
        contact.province_id, province.region_id if province else None,
        legacy.current_id if legacy else None, legacy.region_id if legacy else None,
        contact.caller_country_id is not None)
    if topics is None:
        pairs = ContactTopic.objects.filter(contact=contact).values_list("topic_id", "topic__parent_id")
    else:
        pairs = [(t.code, t.parent_id) for t in topics]
    return (_row_keys(contact.kind_id, contact.channel, contact.caller_relation_id)
            | _topic_keys(pairs) | {("province", province_key), ("region", region_key)})


def local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment, timezone.get_default_timezone())


def contact_snapshot(contact: Contact | None, topics: Iterable | None = None) -> frozenset[Row]:
    """The rollup rows ``contact`` counts in now; empty for a draft or no contact.
    ``topics`` as for ``contact_stat_keys``."""
    if contact is None or contact.pk is None or contact.status != Status.COMPLETED:
        return frozenset()
    day = local_day(contact.received_at)
    return frozenset((day, contact.centre_id, dim, key)
                     for dim, key in contact_stat_keys(contact, topics))


# --------------------------------------------------------------------------- maintenance

#: Seconds between two fold requests from one process (``fold_soon``).
FOLD_EVERY = 1.0
_last_fold_request = [0.0]


def contact_changed(before: frozenset[Row], contact: Contact, *, topics: Iterable | None = None) -> None:
    """Move ``contact``'s counts from ``before`` (its ``contact_snapshot`` before the
    change) to where it counts now, as pending deltas. Call inside the transaction that
    saved it; ``topics`` as for ``contact_stat_keys``."""
    after = contact_snapshot(contact, topics)
    deltas = Counter()
    for row in after - before:
        deltas[row] += 1
    for row in before - after:
        deltas[row] -= 1
    record_deltas(deltas)


def record_deltas(deltas: dict[Row, int]) -> None:
    """Write ``deltas`` as pending rows (one insert) and ask for a fold after commit."""
    rows = [ContactDayDelta(day=day, centre_id=centre, dimension=dim, key=key, delta=n)
            for (day, centre, dim, key), n in deltas.items() if n]
    if not rows:
        return
    insert_rows(rows)
    transaction.on_commit(fold_soon)


def fold_soon() -> None:
    """Queue a fold, at most once a second per process (a burst of contacts is folded
    together). Never raises: if the job queue is unreachable the deltas wait for the
    minute sweep, and readers count them meanwhile."""
    now = time.monotonic()
    if now - _last_fold_request[0] < FOLD_EVERY:
        return
    _last_fold_request[0] = now
    try:
        from tongdai.reports.tasks import rollups_fold

        rollups_fold()
    except Exception:  # noqa: BLE001 - the contact is saved; the sweep folds later
        log.warning("Could not queue the rollup fold; the minute sweep will do it.", exc_info=True)


def fold(limit: int = 20_000) -> int:
    """Move pending deltas into ``ContactDayCount``, oldest first, ``limit`` per
    transaction; returns how many were folded. Safe to run concurrently: each transaction
    claims its deltas by deleting them, so a delta is added once."""
    table = connection.ops.quote_name(ContactDayDelta._meta.db_table)
    folded = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY id "
                           f"LIMIT %s) RETURNING day, centre_id, dimension, key, delta", [limit])
            claimed = cursor.fetchall()
            deltas: Counter = Counter()
            for day, centre, dim, key, n in claimed:
                if isinstance(day, str):  # SQLite returns the text it stores
                    day = datetime.date.fromisoformat(day)
                deltas[(day, centre, dim, key)] += n
            apply_deltas(deltas)
        folded += len(claimed)
        if len(claimed) < limit:
            return folded


def apply_deltas(deltas: dict[Row, int]) -> None:
    """Add each delta to its counter row (created at need); rows left at zero are removed.
    Used by ``fold``; contact writes go through ``record_deltas``."""
    # Always in the same (sorted) order: two transactions touching the same rows then lock
    # them in the same order and cannot deadlock on PostgreSQL.
    rows = sorted((day, centre, dim, key, n) for (day, centre, dim, key), n in deltas.items() if n)
    if not rows:
        return
    q = connection.ops.quote_name
    table, columns = q(ContactDayCount._meta.db_table), [q(c) for c in ("day", "centre_id", "dimension", "key")]
    count = q("count")
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}, {count}) VALUES (%s, %s, %s, %s, %s) "
            f"ON CONFLICT ({', '.join(columns)}) "
            f"DO UPDATE SET {count} = {table}.{count} + excluded.{count}", rows)
    if any(n < 0 for *_r, n in rows):
        # No other row is ever left at zero, so the days touched bound the search.
        ContactDayCount.objects.filter(day__in={day for day, *_r in rows}, count=0).delete()


# --------------------------------------------------------------------------- rebuild


def _period_filter(date_from: datetime.date | None, date_to: datetime.date | None) -> Q:
    from tongdai.reports.services import local_start

    q = Q(status=Status.COMPLETED)
    if date_from:
        q &= Q(received_at__gte=local_start(date_from))
    if date_to:
        q &= Q(received_at__lt=local_start(date_to + datetime.timedelta(days=1)))
    return q


def _day_filter(date_from: datetime.date | None, date_to: datetime.date | None) -> Q:
    """Rollup rows (counters or deltas) of the local days ``date_from..date_to`` (both
    included; ``None``: unbounded)."""
    q = Q()
    if date_from:
        q &= Q(day__gte=date_from)
    if date_to:
        q &= Q(day__lte=date_to)
    return q


def computed_rows(date_from: datetime.date | None = None,
                  date_to: datetime.date | None = None) -> dict[Row, int]:
    """The rollup rows of the day range (both ends included; ``None``: unbounded) computed
    from the contacts table with grouped queries (one scan per group of dimensions)."""
    tz = timezone.get_default_timezone()
    contacts = Contact.objects.filter(_period_filter(date_from, date_to)).order_by()
    day = TruncDate("received_at", tzinfo=tz)
    out: dict[Row, int] = defaultdict(int)

    rows = (contacts.annotate(d=day)
            .values("d", "centre_id", "kind_id", "channel", "caller_relation_id")
            .annotate(n=Count("id")))
    for r in rows:
        for dim, key in _row_keys(r["kind_id"], r["channel"], r["caller_relation_id"]):
            out[(r["d"], r["centre_id"], dim, key)] += r["n"]

    rows = (contacts.annotate(d=day)
            .values("d", "centre_id", "province_id", "province__region_id",
                    "legacy_province__current_id", "legacy_province__region_id",
                    abroad=Q(caller_country__isnull=False))
            .annotate(n=Count("id")))
    for r in rows:
        province, region = place_keys(r["province_id"], r["province__region_id"],
                                      r["legacy_province__current_id"],
                                      r["legacy_province__region_id"], bool(r["abroad"]))
        out[(r["d"], r["centre_id"], "province", province)] += r["n"]
        out[(r["d"], r["centre_id"], "region", region)] += r["n"]

    tagged = ContactTopic.objects.filter(contact__in=contacts.values("pk")).order_by()
    tagged_day = TruncDate("contact__received_at", tzinfo=tz)
    # Subcategories and directly tagged categories: one per link (a contact carries a
    # topic once); categories through their subcategories: each contact once.
    for r in (tagged.annotate(d=tagged_day).values("d", "contact__centre_id", "topic_id")
              .annotate(n=Count("id"))):
        out[(r["d"], r["contact__centre_id"], "topic", r["topic_id"])] = r["n"]
    for r in (tagged.annotate(d=tagged_day, category=Coalesce("topic__parent_id", "topic_id"))
              .values("d", "contact__centre_id", "category")
              .annotate(n=Count("contact_id", distinct=True))):
        out[(r["d"], r["contact__centre_id"], "topic", r["category"])] = r["n"]
    return {row: n for row, n in out.items() if n}


def rollup_sums(fields: tuple[str, ...], *, date_from: datetime.date | None = None,
                date_to: datetime.date | None = None, centre: str | None = None,
                dimension: str | None = None) -> dict[tuple, int]:
    """Counts of the day range (both ends included; ``None``: unbounded), optionally of one
    centre and one dimension, grouped by ``fields`` (of ``day``, ``centre_id``,
    ``dimension``, ``key``; ``()`` for the grand total): the counter rows plus the pending
    deltas, read in one statement so a concurrent fold is seen wholly or not at all."""
    columns = fields or ("dimension",)

    def build(slot):
        def grouped(model, column):
            qs = model.objects.filter(_day_filter(date_from and slot.day("from"), date_to and slot.day("to")))
            if centre:
                qs = qs.filter(centre_id=slot.text("centre"))
            if dimension:
                qs = qs.filter(dimension=slot.text("dimension"))
            return qs.order_by().values(*columns).annotate(n=Sum(column))

        return grouped(ContactDayCount, "count").union(grouped(ContactDayDelta, "delta"), all=True) \
            .values_list(*columns, "n")

    # A prepared statement (tongdai.core.statements): dashboards read these sums every
    # few seconds, and compiling the union cost more than running it.
    key = ("rollup_sums", columns, bool(date_from), bool(date_to), bool(centre), bool(dimension))
    values = {name: value for name, value in (("from", date_from), ("to", date_to), ("centre", centre),
                                              ("dimension", dimension)) if value}
    out: Counter = Counter()
    for *group, n in prepared(ContactDayCount, key, build).rows(**values):
        if n:
            out[tuple(group) if fields else ()] += n
    return dict(out)


def stored_rows(date_from: datetime.date | None = None,
                date_to: datetime.date | None = None) -> dict[Row, int]:
    """What the rollups hold now (counter rows plus pending deltas), zero rows left out."""
    sums = rollup_sums(("day", "centre_id", "dimension", "key"), date_from=date_from, date_to=date_to)
    return {row: n for row, n in sums.items() if n}


@transaction.atomic
def rebuild(date_from: datetime.date | None = None, date_to: datetime.date | None = None,
            *, batch: int = 10_000) -> int:
    """Replace the rollup rows of the day range (and their pending deltas) with counts
    recomputed from the contacts table; returns the number of rows written. On PostgreSQL
    both tables are locked against concurrent writes for the duration — the deltas first,
    in the order ``fold`` takes them — so a contact saved meanwhile is counted exactly once
    (its delta waits and lands after the rebuilt rows)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (ContactDayDelta, ContactDayCount):
                cursor.execute(f"LOCK TABLE {model._meta.db_table} IN EXCLUSIVE MODE")
    for model in (ContactDayDelta, ContactDayCount):
        model.objects.filter(_day_filter(date_from, date_to)).delete()
    rows = computed_rows(date_from, date_to)
    ContactDayCount.objects.bulk_create(
        (ContactDayCount(day=day, centre_id=centre, dimension=dim, key=key, count=n)
         for (day, centre, dim, key), n in rows.items()), batch_size=batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ContactDayCount._meta.db_table}")
    return len(rows)
