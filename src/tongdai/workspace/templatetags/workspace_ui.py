"""Small display helpers of the workspace pages."""

from __future__ import annotations

from django import template

from tongdai.contacts.models import Channel
from tongdai.workspace.models import PresenceStatus

register = template.Library()


@register.filter
def waited(seconds) -> str:
    """``75`` → ``1:15``; ``3725`` → ``1:02:05`` (the same format as workspace.js)."""
    try:
        total = max(0, int(seconds))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def channel_label(code: str) -> str:
    return str(dict(Channel.choices).get(code, code))


@register.filter
def presence_label(code: str) -> str:
    return str(dict(PresenceStatus.choices).get(code, code))
