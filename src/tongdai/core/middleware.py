"""Request guards that run before anything reads the body."""

from __future__ import annotations

import re
from functools import lru_cache

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _
from whitenoise.middleware import WhiteNoiseMiddleware

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

    Sync and async capable, like every middleware of the stack: under uvicorn one sync-only
    middleware makes each request hop between the event loop and a thread twice more.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return self.refusal(request) or self.get_response(request)

    async def __acall__(self, request):
        length = _declared_length(request)
        if length < 0 or length > body_limit_for(request.path_info):
            # Rare: render the refusal (the page may read the session) in a thread.
            return await sync_to_async(self.refusal)(request)
        return await self.get_response(request)

    def refusal(self, request):
        """The error response for a body that is too large or undeclarable, else ``None``."""
        limit = body_limit_for(request.path_info)
        length = _declared_length(request)
        if length < 0:
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
        return None


def _declared_length(request) -> int:
    """The request's Content-Length (0 when absent), or -1 when it is not a number."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or "0")
    except ValueError:
        return -1


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise (static files for the embedded default; nginx serves them in front of a
    production install), made async capable for the same reason as above. A static file
    is opened in a thread; every other request passes straight on."""

    async_capable = True

    def __init__(self, get_response=None, *args, **kwargs):
        super().__init__(get_response, *args, **kwargs)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request):
        if self.autorefresh:
            static_file = await sync_to_async(self.find_file, thread_sensitive=False)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            return await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)
        return await self.get_response(request)


class SyncChainMiddleware:
    """Last in ``MIDDLEWARE``, sync only, so that under uvicorn the whole middleware chain
    runs in synchronous mode: one hop from the event loop into the request's thread, not
    one per middleware. Django runs each ``MiddlewareMixin`` middleware (sessions, CSRF,
    authentication, messages…) in async mode by calling its ``process_request`` and
    ``process_response`` through ``sync_to_async``: with a dozen of them that was ~20
    thread hand-offs and ~8 ms of CPU per request, more than the view itself. Our views
    are synchronous, so the async mode bought nothing (docs/performance.md)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
