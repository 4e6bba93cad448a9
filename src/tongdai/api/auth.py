"""Bearer-token authentication for the API.

Clients send ``Authorization: Bearer td_...`` (tokens are issued with
``tongdai token create USERNAME``). Only the SHA-256 of a token is stored; revoked or
expired tokens and tokens of deactivated users authenticate no one. Session cookies are
not accepted by the API, which is why it needs no CSRF protection.
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone
from ninja.security import HttpBearer

from tongdai.accounts.models import ApiToken

#: ``last_used_at`` is bookkeeping for administrators ("is this token still in use?");
#: writing it on every request would turn each read into a write.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class BearerToken(HttpBearer):
    """Authenticates the request as the token's user; ``request.auth`` is that user."""

    def authenticate(self, request, token: str):
        found = ApiToken.objects.authenticate(token.strip())
        if found is None:
            return None
        _touch(found)
        request.user = found.user
        return found.user


def _touch(token: ApiToken) -> None:
    """Record use at most once per ``LAST_USED_RESOLUTION``. The conditional UPDATE keeps
    concurrent requests from writing the same row twice."""
    now = timezone.now()
    cutoff = now - LAST_USED_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > cutoff:
        return
    (ApiToken.objects.filter(pk=token.pk)
     .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=cutoff))
     .update(last_used_at=now))
