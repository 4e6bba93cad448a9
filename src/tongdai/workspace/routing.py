"""Which centre a waiting call or conversation goes to.

Rule (docs/architecture.md, "Routing"): the caller's province picks its centre
(``Centre.provinces``, editable by administrators); no province known → the national
centre. If that centre has no available counsellor and another centre has one, the contact
overflows to the centre with the most available counsellors (national first on a tie) and
is marked ``overflowed``. If nobody is available anywhere it stays with its own centre and
waits. Supervisors can still pick up or transfer by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from tongdai.accounts.models import Centre
from tongdai.workspace.models import PresenceStatus
from tongdai.workspace.presence import STALE_AFTER


@dataclass(frozen=True)
class Route:
    centre: Centre
    overflowed: bool


def home_centre(province_code: str | None) -> Centre:
    centre = None
    if province_code:
        centre = Centre.objects.filter(provinces__code=province_code).order_by(
            "-is_national", "code").first()
    return centre or Centre.objects.filter(is_national=True).first() or Centre.objects.first()


def route(channel: str, province_code: str | None = None) -> Route:
    """The centre for a new waiting contact on ``channel`` from ``province_code``.

    ``channel`` is accepted for channel-specific rules (none yet: every centre answers every
    channel) and kept in the signature so callers don't change when one is added.
    """
    from django.utils import timezone

    home = home_centre(province_code)
    fresh = timezone.now() - STALE_AFTER
    available = Q(users__presence__status=PresenceStatus.AVAILABLE,
                  users__presence__seen_at__gte=fresh, users__is_active=True)
    counts = {c.code: c.n for c in Centre.objects.annotate(n=Count("users", filter=available))}
    if home is None or counts.get(home.code, 0) > 0:
        return Route(home, False)
    others = sorted((c for c in Centre.objects.all() if counts.get(c.code, 0) > 0),
                    key=lambda c: (-counts[c.code], not c.is_national, c.code))
    if others:
        return Route(others[0], True)
    return Route(home, False)
