"""The ASGI entry point refuses oversized bodies while they stream, before Django spools them."""


from django.conf import settings

from tests.support.asgi import run_asgi
from tongdai.asgi import application

MB = 1024 * 1024


def _run(chunks_total: int, chunk: int = 64 * 1024):
    sent: list[dict] = []
    state = {"read": 0}

    async def receive():
        if state["read"] >= chunks_total:
            return {"type": "http.request", "body": b"", "more_body": False}
        state["read"] += chunk
        return {"type": "http.request", "body": b"x" * chunk, "more_body": state["read"] < chunks_total}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/api/v1/contacts", "raw_path": b"/api/v1/contacts",
             "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    run_asgi(application(scope, receive, send))
    return sent, state["read"]


def test_a_100_mb_chunked_upload_is_refused_after_reading_about_the_limit():
    sent, read = _run(100 * MB)
    assert sent[0]["status"] == 413
    assert b"too large" in sent[1]["body"]
    assert read <= settings.MAX_REQUEST_BYTES + 64 * 1024
