"""Request guards that run before anything reads the body."""

from __future__ import annotations

import re
from functools import lru_cache

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

#: Room for the multipart framing and the small fields sent beside an uploaded file.
UPLOAD_OVERHEAD_BYTES = 256 * 1024


@lru_cache(maxsize=8)
def _upload_patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in patterns)


def is_upload_path(path: str) -> bool:
    """True for the endpoints that accept files (``settings.UPLOAD_PATH_PATTERNS``)."""
    patterns = tuple(getattr(settings, "UPLOAD_PATH_PATTERNS", ()))
    return any(p.match(path) for p in _upload_patterns(patterns))


def body_limit_for(path: str) -> int:
    """The largest body accepted for ``path``: ``MAX_REQUEST_BYTES`` everywhere, except on
    upload endpoints where a file of ``MAX_UPLOAD_BYTES`` must fit (the view then checks
    the file itself). Shared with the ASGI guard (``tongdai.asgi.BodyLimit``)."""
    if is_upload_path(path):
        return max(settings.MAX_REQUEST_BYTES, settings.MAX_UPLOAD_BYTES + UPLOAD_OVERHEAD_BYTES)
    return settings.MAX_REQUEST_BYTES


class BodySizeLimitMiddleware:
    """Refuse bodies over ``MAX_REQUEST_BYTES`` with 413 before they are read.

    Django's own limit only applies to form parsing; the JSON API reads ``request.body``
    directly, so a 100 MB body would otherwise be buffered in memory.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = body_limit_for(request.path_info)
        raw_length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw_length)
        except ValueError:
            return JsonResponse({"message": _("Invalid Content-Length header.")}, status=400)
        if length > limit and is_upload_path(request.path_info):
            # A person chose a file in the browser: answer with a page they can read.
            from tongdai.core.views import _error

            return _error(request, 413, _("The file is too large: at most %(mb)d MB.")
                          % {"mb": settings.MAX_UPLOAD_MB})
        if length > limit:
            return JsonResponse(
                {"message": _("Request body too large (limit %(limit)d bytes).") % {"limit": limit}},
                status=413,
            )
        return self.get_response(request)
