"""A per-process cache of the small reference tables the intake validates against on every
save: contact kinds, caller relations, topics, provinces, countries; and the regions and
centres every report lists (with zeros) beside them.

Recording a contact looks up a kind, a relation, topics and places; as database queries
these were a third of the CPU time of a save. The tables hold tens to a few hundred rows
and change only when an administrator edits a term or ``tongdai refdata`` runs, so each
process keeps them in memory:

- a table is read whole the first time it is needed and again once it is older than
  ``TTL`` seconds, so a change made by another process (the admin site in another web
  worker, ``tongdai refdata``) is seen within a minute;
- a save or delete of one of these models in this process clears the cache at once
  (``post_save``/``post_delete``, connected in ``CoreConfig.ready``), as does
  ``load_reference_data``.

What a stale minute can do: accept a term retired less than a minute ago (the record
keeps a valid code; retired terms stay readable) or refuse one added less than a minute
ago (the form says "unknown code"; saving again a minute later works). Never a wrong
code: codes are primary keys and are never reused.

The cached objects are shared between requests: read them, never change them.
"""

from __future__ import annotations

import threading
import time

from django.apps import apps

#: Seconds a table stays cached.
TTL = 60.0
#: The cached tables (app label, model name).
MODELS = (("taxonomy", "ContactKind"), ("taxonomy", "CallerRelation"), ("taxonomy", "Topic"),
          ("geo", "Province"), ("geo", "Country"), ("geo", "Region"), ("accounts", "Centre"))

_tables: dict[type, tuple[float, dict]] = {}
_lock = threading.Lock()


def _rows(model) -> dict:
    now = time.monotonic()
    entry = _tables.get(model)
    if entry is None or now - entry[0] > TTL:
        with _lock:
            entry = _tables.get(model)
            if entry is None or now - entry[0] > TTL:
                entry = (now, {obj.pk: obj for obj in model._default_manager.all()})
                _tables[model] = entry
    return entry[1]


def ref_get(model, code):
    """The row of ``model`` whose primary key is ``code``, or ``None``."""
    return _rows(_cached(model)).get(code)


def ref_many(model, codes) -> dict:
    """``{code: row}`` for the codes that exist."""
    rows = _rows(_cached(model))
    return {code: rows[code] for code in codes if code in rows}


def ref_codes(model) -> list:
    """Every code of ``model``, in the model's own order (``Meta.ordering``)."""
    return list(_rows(_cached(model)))


def cached_models() -> tuple[type, ...]:
    return tuple(apps.get_model(app, name) for app, name in MODELS)


def _cached(model):
    if (model._meta.app_label, model.__name__) not in MODELS:
        raise ValueError(f"{model.__name__} is not a cached reference table")
    return model


def clear(*_args, **_kwargs) -> None:
    """Forget every cached table (a signal receiver, hence the arguments)."""
    _tables.clear()
