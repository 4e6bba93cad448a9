"""Querysets compiled once per shape and run again with new values.

Turning a queryset into SQL costs the ORM 0.3–0.6 ms of CPU per statement, more than
PostgreSQL takes to run the short indexed reads a counsellor waits for on every call
(caller history, the case list: about 1 ms each with their audit row). For those reads
``prepared`` builds the queryset **once per shape** with *slots* — stand-in values — in
place of the values that change between calls (the user's centre, the phone number, a
status), compiles it, and remembers the SQL with the position of each slot among its
parameters. Each later call only fills the slots and runs the SQL; the rows come back
through the converters the ORM itself would apply (aware datetimes and booleans on
SQLite too).

The queryset is still written once, with the ORM, and reach still comes from the model's
one rule (``ContactQuerySet.within`` and ``CaseQuerySet.within``): a prepared read is not
a second copy of the rules in SQL. What is cached is the compiler's output, keyed by
everything that changes its *structure* — the caller passes that key (the reach scope,
which filters are set, the page); values that only change parameters are slots.

Failing closed: a slot's stand-in value matches no row (a negative id, a text starting
with a control character), so a value that did not end up as a bound parameter — say a
lookup that rewrote it — makes the statement find nothing rather than something else;
a stand-in the ORM wrote into the SQL text itself is refused when the statement is built.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import Model, QuerySet

_TEXT = "\x1fslot:{}\x1f"
_NUMBER_BASE = -1_987_654_000


class Slots:
    """Stand-in values for the build function, one per name."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def text(self, name: str) -> str:
        return self._slot(name, _TEXT.format(name))

    def number(self, name: str) -> int:
        return self._slot(name, _NUMBER_BASE - len(self.values))

    def _slot(self, name: str, value):
        if name in self.values:
            return self.values[name]
        if any(value == other for other in self.values.values()):
            raise ValueError(f"slot {name!r} would share its stand-in value")
        self.values[name] = value
        return value


@dataclass(frozen=True)
class Statement:
    """One compiled queryset: SQL, its parameters with slots marked, and the converters
    of its columns."""

    alias: str
    sql: str
    params: tuple
    slots: dict[str, tuple[int, ...]]
    converters: dict  # column index -> (functions, expression), as the compiler gives them

    def rows(self, **values) -> list[tuple]:
        """Run with ``values`` (one per slot name) and return the converted rows. A slot
        left without a value keeps its stand-in, which matches nothing."""
        unknown = set(values) - set(self.slots)
        if unknown:
            raise TypeError(f"no such slot: {', '.join(sorted(unknown))}")
        params = list(self.params)
        for name, value in values.items():
            for index in self.slots[name]:
                params[index] = value
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if not self.converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for index, (functions, expression) in self.converters.items():
                value = row[index]
                for function in functions:
                    value = function(value, expression, connection)
                row[index] = value
            converted.append(tuple(row))
        return converted


_statements: dict[tuple, Statement] = {}
_lock = threading.Lock()


def prepared(model: type[Model], key: Hashable, build: Callable[[Slots], QuerySet]) -> Statement:
    """The statement of ``build(slots)`` (a queryset of ``model``) for ``key``, built and
    compiled on first use per database; later calls with the same key do not call ``build``.

    ``build`` must return a queryset whose SQL depends only on ``key`` and whose varying
    values are all taken from ``slots``; it should end in ``values_list`` (the rows come
    back as tuples in that order). Compiling raises ``EmptyResultSet`` for a queryset
    that can match nothing (``none()``): decide that before asking for a statement."""
    full_key = (router.db_for_read(model), model, key)
    statement = _statements.get(full_key)
    if statement is None:
        slots = Slots()
        queryset = build(slots).using(full_key[0])
        statement = _compile(queryset, slots)
        with _lock:
            statement = _statements.setdefault(full_key, statement)
    return statement


def _compile(queryset: QuerySet, slots: Slots) -> Statement:
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    positions: dict[str, tuple[int, ...]] = {}
    for name, stand_in in slots.values.items():
        if str(stand_in) in sql:
            raise ValueError(f"slot {name!r} was written into the SQL, not bound")
        if isinstance(stand_in, str) and any(isinstance(p, str) and stand_in in p and p != stand_in
                                             for p in params):
            raise ValueError(f"slot {name!r} was rewritten by its lookup (e.g. contains)")
        positions[name] = tuple(i for i, p in enumerate(params)
                                if type(p) is type(stand_in) and p == stand_in)
    columns = [expression for expression, _sql, _alias in compiler.select[:compiler.col_count]]
    return Statement(alias=queryset.db, sql=sql, params=tuple(params), slots=positions,
                     converters=compiler.get_converters(columns))


def forget() -> None:
    """Drop every compiled statement (tests that change the schema or the settings)."""
    _statements.clear()
