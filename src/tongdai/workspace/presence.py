"""The one place that changes or reads counsellor presence."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from tongdai.workspace.models import Presence, PresenceStatus

#: A workspace that has not polled for this long is treated as offline (closed laptop).
STALE_AFTER = timedelta(seconds=90)


def presence_set(user, status: str) -> Presence:
    """Set the user's status (one of ``PresenceStatus``); refreshes ``seen_at``."""
    if status not in PresenceStatus.values:
        raise ValueError(f"unknown presence status {status!r}")
    now = timezone.now()
    presence, created = Presence.objects.get_or_create(
        user=user, defaults={"status": status, "since": now, "seen_at": now})
    if not created:
        fields = ["seen_at"]
        presence.seen_at = now
        if presence.status != status:
            presence.status, presence.since = status, now
            fields += ["status", "since"]
        presence.save(update_fields=fields)
    return presence


def presence_seen(user) -> None:
    """The user's workspace is open (called by its queue poll)."""
    Presence.objects.filter(user=user).update(seen_at=timezone.now())


def available_in(centre_code: str) -> QuerySet[Presence]:
    """Counsellors of a centre who are available and whose workspace is open."""
    return Presence.objects.filter(
        user__centre_id=centre_code, user__is_active=True, status=PresenceStatus.AVAILABLE,
        seen_at__gte=timezone.now() - STALE_AFTER)


def effective_status(presence: Presence | None, now=None) -> str:
    """The status others see: no row, or a workspace silent for ``STALE_AFTER`` (closed
    laptop, lost network) is ``offline`` whatever was last chosen."""
    if presence is None:
        return PresenceStatus.OFFLINE
    now = now or timezone.now()
    if presence.status != PresenceStatus.OFFLINE and presence.seen_at < now - STALE_AFTER:
        return PresenceStatus.OFFLINE
    return presence.status
