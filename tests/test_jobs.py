"""Background jobs, and ``tongdai serve`` running web, worker and scheduler together.

The job functions are called directly (``call_local``). The serve tests start the real
command as a subprocess on a fresh database — a temporary SQLite file, or a scratch
PostgreSQL database when the suite runs on PostgreSQL — and poll it over HTTP with a
bounded deadline.
"""

from __future__ import annotations

import datetime
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from huey import signals

from tests.support.serving import scratch_database_url, serving, wait_exit, wait_until_running
from tongdai.core import tasks
from tongdai.core.models import Heartbeat

# --------------------------------------------------------------------------- job functions


def test_heartbeat_records_that_a_worker_ran(db):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC), tick=False):
        tasks.heartbeat.call_local()
    beat = Heartbeat.objects.get(name=tasks.WORKER)
    assert beat.at == datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC)


def test_heartbeat_is_idempotent_and_moves_forward(db):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC), tick=False):
        tasks.heartbeat.call_local()
    with time_machine.travel(datetime.datetime(2026, 3, 1, 8, 1, tzinfo=datetime.UTC), tick=False):
        tasks.heartbeat.call_local()
        tasks.heartbeat.call_local()
        assert Heartbeat.objects.get(name=tasks.WORKER).age_seconds() == 0
    assert Heartbeat.objects.filter(name=tasks.WORKER).count() == 1


def test_enqueueing_the_heartbeat_records_the_scheduler(db, monkeypatch):
    # In the consumer the signal runs in the scheduler's own thread and closes its stale
    # connections; inside a test transaction that would end the transaction.
    monkeypatch.setattr(tasks, "close_old_connections", lambda: None)
    tasks._scheduler_enqueued(signals.SIGNAL_ENQUEUED, tasks.heartbeat.s())
    assert Heartbeat.objects.filter(name=tasks.SCHEDULER).exists()
    assert not Heartbeat.objects.filter(name=tasks.WORKER).exists()


def test_enqueueing_other_tasks_is_not_a_scheduler_heartbeat(db, monkeypatch):
    monkeypatch.setattr(tasks, "close_old_connections", lambda: None)
    tasks._scheduler_enqueued(signals.SIGNAL_ENQUEUED, tasks.sessions_clear.s())
    assert not Heartbeat.objects.exists()


def test_heartbeat_and_sessions_clear_are_periodic():
    now = datetime.datetime(2026, 3, 1, 20, 17)
    assert tasks.heartbeat.s().validate_datetime(now)
    assert tasks.heartbeat.s().validate_datetime(now.replace(minute=18))
    assert tasks.sessions_clear.s().validate_datetime(now)  # 03:17 in Hà Nội
    assert not tasks.sessions_clear.s().validate_datetime(now.replace(minute=18))


def _session(expires: datetime.datetime) -> str:
    store = SessionStore()
    store["_auth_user_id"] = "1"
    store.create()
    Session.objects.filter(pk=store.session_key).update(expire_date=expires)
    return store.session_key


def test_sessions_clear_deletes_only_expired_sessions(db):
    now = timezone.now()
    expired = _session(now - datetime.timedelta(hours=1))
    live = _session(now + datetime.timedelta(hours=1))
    tasks.sessions_clear.call_local()
    assert not Session.objects.filter(pk=expired).exists()
    assert Session.objects.filter(pk=live).exists()
    tasks.sessions_clear.call_local()  # safe to run twice
    assert Session.objects.filter(pk=live).exists()


def test_healthz_reports_the_age_of_each_heartbeat(db, client):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.UTC), tick=False):
        Heartbeat.beat(tasks.WORKER)
    with time_machine.travel(datetime.datetime(2026, 3, 1, 8, 3, tzinfo=datetime.UTC), tick=False):
        Heartbeat.beat(tasks.SCHEDULER)
        body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["heartbeats"] == {"worker": 180, "scheduler": 0}


# --------------------------------------------------------------------------- tongdai serve


@pytest.fixture
def serve_database_url():
    with scratch_database_url() as url:
        yield url


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat")
    return not (state.exists() and state.read_text().split(") ")[-1].startswith("Z"))


def test_serve_runs_web_worker_and_scheduler_and_stops_cleanly_on_sigterm(
        tmp_path, serve_database_url):
    with serving(tmp_path, serve_database_url, "--demo") as (process, port, log):
        health = wait_until_running(process, port, log)
        assert health["database"] == "ok"
        children = _children(process.pid)
        commands = [_cmdline(pid) for pid in children]
        assert any("uvicorn" in c and "--no-access-log" in c for c in commands), commands
        assert any("run_huey" in c for c in commands), commands

        process.send_signal(signal.SIGTERM)
        assert wait_exit(process, log) == 0
    output = log.read_text()
    assert f"tongdai is running at http://127.0.0.1:{port}" in output
    assert "tuvan.hn" in output and "quantri" in output
    accounts = tmp_path / "data" / "demo-accounts.txt"
    assert accounts.stat().st_mode & 0o777 == 0o600
    assert not [pid for pid in children if _alive(pid)]


def test_serve_exits_non_zero_when_a_child_dies(tmp_path, serve_database_url):
    with serving(tmp_path, serve_database_url) as (process, port, log):
        wait_until_running(process, port, log)
        children = _children(process.pid)
        jobs = next(pid for pid in children if "run_huey" in _cmdline(pid))
        os.kill(jobs, signal.SIGKILL)
        assert wait_exit(process, log) == 1
    assert "the jobs process exited" in log.read_text()
    assert not [pid for pid in children if _alive(pid)]


def test_serve_refuses_a_port_that_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k != "TONGDAI_DATABASE_URL"}
        env["TONGDAI_DATA_DIR"] = str(tmp_path / "data")
        result = subprocess.run(
            [sys.executable, "-m", "tongdai.cli", "serve", "--port", str(port)],
            env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
