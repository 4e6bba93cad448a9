"""Database counters that limit guessing receipts and flooding the public forms.

Stored in the database (not in memory or a per-process cache) so every web worker and
server agrees. Keys are HMACs of the value (receipt code, client address) with the secret
key: the address of an anonymous reporter is never stored in clear.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from tongdai.webreport.models import Throttle


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int
    window: timedelta  # counting window, and how long a reached limit locks


def failures_per_code() -> Limit:
    return Limit("code", settings.TONGDAI_REPORT_FAILURE_LIMIT,
                 timedelta(minutes=settings.TONGDAI_REPORT_LOCK_MINUTES))


def failures_per_ip() -> Limit:
    return Limit("ip", settings.TONGDAI_REPORT_IP_FAILURE_LIMIT,
                 timedelta(minutes=settings.TONGDAI_REPORT_LOCK_MINUTES))


def reports_per_ip() -> Limit:
    return Limit("create", settings.TONGDAI_REPORT_CREATE_LIMIT, timedelta(hours=1))


def _key(scope: str, value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{scope}:{value}".encode(),
                    hashlib.sha256).hexdigest()


def locked_until(limit: Limit, value: str | None) -> datetime | None:
    """When the lock on ``value`` ends, or None when it is not locked."""
    if not value:
        return None
    now = timezone.now()
    row = (Throttle.objects.filter(scope=limit.scope, key=_key(limit.scope, value))
           .values_list("locked_until", flat=True).first())
    return row if row and row > now else None


def count(limit: Limit, value: str | None) -> bool:
    """Count one event for ``value``; True when this event reached the limit (now locked).

    Increments are ``UPDATE … SET count = count + 1`` so concurrent requests (several web
    workers, SQLite or PostgreSQL) never lose one.
    """
    if not value:
        return False
    key = _key(limit.scope, value)
    now = timezone.now()
    rows = Throttle.objects.filter(scope=limit.scope, key=key)
    lock_over = Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    with transaction.atomic():
        if not rows.exists():
            try:
                with transaction.atomic():
                    Throttle.objects.create(scope=limit.scope, key=key, window_start=now)
            except IntegrityError:  # another worker created it first
                pass
        rows.filter(lock_over, window_start__lte=now - limit.window).update(
            count=0, window_start=now, locked_until=None)
        rows.update(count=F("count") + 1)
        reached = rows.values_list("count", flat=True).first() >= limit.limit
        if reached:
            rows.filter(lock_over).update(locked_until=now + limit.window)
    return reached


def clear(limit: Limit, value: str | None) -> None:
    if value:
        Throttle.objects.filter(scope=limit.scope, key=_key(limit.scope, value)).delete()


def cleanup() -> int:
    """Delete counters whose window and lock are both over (run hourly by the worker)."""
    now = timezone.now()
    longest = max(timedelta(hours=1), timedelta(minutes=settings.TONGDAI_REPORT_LOCK_MINUTES))
    stale = Throttle.objects.filter(window_start__lt=now - longest).exclude(
        locked_until__gt=now)
    deleted, _ = stale.delete()
    return deleted
