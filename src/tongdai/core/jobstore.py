"""The embedded job queue's SQLite file, tuned like the main database.

Huey's ``SqliteStorage`` opens its file in WAL mode but leaves ``synchronous`` at SQLite's
default (FULL), so every enqueue waits for an fsync: measured 5–12 ms on the benchmark
machine against 0.07 ms with NORMAL, and a webhook enqueues one job per accepted event
(docs/performance.md, "Webhook intake"). WAL with ``synchronous=NORMAL`` (as the main
database runs, ``core.env.database_from_url``) cannot be corrupted by a crash; a power cut
may lose the last enqueued jobs, which the periodic sweeps recover because the durable
record is the inbox/outbox row in the main database, not the queued job.
"""

from __future__ import annotations

from huey import SqliteHuey as _SqliteHuey
from huey.storage import SqliteStorage as _SqliteStorage


class SqliteStorage(_SqliteStorage):
    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class SqliteHuey(_SqliteHuey):
    storage_class = SqliteStorage
