"""A fake Zalo platform at its network edge: a real HTTP server in the test process that
answers the two calls tongdai makes (OA access-token refresh and the consultation message
API) the way Zalo does, and records every request it receives."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8")).items()}


@dataclass
class ZaloEdge:
    url: str
    env: dict[str, str] = field(default_factory=dict)  # what the system needs to use it
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sent(self) -> list[dict]:
        """Bodies of the messages tongdai sent through the OA message API."""
        with self.lock:
            return [r.json() for r in self.requests
                    if r.method == "POST" and r.path == "/v3.0/oa/message/cs"]


def _handler(edge: ZaloEdge):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with edge.lock:
                edge.requests.append(Recorded("POST", self.path, dict(self.headers), body))
            if self.path == "/v4/oa/access_token":
                answer = {"access_token": "at-" + uuid.uuid4().hex,
                          "refresh_token": "rt-" + uuid.uuid4().hex, "expires_in": "90000"}
            elif self.path == "/v3.0/oa/message/cs":
                answer = {"error": 0, "message": "Success",
                          "data": {"message_id": uuid.uuid4().hex, "user_id": ""}}
                try:
                    answer["data"]["user_id"] = json.loads(body)["recipient"]["user_id"]
                except (ValueError, KeyError, TypeError):
                    answer = {"error": -201, "message": "Parameters are invalid"}
            else:
                self.send_error(404)
                return
            raw = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):  # keep test output quiet
            pass

    return Handler


@contextmanager
def zalo_edge() -> Iterator[ZaloEdge]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    edge = ZaloEdge(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(edge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield edge
    finally:
        server.shutdown()
        server.server_close()
