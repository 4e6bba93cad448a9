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
the contact no longer counts under get −1, the new ones +1, through an atomic upsert
(``INSERT … ON CONFLICT DO UPDATE SET count = count + delta``). Drafts count nowhere.

**Repair.** ``tongdai rollups rebuild [--from --to]`` (``rebuild``) recomputes the rows of
a day range from the contacts table with grouped queries, e.g. after a bulk load (``tongdai
generate`` calls it) or an import that wrote contacts without the services.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from tongdai.contacts.models import Contact, ContactTopic, Status
from tongdai.geo.regions import ABROAD
from tongdai.reports.models import ContactDayCount

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


def contact_stat_keys(contact: Contact) -> set[Key]:
    """Every (dimension, key) a completed ``contact`` counts under (its current state)."""
    province = contact.province
    legacy = contact.legacy_province
    province_key, region_key = place_keys(
        contact.province_id, province.region_id if province else None,
        legacy.current_id if legacy else None, legacy.region_id if legacy else None,
        contact.caller_country_id is not None)
    topics = ContactTopic.objects.filter(contact=contact).values_list("topic_id", "topic__parent_id")
    return (_row_keys(contact.kind_id, contact.channel, contact.caller_relation_id)
            | _topic_keys(topics) | {("province", province_key), ("region", region_key)})


def local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment, timezone.get_default_timezone())


def contact_snapshot(contact: Contact | None) -> frozenset[Row]:
    """The rollup rows ``contact`` counts in now; empty for a draft or no contact."""
    if contact is None or contact.pk is None or contact.status != Status.COMPLETED:
        return frozenset()
    day = local_day(contact.received_at)
    return frozenset((day, contact.centre_id, dim, key) for dim, key in contact_stat_keys(contact))


# --------------------------------------------------------------------------- maintenance


def contact_changed(before: frozenset[Row], contact: Contact) -> None:
    """Move ``contact``'s counts from ``before`` (its ``contact_snapshot`` before the
    change) to where it counts now. Call inside the transaction that saved it."""
    after = contact_snapshot(contact)
    deltas = Counter()
    for row in after - before:
        deltas[row] += 1
    for row in before - after:
        deltas[row] -= 1
    apply_deltas(deltas)


def apply_deltas(deltas: dict[Row, int]) -> None:
    """Add each delta to its row (created at need); rows left at zero are removed."""
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
        cells = {(day, centre) for day, centre, *_r in rows}
        for day, centre in cells:
            ContactDayCount.objects.filter(day=day, centre_id=centre, count=0).delete()


# --------------------------------------------------------------------------- rebuild


def _period_filter(date_from: datetime.date | None, date_to: datetime.date | None) -> Q:
    from tongdai.reports.services import local_start

    q = Q(status=Status.COMPLETED)
    if date_from:
        q &= Q(received_at__gte=local_start(date_from))
    if date_to:
        q &= Q(received_at__lt=local_start(date_to + datetime.timedelta(days=1)))
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


def stored_rows(date_from: datetime.date | None = None,
                date_to: datetime.date | None = None) -> dict[Row, int]:
    qs = ContactDayCount.objects.all()
    if date_from:
        qs = qs.filter(day__gte=date_from)
    if date_to:
        qs = qs.filter(day__lte=date_to)
    return {(r.day, r.centre_id, r.dimension, r.key): r.count for r in qs.iterator(chunk_size=10_000)}


@transaction.atomic
def rebuild(date_from: datetime.date | None = None, date_to: datetime.date | None = None,
            *, batch: int = 10_000) -> int:
    """Replace the rollup rows of the day range with counts recomputed from the contacts
    table; returns the number of rows written. On PostgreSQL the table is locked against
    concurrent writes for the duration, so a contact saved meanwhile is counted exactly
    once (its delta waits and lands on the rebuilt rows)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {ContactDayCount._meta.db_table} IN EXCLUSIVE MODE")
    old = ContactDayCount.objects.all()
    if date_from:
        old = old.filter(day__gte=date_from)
    if date_to:
        old = old.filter(day__lte=date_to)
    old.delete()
    rows = computed_rows(date_from, date_to)
    ContactDayCount.objects.bulk_create(
        (ContactDayCount(day=day, centre_id=centre, dimension=dim, key=key, count=n)
         for (day, centre, dim, key), n in rows.items()), batch_size=batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ContactDayCount._meta.db_table}")
    return len(rows)
