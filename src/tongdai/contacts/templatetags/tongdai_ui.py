"""Small template helpers for the web UI."""

from __future__ import annotations

import datetime

from django import template

from tongdai.accounts.roles import Perm
from tongdai.core.phones import display_phone

register = template.Library()


@register.filter
def can(user, perm: str) -> bool:
    """``{% if user|can:"contact.create" %}``; unknown permission names are refused."""
    try:
        return bool(getattr(user, "can", None)) and user.can(Perm(perm))
    except ValueError:
        return False


@register.filter
def phone(e164: str | None) -> str:
    return display_phone(e164)


@register.filter
def minutes(delta) -> int:
    """Whole minutes of a timedelta, rounded up (for "wait 15 minutes")."""
    if not isinstance(delta, datetime.timedelta):
        return 0
    return max(1, -(-int(delta.total_seconds()) // 60))
