"""ASGI entry point, with a body-size guard in front of Django.

Django's ASGI handler spools the whole request body to a temporary file before any
middleware runs, so ``BodySizeLimitMiddleware`` alone would refuse a 100 MB chunked upload
only after writing it to disk. ``BodyLimit`` counts bytes as they arrive and answers 413
as soon as the limit is passed (production also sets nginx ``client_max_body_size``).
"""

import asyncio
import json
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongdai.settings")
django_application = get_asgi_application()


class BodyLimit:
    """Refuse HTTP request bodies larger than ``limit`` bytes while they stream in.

    ``limit`` is a number, or a function of the request path (upload endpoints accept
    files up to ``MAX_UPLOAD_BYTES``, see ``core.middleware.body_limit_for``). A body that
    *declares* a Content-Length over the limit is not read at all: Django gets an empty
    body and ``BodySizeLimitMiddleware`` answers 413 in the user's language (an HTML page
    for uploads from the browser, JSON for the API)."""

    def __init__(self, app, limit):
        self.app = app
        self.limit_for = limit if callable(limit) else (lambda path: limit)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope.get("path", ""))
        if _declared_length(scope) > limit:
            return await self.app(scope, _body_not_read(), send)
        return await self._streamed(scope, receive, send, limit)

    async def _streamed(self, scope, receive, send, limit: int):
        received = 0
        refused = False

        async def limited_receive():
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise _TooLarge()
            return message

        try:
            return await self.app(scope, limited_receive, send)
        except _TooLarge:
            if refused:
                await _send_413(send, limit)


def _body_not_read():
    """A ``receive`` that gives Django an empty body, then waits (Django's disconnect
    listener) until the response is sent and the listener is cancelled."""
    given = False

    async def receive():
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()

    return receive


def _declared_length(scope) -> int:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # Django's middleware answers 400 for a malformed length
    return 0


class _TooLarge(Exception):
    pass


async def _send_413(send, limit: int) -> None:
    body = json.dumps({"message": f"Request body too large (limit {limit} bytes)."}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _limit(path: str) -> int:
    from tongdai.core.middleware import body_limit_for

    return body_limit_for(path)


application = BodyLimit(django_application, _limit)
