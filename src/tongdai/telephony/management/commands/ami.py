"""``tongdai ami``: listen to Asterisk's queue events (see ``tongdai.telephony.ami``)."""

from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tongdai.telephony.ami import AmiConfigError, AmiListener


class Command(BaseCommand):
    help = "Listen to Asterisk AMI queue events (TONGDAI_AMI_URL) and store them for the worker."

    def handle(self, *args, **options):
        url = settings.TONGDAI_AMI_URL
        if not url:
            raise CommandError("TONGDAI_AMI_URL is not set (ami://user:secret@host:5038).")
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        try:
            listener = AmiListener(url, stop)
        except AmiConfigError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Listening to AMI at {listener.target.host}:{listener.target.port}")
        self.stdout.flush()
        code = listener.run()
        if code:
            raise CommandError("AMI login refused: check the user and secret in TONGDAI_AMI_URL.",
                               returncode=code)
