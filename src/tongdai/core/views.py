"""Site-wide views: health check and error pages (HTML for people, JSON for the API)."""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def _error(request, status: int, message: str):
    if _wants_json(request):
        return JsonResponse({"message": message}, status=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, _("The request could not be understood."))


def forbidden(request, exception=None):
    return _error(request, 403, _("You do not have access to this page."))


def not_found(request, exception=None):
    return _error(request, 404, _("Not found."))


def server_error(request):
    return _error(request, 500, _("Something went wrong on our side. The team has been told."))


def healthz(request):
    """Liveness for load balancers: database reachable, worker heartbeat age."""
    from tongdai.core.models import Heartbeat

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beats = {b.name: b.age_seconds() for b in Heartbeat.objects.all()}
    except Exception:  # the database is down: say so, do not 500
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "heartbeats": beats})
