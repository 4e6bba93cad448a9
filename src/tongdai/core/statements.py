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

Checked when a statement is built: each slot declares how its lookup turns a value into
a parameter (``text``/``number`` as they are, ``moment`` and ``day`` as the database adapts a
datetime or a date, ``contains`` as ``%text%`` escaped), and a stand-in found anywhere else — written
into the SQL text, or inside another parameter — is refused. Each run must give a value
to every slot the statement uses. Stand-ins match no row (a negative id, a text starting
with a control character, a moment in 1901, a day in the year 1).
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import Model, QuerySet

_TEXT = "\x1fslot:{}\x1f"
_NUMBER_BASE = -1_987_654_000
#: Moments stand-ins count microseconds from here: long before any record.
_MOMENT_BASE = datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC)


def _as_is(value, _connection):
    return value


def _moment(value, connection):
    return connection.ops.adapt_datetimefield_value(value)


def _day(value, connection):
    return connection.ops.adapt_datefield_value(value)


def _contains(value, connection):
    return f"%{connection.ops.prep_for_like_query(value)}%"


class Slots:
    """Stand-in values for the build function, one per name, each with the way the ORM
    turns a value of its lookup into a parameter (so a later value is turned the same way)."""

    def __init__(self) -> None:
        self.stand_ins: dict[str, object] = {}
        self.adapters: dict[str, Callable] = {}

    def text(self, name: str) -> str:
        """A text compared for equality (``=``, ``IN``)."""
        return self._slot(name, _TEXT.format(name), _as_is)

    def number(self, name: str) -> int:
        """An integer compared for equality."""
        return self._slot(name, _NUMBER_BASE - len(self.stand_ins), _as_is)

    def moment(self, name: str) -> datetime.datetime:
        """An aware datetime compared with a ``DateTimeField`` (as the database adapts it:
        text in UTC on SQLite)."""
        return self._slot(name, _MOMENT_BASE + datetime.timedelta(microseconds=len(self.stand_ins) + 1),
                          _moment)

    def day(self, name: str) -> datetime.date:
        """A date compared with a ``DateField`` (text on SQLite)."""
        return self._slot(name, datetime.date(1, 1, 1) + datetime.timedelta(days=len(self.stand_ins) + 1), _day)

    def contains(self, name: str) -> str:
        """A text for a ``contains`` lookup: the parameter is ``%text%`` with ``%``, ``_``
        and ``\\`` escaped, as the lookup does."""
        return self._slot(name, _TEXT.format(name), _contains)

    def _slot(self, name: str, value, adapter):
        if name in self.stand_ins:
            return self.stand_ins[name]
        if any(value == other for other in self.stand_ins.values()):
            raise ValueError(f"slot {name!r} would share its stand-in value")
        self.stand_ins[name] = value
        self.adapters[name] = adapter
        return value


@dataclass(frozen=True)
class Statement:
    """One compiled queryset: SQL, its parameters with slots marked, and the converters
    of its columns."""

    alias: str
    sql: str
    params: tuple
    #: slot name -> (positions among the parameters, how a value becomes a parameter);
    #: a slot the queryset did not use has no positions.
    slots: dict[str, tuple[tuple[int, ...], Callable]]
    converters: dict  # column index -> (functions, expression), as the compiler gives them

    def rows(self, **values) -> list[tuple]:
        """Run with ``values`` (one per slot the queryset used; others may be given and
        are ignored) and return the converted rows."""
        unknown = set(values) - set(self.slots)
        if unknown:
            raise TypeError(f"no such slot: {', '.join(sorted(unknown))}")
        missing = [name for name, (positions, _adapt) in self.slots.items() if positions and name not in values]
        if missing:
            raise TypeError(f"no value for slot: {', '.join(sorted(missing))}")
        connection = connections[self.alias]
        params = list(self.params)
        for name, value in values.items():
            positions, adapt = self.slots[name]
            if positions:
                param = adapt(value, connection)
                for index in positions:
                    params[index] = param
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


#: Statements kept per process. Shapes come from the filters people combine, the page and
#: the page size, so an API client could ask for many; past this many the oldest are
#: dropped (and compiled again if asked for).
MAX_STATEMENTS = 2000
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
            while len(_statements) >= MAX_STATEMENTS:
                del _statements[next(iter(_statements))]
            statement = _statements.setdefault(full_key, statement)
    return statement


def _compile(queryset: QuerySet, slots: Slots) -> Statement:
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    connection = connections[queryset.db]
    found: dict[str, tuple[tuple[int, ...], Callable]] = {}
    for name, stand_in in slots.stand_ins.items():
        adapt = slots.adapters[name]
        param = adapt(stand_in, connection)
        if str(stand_in) in sql or str(param) in sql:
            raise ValueError(f"slot {name!r} was written into the SQL, not bound")
        positions = tuple(i for i, p in enumerate(params) if type(p) is type(param) and p == param)
        text = str(stand_in) if isinstance(stand_in, str) else None
        if text and any(isinstance(p, str) and text in p for i, p in enumerate(params) if i not in positions):
            raise ValueError(f"slot {name!r} was rewritten by its lookup (declare it as such a slot)")
        found[name] = (positions, adapt)
    columns = [expression for expression, _sql, _alias in compiler.select[:compiler.col_count]]
    return Statement(alias=queryset.db, sql=sql, params=tuple(params), slots=found,
                     converters=compiler.get_converters(columns))


def forget() -> None:
    """Drop every compiled statement (tests that change the schema or the settings)."""
    _statements.clear()
