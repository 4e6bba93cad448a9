"""My deadlines: overdue and soon-due legal deadlines of the cases I can see."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tongdai.accounts.roles import Perm
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.deadlines.services import deadlines_due

SOON = datetime.timedelta(hours=24)
PAGE_LIMIT = 500


@login_required
@require_GET
def deadlines_mine(request):
    """Overdue (red) and due-within-24-hours deadlines, reach per ``deadlines_due``."""
    if not request.user.can(Perm.CASE_VIEW):
        raise PermissionDenied
    now = timezone.now()
    rows = list(deadlines_due(request.user, within=SOON)[:PAGE_LIMIT])
    overdue = [d for d in rows if d.due_at <= now]
    soon = [d for d in rows if d.due_at > now]
    audit_record(request.user, Action.LIST, object_type="deadline", request=request, via="ui",
                 object_ids=[d.pk for d in rows])
    return render(request, "deadlines/mine.html", {
        "nav": "deadlines", "overdue": overdue, "soon": soon, "now": now,
        "truncated": len(rows) >= PAGE_LIMIT,
    })
