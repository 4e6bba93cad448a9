"""ASGI entry point (uvicorn serves it): Django's WSGI handler on a pool of threads,
with a body-size guard in front.

**Why WSGI inside ASGI.** Every view is synchronous. Django's own ASGI handler runs each
request's sync code on a thread of its own, made for that request, and crosses between
the event loop and threads three times per request (the request-started signal, the view,
the response's close); measured per request it cost ≈ 1.5 ms of CPU more than Django's
WSGI handler running on threads that live on (docs/performance.md, "Creating contacts"):
the difference between ~240 and ~330 contacts a second on this 2-CPU machine.
``a2wsgi.WSGIMiddleware`` runs the WSGI handler on a fixed pool of ``WEB_THREADS``
threads (``TONGDAI_WEB_THREADS``, default 8) and streams bodies both ways.

**Body limit.** ``BodyLimit`` counts bytes as they arrive and answers 413 as soon as the
limit is passed, before Django or the thread pool holds them (production also sets nginx
``client_max_body_size``). A body that declares no length (``Transfer-Encoding:
chunked``) is read here first, up to the limit, and handed on with its length: Django's
WSGI handler reads only as many bytes as ``Content-Length`` says.
"""

import asyncio
import json
import os
import tempfile

from a2wsgi import WSGIMiddleware
from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongdai.settings")
django_application = WSGIMiddleware(get_wsgi_application(), workers=settings.WEB_THREADS)

#: Chunk size for replaying a buffered body, and what stays in memory before it spills
#: to a temporary file.
_CHUNK = 64 * 1024
_IN_MEMORY = 1024 * 1024


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
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            return await self.app(scope, _body_not_read(), send)
        if declared is None and _has_body(scope):
            return await self._buffered(scope, receive, send, limit)
        return await self._streamed(scope, receive, send, limit)

    async def _buffered(self, scope, receive, send, limit: int):
        """A body without a declared length: read it (413 past ``limit``), then hand it on
        with a ``Content-Length``; up to 1 MB stays in memory, the rest in a temporary file."""
        with tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY) as body:
            received = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    return await _send_413(send, limit)
                body.write(chunk)
                if not message.get("more_body", False):
                    break
            body.seek(0)
            headers = [(k, v) for k, v in scope.get("headers", ())
                       if k.lower() not in (b"transfer-encoding", b"content-length")]
            headers.append((b"content-length", str(received).encode()))

            finished = False

            async def replay():
                nonlocal finished
                if finished:
                    await asyncio.Event().wait()  # all given: wait as a live connection does
                chunk = body.read(_CHUNK)
                finished = body.tell() >= received
                return {"type": "http.request", "body": chunk, "more_body": not finished}

            return await self.app(dict(scope, headers=headers), replay, send)

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


def _declared_length(scope) -> int | None:
    """The body length the request declares; None when it declares none."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # Django's middleware answers 400 for a malformed length
    return None


def _has_body(scope) -> bool:
    """A request that sends a body without declaring its length (chunked)."""
    return any(name.lower() == b"transfer-encoding" for name, _ in scope.get("headers", ()))


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
