"""Insert new rows whose ids nobody needs back, in one prepared statement per shape.

``QuerySet.bulk_create`` builds and compiles an ``InsertQuery`` on every call: about
0.6 ms of CPU for the two audit rows or the ten rollup deltas of a new contact, several
times the cost of running the statement. Every contact save writes such rows
(``audit.services.audit_record_all``, ``reports.rollups.record_deltas``, the contact's
topics), so ``insert_rows`` keeps one ``INSERT … VALUES`` text per (table, row count,
database) and prepares each value exactly as the ORM does (``Field.pre_save`` then
``get_db_prep_save``: JSON, datetimes on SQLite, defaults). As with ``bulk_create``, no
signals are sent; with ``returning_pk=True`` the objects get their new primary keys
(``INSERT … RETURNING``, PostgreSQL and SQLite ≥ 3.35) and count as saved, so the new
contact itself and its subjects are written this way too.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Model


def insert_rows(objs: Sequence[Model], *, returning_pk: bool = False) -> None:
    """INSERT ``objs`` (new instances of one model) in as few statements as the database
    allows; with ``returning_pk`` set each object's new primary key. Must run inside the
    caller's transaction if it needs to be atomic with it."""
    if not objs:
        return
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    if returning_pk and not connection.features.can_return_rows_from_bulk_insert:
        model._base_manager.using(alias).bulk_create(objs)  # the ORM's way on such a backend
        return
    fields = _fields(model)
    batch = max(1, connection.ops.bulk_batch_size(fields, objs))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = objs[start:start + batch]
            params = [f.get_db_prep_save(f.pre_save(obj, True), connection)
                      for obj in chunk for f in fields]
            cursor.execute(_statement(model, len(chunk), alias, returning_pk), params)
            if returning_pk:
                for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                    obj.pk = pk
                    obj._state.adding, obj._state.db = False, alias


@functools.cache
def _fields(model: type[Model]) -> list:
    """The columns an INSERT of ``model`` writes: every concrete field but an automatic
    primary key (the database numbers the row)."""
    auto = model._meta.pk if model._meta.pk.db_returning else None
    return [f for f in model._meta.concrete_fields if f is not auto]


@functools.cache
def _statement(model: type[Model], rows: int, alias: str, returning_pk: bool) -> str:
    quote = connections[alias].ops.quote_name
    fields = _fields(model)
    columns = ", ".join(quote(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = f" RETURNING {quote(model._meta.pk.column)}" if returning_pk else ""
    return (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "
            + ", ".join([one] * rows) + returning)
