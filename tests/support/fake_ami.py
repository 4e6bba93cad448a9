"""A fake Asterisk for tests: a real TCP server speaking the AMI text protocol (banner,
``Action: Login`` checked against a user and secret, ``Ping``, then the given events as
``Key: Value`` blocks), run on its own event loop in a thread."""

from __future__ import annotations

import asyncio
import threading


class FakeAsterisk:
    """A TCP server speaking AMI: banner, Login (checks the secret), Ping, then the given
    events as ``Key: Value`` blocks."""

    def __init__(self, events, username="tongdai", secret="ami-secret"):
        self.events, self.username, self.secret = events, username, secret
        self.logins: list[dict] = []
        self.ready = threading.Event()
        self.port = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        assert self.ready.wait(5)
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()
        server.close()

    @staticmethod
    def _block(fields: dict) -> bytes:
        return "".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode() + b"\r\n"

    async def _client(self, reader, writer):
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        await writer.drain()
        while True:
            try:
                raw = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            action = dict(line.split(": ", 1) for line in raw.decode().strip().split("\r\n")
                          if ": " in line)
            name = action.get("Action", "").lower()
            if name == "login":
                self.logins.append(action)
                ok = action.get("Username") == self.username and action.get("Secret") == self.secret
                writer.write(self._block({
                    "Response": "Success" if ok else "Error", "ActionID": action.get("ActionID", ""),
                    "Message": "Authentication accepted" if ok else "Authentication failed"}))
                await writer.drain()
                if not ok:
                    break
                writer.write(self._block({"Event": "FullyBooted", "Privilege": "system,all",
                                          "Uptime": "1200", "LastReload": "1200",
                                          "Status": "Fully Booted"}))
                for event in self.events:
                    writer.write(self._block(event))
                await writer.drain()
            elif name == "ping":
                writer.write(self._block({"Response": "Success", "ActionID": action.get("ActionID", ""),
                                          "Ping": "Pong", "Timestamp": "1763773300.000000"}))
                await writer.drain()
        writer.close()
