"""ASGI entry point, with a body-size guard in front of Django.

Django's ASGI handler spools the whole request body to a temporary file before any
middleware runs, so ``BodySizeLimitMiddleware`` alone would refuse a 100 MB chunked upload
only after writing it to disk. ``BodyLimit`` counts bytes as they arrive and answers 413
as soon as the limit is passed (production also sets nginx ``client_max_body_size``).
"""

import json
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongdai.settings")
django_application = get_asgi_application()


class BodyLimit:
    """Refuse HTTP request bodies larger than ``limit`` bytes while they stream in."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        received = 0
        refused = False

        async def limited_receive():
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    raise _TooLarge()
            return message

        try:
            return await self.app(scope, limited_receive, send)
        except _TooLarge:
            if refused:
                await _send_413(send, self.limit)


class _TooLarge(Exception):
    pass


async def _send_413(send, limit: int) -> None:
    body = json.dumps({"message": f"Request body too large (limit {limit} bytes)."}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _limit() -> int:
    from django.conf import settings

    return settings.MAX_REQUEST_BYTES


application = BodyLimit(django_application, _limit())
