"""One row of a hand-written join, turned into model instances.

For the few statements that run on every request (the API token lookup), building the
query with the ORM costs far more CPU than running it: a three-table ``select_related``
lookup took 1.1 ms of CPU against 0.1 ms for the same SQL on a cursor (docs/performance.md,
"Creating contacts"). ``JoinedRow`` lists the columns of each model once, per database, and
turns a fetched row back into instances with the same converters the ORM applies, so the
instances are exactly what the ORM would have returned (aware datetimes on SQLite too).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections
from django.db.models import Model


class JoinedRow:
    """The columns of ``models`` (all concrete fields, in order) for one database."""

    def __init__(self, alias: str, models: Sequence[type[Model]]):
        connection = connections[alias]
        self.alias = alias
        self.models = tuple(models)
        self.quote = connection.ops.quote_name
        self.fields = [list(m._meta.concrete_fields) for m in self.models]
        self.columns = ", ".join(f"{self.table(m)}.{self.quote(f.column)}"
                                 for m, fields in zip(self.models, self.fields, strict=True) for f in fields)
        self.names = [[f.attname for f in fields] for fields in self.fields]
        self.converters = [[(i, f.get_col(f.model._meta.db_table), funcs)
                            for i, f in enumerate(fields) if (funcs := _converters(f, connection))]
                           for fields in self.fields]
        self.pk_index = [fields.index(m._meta.pk) for m, fields in zip(self.models, self.fields, strict=True)]

    def table(self, model: type[Model]) -> str:
        return self.quote(model._meta.db_table)

    def instances(self, row: Sequence) -> list[Model | None]:
        """One instance per model, or None for a model whose primary key is NULL (the
        missing side of an outer join)."""
        connection = connections[self.alias]
        out: list[Model | None] = []
        start = 0
        for model, names, converters, pk_index in zip(self.models, self.names, self.converters,
                                                      self.pk_index, strict=True):
            values = list(row[start:start + len(names)])
            start += len(names)
            for i, col, funcs in converters:
                for func in funcs:
                    values[i] = func(values[i], col, connection)
            out.append(None if values[pk_index] is None
                       else model.from_db(self.alias, names, values))
        return out


def _converters(field, connection) -> list:
    """What the ORM's compiler runs on a value of ``field`` fetched from ``connection``."""
    col = field.get_col(field.model._meta.db_table)
    return [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]
