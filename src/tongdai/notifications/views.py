"""The user's notifications: list, and mark read (plain form, POST/redirect/GET)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from tongdai.notifications.models import Notification
from tongdai.notifications.services import notifications_mark_read

PAGE_LIMIT = 200


@login_required
@require_GET
def notification_list(request):
    items = list(Notification.objects.for_user(request.user)[:PAGE_LIMIT])
    return render(request, "notifications/list.html", {"nav": "notifications", "items": items})


@login_required
@require_POST
def notification_read(request):
    """Mark one (``id``) or all of the user's own notifications read; others' ids are ignored."""
    ids = request.POST.getlist("id")
    notifications_mark_read(request.user, ids or None)
    return redirect("notifications")
