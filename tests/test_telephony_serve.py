"""``tongdai serve`` runs the AMI listener as a third child when TONGDAI_AMI_URL is set:
events from a (fake, real-TCP) Asterisk reach the inbox and the worker makes the call;
a refused AMI login stops everything, as any dying child does."""

from __future__ import annotations

import signal
import time

import pytest

from tests.support.fake_ami import FakeAsterisk
from tests.support.serving import (
    START_DEADLINE,
    STOP_DEADLINE,
    run_cli,
    scratch_database_url,
    serving,
    wait_exit,
    wait_until_running,
)
from tests.test_telephony_ami import ANSWERED_TRACE, LINKEDID

DEADLINE = 60


@pytest.fixture
def serve_database_url():
    with scratch_database_url() as url:
        yield url


def _children(pid: int) -> list[str]:
    from pathlib import Path

    path = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [int(p) for p in path.read_text().split()] if path.exists() else []
    out = []
    for child in pids:
        try:
            out.append(Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            pass
    return out


CALL_STATE = ("from tongdai.telephony.models import Call; "
              "print(';'.join(f'{c.provider_call_id},{c.state},{c.duration_seconds}' "
              "for c in Call.objects.all()))")


def test_serve_runs_the_ami_listener_and_the_worker_makes_the_call(tmp_path, serve_database_url):
    with FakeAsterisk(ANSWERED_TRACE) as pbx:
        env = {"TONGDAI_AMI_URL": f"ami://tongdai:ami-secret@127.0.0.1:{pbx.port}"}
        with serving(tmp_path, serve_database_url, env=env) as (process, port, log):
            wait_until_running(process, port, log)
            assert any(" ami" in c and "tongdai.cli" in c for c in _children(process.pid))
            deadline = time.monotonic() + DEADLINE
            state = ""
            while time.monotonic() < deadline:
                output = run_cli(tmp_path / "data", serve_database_url, "shell", "-c", CALL_STATE)
                state = output.strip().splitlines()[-1] if output.strip() else ""
                if state.endswith(",ended,95"):
                    break
                time.sleep(1)  # polling an external process, not a timing assertion
            assert state == f"{LINKEDID},ended,95", log.read_text()
            process.send_signal(signal.SIGTERM)
            assert wait_exit(process, log) == 0
    assert pbx.logins


def test_serve_stops_when_the_ami_login_is_refused(tmp_path, serve_database_url):
    with FakeAsterisk(ANSWERED_TRACE) as pbx:
        env = {"TONGDAI_AMI_URL": f"ami://tongdai:wrong-secret@127.0.0.1:{pbx.port}"}
        with serving(tmp_path, serve_database_url, env=env) as (process, _port, log):
            # Bounded wait for an external process (migrations come first).
            assert process.wait(timeout=START_DEADLINE + STOP_DEADLINE) == 1
    assert "the ami process exited" in log.read_text()
