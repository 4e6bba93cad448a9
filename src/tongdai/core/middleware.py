"""Request guards that run before anything reads the body."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _


class BodySizeLimitMiddleware:
    """Refuse bodies over ``MAX_REQUEST_BYTES`` with 413 before they are read.

    Django's own limit only applies to form parsing; the JSON API reads ``request.body``
    directly, so a 100 MB body would otherwise be buffered in memory.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.MAX_REQUEST_BYTES
        raw_length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw_length)
        except ValueError:
            return JsonResponse({"message": _("Invalid Content-Length header.")}, status=400)
        if length > limit:
            return JsonResponse(
                {"message": _("Request body too large (limit %(limit)d bytes).") % {"limit": limit}},
                status=413,
            )
        return self.get_response(request)
