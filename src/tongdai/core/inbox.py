"""The durable-inbox write shared by every provider intake (channels, telephony).

A webhook or listener stores the provider's raw event *before* answering it; the row's
unique key makes a re-sent event a no-op, and processing is queued only after the commit
(a worker job; each app's periodic sweep catches what the queue missed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import IntegrityError, models, transaction


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_once(model: type[models.Model], key: dict, raw: bytes | str,
               enqueue: Callable[[int], None]) -> tuple[models.Model, bool]:
    """Create ``model(**key, raw=raw)`` unless a row with ``key`` exists; queue
    ``enqueue(pk)`` after commit while the row is unprocessed (``processed_at`` empty).

    Returns ``(row, created)``. Database errors propagate: the caller answers 503 and the
    provider retries.
    """
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    with transaction.atomic():
        try:
            with transaction.atomic():  # savepoint: a duplicate must not break the outer one
                row = model.objects.create(**key, raw=text)
            created = True
        except IntegrityError:
            row = model.objects.get(**key)
            created = False
        if row.processed_at is None:
            transaction.on_commit(lambda: enqueue(row.pk))
    return row, created
