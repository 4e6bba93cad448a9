"""``tongdai mailbox check|poll``: the hotline mailbox (e-mail channel) by hand.

    tongdai mailbox check      # log in and count the mails in the folder (set-up check)
    tongdai mailbox poll       # take new mails into the inbox now (the worker does it
                               # every TONGDAI_IMAP_POLL_MINUTES anyway)

Both read ``TONGDAI_IMAP_URL``; errors print a short code, never mail content.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tongdai.channels.email_imap import POLL_LIMIT, mailbox_check, mailbox_poll


class Command(BaseCommand):
    help = "Check the hotline mailbox or take its new mails into the inbox now."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check", help="log in and count the mails in the folder")
        poll = sub.add_parser("poll", help="take new mails into the inbox now")
        poll.add_argument("--limit", type=int, default=POLL_LIMIT,
                          help=f"mails to take at most (default {POLL_LIMIT})")

    def handle(self, *args, action, **options):
        if action == "check":
            count, error = mailbox_check()
            if error:
                raise CommandError(f"mailbox check failed: {error}")
            self.stdout.write(f"mailbox reachable: {count} mails in the folder")
            return
        result = mailbox_poll(limit=max(1, options["limit"]))
        if result.error:
            raise CommandError(
                f"mailbox poll stopped ({result.error}) after {result.accepted} new mails; "
                "the rest stay on the server for the next poll")
        self.stdout.write(f"{result.found} waiting, {result.accepted} new, "
                          f"{result.duplicates} already in the inbox")
