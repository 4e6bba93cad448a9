"""``tongdai serve``: the whole system in one command.

Prepares the database (migrate, reference data, optionally demo data), then runs two
child processes and watches them:

- **web**: uvicorn serving ``tongdai.asgi:application``, with uvicorn's access log off
  (query strings carry phone numbers and names);
- **jobs**: Huey's consumer (``tongdai run_huey``): the worker and, in the same process,
  the scheduler that enqueues periodic tasks;
- **ami** (only when ``TONGDAI_AMI_URL`` is set): ``tongdai ami``, the Asterisk AMI
  listener that stores the PBX's queue events for the worker.

SIGINT and SIGTERM are forwarded to all and the command waits for them to stop. If
any child dies on its own, the others are stopped and the command exits non-zero so a
supervisor (systemd, Docker) restarts the lot. Production may instead run the two as
separate services (see docs/operations.md).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

READY_TIMEOUT = 60  # seconds for uvicorn to answer /healthz
STOP_TIMEOUT = 15  # seconds a child gets to stop before it is killed
POLL = 0.5


@dataclass
class Child:
    name: str
    process: subprocess.Popen


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if ``serve`` itself is killed (Linux only).

    Children run in their own process group so that a terminal's Ctrl-C reaches only
    ``serve``, which then stops them in order; this keeps them from outliving it.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Command(BaseCommand):
    help = "Run the web server, the job worker and the scheduler (migrates first)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1",
                            help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port (default 8000).")
        parser.add_argument("--demo", action="store_true",
                            help="Load demo accounts and contacts (once; safe to repeat).")
        parser.add_argument("--web-workers", type=int, default=1,
                            help="uvicorn worker processes (default 1).")
        parser.add_argument("--job-workers", type=int, default=2,
                            help="Huey worker threads (default 2).")

    def handle(self, *args, **options):
        host, port = options["host"], options["port"]
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, got {port}.")
        _check_port_free(host, port)
        try:
            self._prepare(options["demo"], options["verbosity"])
        except KeyboardInterrupt:  # Ctrl-C while preparing: a message, not a traceback
            self.stderr.write("Interrupted.")
            sys.exit(130)
        # Children open their own connections; do not hand them ours.
        connections.close_all()
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        children = [self._start_web(host, port, options["web_workers"]),
                    self._start_jobs(options["job_workers"])]
        if settings.TONGDAI_AMI_URL:
            children.append(self._start_ami())
        try:
            code = self._supervise(children, stop, host, port)
        finally:
            _stop_all(children)
        if code:
            sys.exit(code)

    # ----------------------------------------------------------------- preparation

    def _prepare(self, demo: bool, verbosity: int) -> None:
        quiet = max(0, verbosity - 1)
        self.stdout.write("Preparing the database…")
        call_command("migrate", interactive=False, verbosity=quiet)
        call_command("refdata", verbosity=quiet)
        if demo:
            from tongdai.demo import demo_build, demo_report

            result = demo_build()
            self.stdout.write(demo_report(result))
        self.stdout.flush()

    # ----------------------------------------------------------------- children

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # Children must use the same data dir even if it came from the working directory.
        env["TONGDAI_DATA_DIR"] = str(settings.DATA_DIR)
        env.setdefault("DJANGO_SETTINGS_MODULE", "tongdai.settings")
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _spawn(self, name: str, argv: list[str]) -> Child:
        process = subprocess.Popen(argv, env=self._env(), process_group=0,
                                   preexec_fn=_die_with_parent)
        return Child(name, process)

    def _start_web(self, host: str, port: int, workers: int) -> Child:
        argv = [sys.executable, "-m", "uvicorn", "tongdai.asgi:application",
                "--host", host, "--port", str(port), "--no-access-log", "--lifespan", "off",
                "--workers", str(max(1, workers)), "--log-level", "warning",
                "--timeout-graceful-shutdown", "10"]
        return self._spawn("web", argv)

    def _start_jobs(self, workers: int) -> Child:
        argv = [sys.executable, "-m", "tongdai.cli", "run_huey",
                "--workers", str(max(1, workers)), "--worker-type", "thread",
                # An idle worker polls at most 1 s apart (Huey's default backs off to 10 s):
                # call events and messages reach the live queue and the screen pop promptly.
                "--max-delay", "1",
                # SIGTERM lets a running job finish (up to 10 s) instead of cutting it off.
                "--graceful-signal", "TERM", "--shutdown-timeout", "10"]
        return self._spawn("jobs", argv)

    def _start_ami(self) -> Child:
        return self._spawn("ami", [sys.executable, "-m", "tongdai.cli", "ami"])

    # ----------------------------------------------------------------- supervision

    def _supervise(self, children: list[Child], stop: threading.Event, host: str,
                   port: int) -> int:
        """Wait until a signal (exit 0) or until a child dies on its own (exit 1)."""
        url = f"http://{_display_host(host)}:{port}"
        deadline = time.monotonic() + READY_TIMEOUT
        ready = False
        while not stop.is_set():
            dead = next((c for c in children if c.process.poll() is not None), None)
            if dead is not None:
                self.stderr.write(f"tongdai serve: the {dead.name} process exited with code "
                                  f"{dead.process.returncode}; stopping everything.")
                return 1
            if not ready:
                ready = _answering(host, port)
                if ready:
                    self.stdout.write(self.style.SUCCESS(f"tongdai is running at {url}"))
                    self.stdout.write("Press Ctrl-C to stop.")
                    self.stdout.flush()  # a supervisor's log is not a terminal
                elif time.monotonic() > deadline:
                    self.stderr.write(f"tongdai serve: the web server did not answer on {url} "
                                      f"within {READY_TIMEOUT} s; stopping everything.")
                    return 1
            stop.wait(POLL)
        self.stdout.write("Stopping…")
        return 0


def _display_host(host: str) -> str:
    if host in {"0.0.0.0", "::", ""}:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port} ({exc.strerror}). "
                               "Is tongdai already running? Choose another port with --port.") from exc


def _answering(host: str, port: int) -> bool:
    """True once the web server answers HTTP at all.

    Any answer counts (a 400 for a host not in TONGDAI_ALLOWED_HOSTS, a 503 while the
    database is still starting): this is about the process being up; /healthz says more.
    """
    url = f"http://{_display_host(host)}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own server
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def _stop_all(children: list[Child]) -> None:
    """SIGTERM every child still running, wait, then SIGKILL what is left."""
    for child in children:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
