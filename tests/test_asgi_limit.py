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


def _through_body_limit(chunks: list[bytes], headers: list[tuple[bytes, bytes]], limit: int):
    """Send ``chunks`` through ``BodyLimit`` to a stand-in app that reads the whole body
    as Django's WSGI handler would (``Content-Length`` bytes); (what it saw, what was sent)."""
    from tongdai.asgi import BodyLimit

    seen: dict = {}
    sent: list[dict] = []
    pending = list(chunks)

    async def receive():
        chunk = pending.pop(0) if pending else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):
        seen["headers"] = dict(scope["headers"])
        body = b""
        while True:
            message = await receive()
            body += message["body"]
            if not message["more_body"]:
                break
        seen["body"] = body
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    scope = {"type": "http", "method": "POST", "path": "/api/v1/contacts", "headers": headers}
    run_asgi(BodyLimit(app, limit)(scope, receive, send))
    return seen, sent


def test_a_chunked_body_within_the_limit_reaches_the_app_whole_with_its_length():
    """The WSGI handler reads Content-Length bytes only, so a chunked body is read first
    and handed on with its length (and without Transfer-Encoding)."""
    chunks = [("{\"summary\": \"Trẻ bị đánh " + "x" * 70_000 + "\"").encode(), b", \"urgent\": true}"]
    seen, sent = _through_body_limit(chunks, [(b"content-type", b"application/json"),
                                              (b"transfer-encoding", b"chunked")], limit=MB)
    assert seen["body"] == b"".join(chunks)
    assert seen["headers"][b"content-length"] == str(len(b"".join(chunks))).encode()
    assert b"transfer-encoding" not in seen["headers"]
    assert sent[0]["status"] == 201


def test_an_empty_chunked_body_reaches_the_app_as_length_zero():
    seen, _sent = _through_body_limit([], [(b"transfer-encoding", b"chunked")], limit=MB)
    assert seen["body"] == b"" and seen["headers"][b"content-length"] == b"0"


def test_a_chunked_body_past_the_limit_never_reaches_the_app():
    seen, sent = _through_body_limit([b"x" * 600, b"x" * 600], [(b"transfer-encoding", b"chunked")],
                                     limit=1000)
    assert seen == {} and sent[0]["status"] == 413
