"""Run the real system (``tongdai serve``) as a subprocess for tests that need it.

Used by the serve/jobs tests and the browser end-to-end tests. The system runs on a fresh
database: a temporary SQLite file, or a scratch PostgreSQL database when the suite runs on
PostgreSQL. Waiting is bounded polling of an external process, never a timing assertion.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

START_DEADLINE = 90  # seconds: migrate + reference data + demo data on a slow CI machine
STOP_DEADLINE = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def scratch_database_url() -> Iterator[str | None]:
    """None (embedded SQLite) on the SQLite run; a new PostgreSQL database otherwise."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        yield None
        return
    import psycopg

    name = f"td_serve_{uuid.uuid4().hex[:8]}"
    params = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or "5432",
              "user": db["USER"], "password": db["PASSWORD"], "dbname": "postgres"}
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    try:
        yield f"postgres://{auth}@{params['host']}:{params['port']}/{name}"
    finally:
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def system_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"TONGDAI_DATABASE_URL", "TONGDAI_REDIS_URL", "TONGDAI_JOBS_IMMEDIATE"}}
    env["TONGDAI_DATA_DIR"] = str(data_dir)
    if database_url:
        env["TONGDAI_DATABASE_URL"] = database_url
    return env


@contextmanager
def serving(tmp_path: Path, database_url: str | None, *extra: str,
            env: dict[str, str] | None = None, port: int | None = None):
    """Start ``tongdai serve`` and yield (process, port, log path); always stop it.

    ``env``: extra environment (provider secrets, fake provider base URLs); ``port``: a
    port chosen beforehand (when a peer such as the PBX must know it before the start).
    """
    port = port or free_port()
    env = {**system_env(tmp_path / "data", database_url), **(env or {})}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tongdai.cli", "serve", "--port", str(port), *extra],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        yield process, port, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return json.load(response) if response.status == 200 else None
    except (OSError, ValueError, urllib.error.URLError):
        return None


def wait_until_running(process, port: int, log: Path) -> dict:
    """Poll until serve says it runs and /healthz shows both heartbeats (bounded)."""
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{log.read_text()}")
        state = health(port)
        if (state and {"worker", "scheduler"} <= set(state["heartbeats"])
                and "tongdai is running at" in log.read_text()):
            return state
        time.sleep(0.5)  # polling an external process, not an assertion on timing
    pytest.fail(f"serve did not become healthy in {START_DEADLINE} s:\n{log.read_text()}")


def wait_exit(process, log: Path) -> int:
    try:
        return process.wait(timeout=STOP_DEADLINE)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve did not stop within {STOP_DEADLINE} s:\n{log.read_text()}")


def run_cli(data_dir: Path, database_url: str | None, *args: str, stdin: str | None = None) -> str:
    """Run ``tongdai <args>`` against the served system's database; return stdout."""
    result = subprocess.run([sys.executable, "-m", "tongdai.cli", *args],
                            env=system_env(data_dir, database_url), input=stdin,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"tongdai {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout
