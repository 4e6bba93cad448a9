"""A real SIP call to 111 reaches the counsellor's screen and becomes a contact.

Every part is real except the telephones: ``tongdai serve --demo`` (web, worker,
scheduler) on SQLite or PostgreSQL; Debian's Kamailio as the hotline PBX, posting call
events to the generic webhook ``POST /hooks/calls`` with its ``http_client`` module
(tests/support/sip/kamailio.cfg, also the operators' example); and SIPp phones: the
counsellor's desk phone (extension 1001), which rings then answers (or declines), and a
caller dialling 111 from a Vietnamese mobile number, who talks for a few seconds and hangs
up.

What the hotline sees is read through the product's own HTTP surface only: the workspace
queue (``/workspace/queue.json``, signed in as the counsellor), the wallboard
(``/workspace/wallboard.json``, as a supervisor) and the contacts API (``/api/v1/contacts``
with the counsellor's API token)."""

from __future__ import annotations

import datetime
import http.cookiejar
import json
import secrets
import shutil
import socket
import subprocess
import time
import types
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.serving import run_cli, scratch_database_url, serving, wait_until_running

pytestmark = pytest.mark.e2e

SIP_DIR = Path(__file__).resolve().parents[1] / "support" / "sip"
KAMAILIO = shutil.which("kamailio") or "/usr/sbin/kamailio"
SIPP = shutil.which("sipp") or "/usr/bin/sipp"
HTTP_CLIENT_MODULE = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules/http_client.so")

COUNSELLOR = "tuvan.sip"
SUPERVISOR = "giamsat.sip"
PASSWORD = "Tu-van-vien-111-an-toan"
EXTENSION = "1001"
CALLER = "0912345678"  # as the mobile network presents it
CALLER_E164 = "+84912345678"
OTHER_CALLER = "0987654321"
RING_MS = 4000  # the counsellor's phone rings this long before it answers or declines
TALK_MS = 4000  # the conversation, answer to hang-up
DEADLINE = 30  # seconds for any one thing to show up (a slow CI machine)


# --------------------------------------------------------------------------- helpers


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def udp_port_taken(port: int) -> bool:
    """Whether some socket is bound to UDP ``port`` (read from the kernel's table, so the
    check never holds the port itself while the phone starts)."""
    lines = Path("/proc/net/udp").read_text().splitlines()[1:]
    return any(line.split()[1].endswith(f":{port:04X}") for line in lines)


def sip_answers(port: int) -> bool:
    """Whether a SIP server on 127.0.0.1:port answers an OPTIONS request (any status)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.5)
        local = sock.getsockname()[1]
        call_id = secrets.token_hex(8)
        request = (f"OPTIONS sip:probe@127.0.0.1:{port} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK{call_id}\r\n"
                   f"From: <sip:probe@127.0.0.1:{local}>;tag={call_id}\r\n"
                   f"To: <sip:probe@127.0.0.1:{port}>\r\nCall-ID: {call_id}\r\n"
                   "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
        sock.sendto(request.encode(), ("127.0.0.1", port))
        try:
            return sock.recv(4096).startswith(b"SIP/2.0 ")
        except OSError:
            return False


class Peers:
    """The PBX and the phones as subprocesses, their output in files, always stopped."""

    def __init__(self, tmp: Path, stack: ExitStack):
        self.tmp, self.stack, self.logs = tmp, stack, []

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None):
        log = self.tmp / f"{name}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, env=env, cwd=self.tmp)
        self.stack.callback(self.stop, process)
        return process

    @staticmethod
    def stop(process) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def wait(self, what: str, probe: Callable[[], object], serve_log: Path):
        return wait_for(what, probe, self, serve_log)

    def dump(self) -> str:
        parts = []
        for log in self.logs + sorted(self.tmp.glob("*_messages.log")) + sorted(
                self.tmp.glob("*_errors.log")):
            text = log.read_text(errors="replace") if log.exists() else "(missing)"
            parts.append(f"----- {log.name} -----\n{text[-6000:]}")
        return "\n".join(parts)


def wait_for(what: str, probe: Callable[[], object], peers: Peers, serve_log: Path,
             deadline: float = DEADLINE, interval: float = 0.1):
    """Poll ``probe`` until it returns something truthy; fail with every log otherwise.

    Bounded polling of external processes, never an assertion on how fast they are.
    """
    end = time.monotonic() + deadline
    last = None
    while time.monotonic() < end:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what}: not seen within {deadline} s (last: {last!r})\n{peers.dump()}\n"
                f"----- serve.log -----\n{serve_log.read_text(errors='replace')[-6000:]}")


class Browserless:
    """A signed-in web session of one user, as the workspace page's script has it."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.open(f"{base}/login/", timeout=10).read()
        self.post("/login/", {"username": username, "password": password, "next": "/"})
        if not any(c.name == "sessionid" for c in self.jar):
            pytest.fail(f"{username} could not sign in")

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def post(self, path: str, data: dict) -> int:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
        request = urllib.request.Request(f"{self.base}{path}", data=body,
                                         headers={"Referer": f"{self.base}{path}"})
        with self.opener.open(request, timeout=10) as response:
            return response.status

    def json(self, path: str) -> dict:
        with self.opener.open(f"{self.base}{path}", timeout=10) as response:
            return json.load(response)


def api_get(base: str, token: str, path: str) -> dict:
    request = urllib.request.Request(f"{base}{path}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def moment(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


# --------------------------------------------------------------------------- the hotline


@pytest.fixture(scope="module")
def hotline(tmp_path_factory):
    """tongdai, the counsellor (extension 1001) and a supervisor signed in, and the PBX."""
    for path, package in ((KAMAILIO, "kamailio"), (SIPP, "sip-tester"),
                          (str(HTTP_CLIENT_MODULE), "kamailio-utils-modules")):
        if not Path(path).exists():
            pytest.fail(f"{path} is missing: `apt-get install {package}` (make test does this)")
    tmp = tmp_path_factory.mktemp("sip")
    calls_token = secrets.token_urlsafe(24)
    pbx_port, phone_port = free_udp_port(), free_udp_port()

    with ExitStack() as stack:
        database_url = stack.enter_context(scratch_database_url())
        process, port, serve_log = stack.enter_context(serving(
            tmp, database_url, "--demo", env={"TONGDAI_CALLS_TOKEN": calls_token}))
        wait_until_running(process, port, serve_log)
        base = f"http://127.0.0.1:{port}"
        data = tmp / "data"
        run_cli(data, database_url, "user", "create", COUNSELLOR, "--role", "counsellor",
                "--centre", "HN", "--extension", EXTENSION, "--password-file", "-",
                "--full-name", "Tư vấn viên tổng đài", stdin=PASSWORD + "\n")
        run_cli(data, database_url, "user", "create", SUPERVISOR, "--role", "supervisor",
                "--centre", "HN", "--password-file", "-", stdin=PASSWORD + "\n")
        api_token = run_cli(data, database_url, "token", "create", COUNSELLOR,
                            "--name", "sip e2e").strip()

        peers = Peers(tmp, stack)
        peers.start("kamailio", [
            KAMAILIO, "-f", str(SIP_DIR / "kamailio.cfg"), "-DD", "-E", "-m", "32", "-M", "8",
            "-A", f"SIP_LISTEN=udp:127.0.0.1:{pbx_port}",
            "-A", f'COUNSELLOR_PHONE="127.0.0.1:{phone_port}"',
            "-A", f'COUNSELLOR_EXT="{EXTENSION}"'],
            env={"PATH": "/usr/sbin:/usr/bin:/bin", "TONGDAI_CALLS_URL": f"{base}/hooks/calls",
                 "TONGDAI_CALLS_TOKEN": calls_token})
        peers.wait("the PBX answering SIP", lambda: sip_answers(pbx_port), serve_log)
        yield types.SimpleNamespace(
            base=base, api_token=api_token, peers=peers, serve_log=serve_log, tmp=tmp,
            pbx_port=pbx_port, phone_port=phone_port, phones=[],
            counsellor=Browserless(base, COUNSELLOR, PASSWORD),
            supervisor=Browserless(base, SUPERVISOR, PASSWORD))


def place_call(hotline, name: str, phone_scenario: str, caller_scenario: str,
               caller_number: str, *caller_args: str):
    """Start the counsellor's phone, then a caller dialling 111 through the PBX."""
    common = ["-i", "127.0.0.1", "-m", "1", "-nostdin", "-timeout", "40s", "-timeout_error",
              "-trace_msg", "-trace_err"]
    for earlier in hotline.phones:  # left ringing by a failed test: free the phone's port
        Peers.stop(earlier)
    phone = hotline.peers.start(f"{name}_phone", [
        SIPP, "-sf", str(SIP_DIR / phone_scenario), "-p", str(hotline.phone_port),
        "-d", str(RING_MS), *common])
    hotline.phones.append(phone)
    hotline.peers.wait("the counsellor's phone listening",
                       lambda: udp_port_taken(hotline.phone_port), hotline.serve_log)
    caller = hotline.peers.start(f"{name}_caller", [
        SIPP, f"127.0.0.1:{hotline.pbx_port}", "-sf", str(SIP_DIR / caller_scenario),
        "-s", "111", "-key", "caller", caller_number, "-p", str(free_udp_port()),
        *caller_args, *common])
    return phone, caller


def finished(hotline, process, who: str, timeout: float) -> None:
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{who} did not finish\n{hotline.peers.dump()}")
    assert code == 0, f"{who}'s sipp failed ({code})\n{hotline.peers.dump()}"


def new_waiting_call(web, known: set[int]):
    return next((item for item in web.json("/workspace/queue.json")["waiting"]
                 if item["type"] == "call" and item["id"] not in known), None)


def waiting_call_ids(web) -> set[int]:
    return {i["id"] for i in web.json("/workspace/queue.json")["waiting"] if i["type"] == "call"}


def hn_board(hotline) -> dict:
    return next(c for c in hotline.supervisor.json("/workspace/wallboard.json")["centres"]
                if c["centre"] == "HN")


def pbx_events(hotline, since: int) -> str:
    return (hotline.tmp / "kamailio.log").read_text(errors="replace")[since:]


def pbx_log_size(hotline) -> int:
    return len((hotline.tmp / "kamailio.log").read_text(errors="replace"))


# --------------------------------------------------------------------------- the tests


def test_a_sip_call_to_111_is_queued_answered_and_recorded_as_a_contact(hotline):
    web, wait = hotline.counsellor, hotline.peers.wait
    base, token, serve_log = hotline.base, hotline.api_token, hotline.serve_log
    # The counsellor opens the workspace and is available for calls.
    web.post("/workspace/presence", {"status": "available"})
    before = web.json("/workspace/queue.json")
    assert before["presence"] == "available", before
    known = waiting_call_ids(web)
    answered_before = hn_board(hotline)["answered_today"]
    log_from = pbx_log_size(hotline)

    phone, caller = place_call(hotline, "answered", "counsellor_phone.xml", "caller.xml",
                               CALLER, "-d", str(TALK_MS))

    # 1. While the counsellor's phone rings, the call waits in the centre's queue.
    waiting = wait("the call waiting in the queue", lambda: new_waiting_call(web, known),
                   serve_log)
    assert (waiting["status"], waiting["channel"], waiting["centre"], waiting["overflowed"],
            waiting["contact"]) == ("ringing", "phone_111", "HN", False, None), waiting

    # 2. The phone answers: the call is the counsellor's, the intake form pops once.
    def answered():
        state = web.json("/workspace/queue.json")
        mine = [i for i in state["mine"] if i["type"] == "call" and i["id"] == waiting["id"]]
        return (mine, state["pop"]) if mine and state["pop"] else None

    mine, pop = wait("the call answered by extension 1001 with a screen pop", answered,
                     serve_log)
    contact_id = mine[0]["contact"]
    assert mine[0]["status"] == "answered" and contact_id, mine
    assert pop == {"url": f"/contacts/{contact_id}/edit"}, pop
    state = web.json("/workspace/queue.json")
    assert state["pop"] is None, "the intake form popped twice"
    assert state["presence"] == "on_call", state
    assert waiting["id"] not in waiting_call_ids(web)

    # 3. The pop is the counsellor's draft contact, the caller's number filled in.
    contact = api_get(base, token, f"/api/v1/contacts/{contact_id}")
    assert (contact["status"], contact["counsellor"], contact["channel"],
            contact["caller"]["phone"]) == ("draft", COUNSELLOR, "phone_111", CALLER_E164)
    assert contact["answered_at"] and not contact["ended_at"], contact
    found = api_get(base, token, f"/api/v1/contacts?phone={CALLER}")["items"]
    assert contact_id in {c["id"] for c in found}, found

    # 4. The caller hangs up after TALK_MS: the contact ends with the call's length.
    finished(hotline, caller, "the caller", TALK_MS / 1000 + DEADLINE)

    def ended():
        body = api_get(base, token, f"/api/v1/contacts/{contact_id}")
        return body if body["ended_at"] else None

    contact = wait("the contact's end time", ended, serve_log)
    talked = (moment(contact["ended_at"]) - moment(contact["answered_at"])).total_seconds()
    assert abs(talked - TALK_MS / 1000) <= 1, (
        f"answered→ended is {talked:.2f} s, the call lasted {TALK_MS / 1000} s\n"
        f"{hotline.peers.dump()}")
    rang = (moment(contact["answered_at"]) - moment(contact["received_at"])).total_seconds()
    assert abs(rang - RING_MS / 1000) <= 1, (
        f"received→answered is {rang:.2f} s, the phone rang {RING_MS / 1000} s")

    # The call left the counsellor's list; the counsellor is in wrap-up; the wallboard
    # counts one more answered call.
    def call_over():
        state = web.json("/workspace/queue.json")
        return None if any(i["type"] == "call" for i in state["mine"]) else state

    assert wait("the call leaving the counsellor's list", call_over, serve_log)[
        "presence"] == "wrap_up"
    assert hn_board(hotline)["answered_today"] == answered_before + 1
    finished(hotline, phone, "the counsellor's phone", DEADLINE)

    # Kamailio got tongdai's acceptance of each event it posted.
    events = pbx_events(hotline, log_from)
    for event in ("ringing", "answered", "ended"):
        assert f"tongdai call event {event} for " in events, events
    assert events.count('HTTP 200 {"status": "accepted"}') == 3, events


def test_a_call_the_counsellor_does_not_answer_ends_abandoned_without_a_contact(hotline):
    web, wait, serve_log = hotline.counsellor, hotline.peers.wait, hotline.serve_log
    web.post("/workspace/presence", {"status": "available"})
    known = waiting_call_ids(web)
    abandoned_before = hn_board(hotline)["abandoned_today"]
    log_from = pbx_log_size(hotline)

    phone, caller = place_call(hotline, "declined", "counsellor_phone_busy.xml",
                               "caller_declined.xml", OTHER_CALLER)

    waiting = wait("the call waiting in the queue", lambda: new_waiting_call(web, known),
                   serve_log)
    assert (waiting["status"], waiting["channel"]) == ("ringing", "phone_111"), waiting
    finished(hotline, caller, "the caller", DEADLINE)
    finished(hotline, phone, "the counsellor's phone", DEADLINE)

    # The phone said busy: the call leaves the queue as abandoned, nobody gets a contact.
    wait("the call leaving the queue", lambda: waiting["id"] not in waiting_call_ids(web),
         serve_log)
    state = web.json("/workspace/queue.json")
    assert (state["mine"], state["pop"], state["presence"]) == ([], None, "available"), state
    wait("the wallboard counting the abandoned call",
         lambda: hn_board(hotline)["abandoned_today"] == abandoned_before + 1, serve_log)
    assert api_get(hotline.base, hotline.api_token,
                   f"/api/v1/contacts?phone={OTHER_CALLER}")["items"] == []
    events = pbx_events(hotline, log_from)
    assert "tongdai call event ringing for " in events, events
    assert "tongdai call event ended for " in events, events
    assert events.count('HTTP 200 {"status": "accepted"}') == 2, events
