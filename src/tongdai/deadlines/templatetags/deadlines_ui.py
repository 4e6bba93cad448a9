"""Template helpers for deadlines: the nav counter and "how long overdue"."""

from __future__ import annotations

import datetime

from django import template
from django.utils.translation import gettext as _

from tongdai.accounts.roles import Perm

register = template.Library()


@register.simple_tag
def overdue_count(user) -> int:
    """Overdue deadlines of cases ``user`` can see (0 for anyone without CASE_VIEW)."""
    if not getattr(user, "is_authenticated", False) or not user.can(Perm.CASE_VIEW):
        return 0
    from tongdai.deadlines.services import deadlines_overdue_count

    return deadlines_overdue_count(user)


@register.simple_tag
def unread_notifications(user) -> int:
    from tongdai.notifications.models import Notification

    return Notification.objects.for_user(user).unread().count()


@register.filter
def duration(delta) -> str:
    """A timedelta as "2 d 3 h" / "3 h 5 min" / "12 min" (overdue or remaining)."""
    if not isinstance(delta, datetime.timedelta):
        return ""
    minutes = max(0, int(abs(delta.total_seconds())) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": mins}
    return _("%(m)d min") % {"m": mins}


@register.simple_tag
def case_deadlines(case) -> list:
    """All deadlines of a case the page already showed (the caller checked reach):
    ``{% case_deadlines case as deadlines %}``; used by deadlines/_case_deadlines.html."""
    from tongdai.deadlines.services import case_deadlines as deadlines_of

    return list(deadlines_of(case))
