"""``tongdai rollups rebuild [--from YYYY-MM-DD] [--to YYYY-MM-DD]``: recompute the daily
contact-count rollups of the reports from the contacts table (see
``tongdai.reports.rollups``). An operator's repair tool, and the last step of ``tongdai
generate``."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from tongdai.core.management.args import date_arg
from tongdai.reports.rollups import computed_rows, rebuild, stored_rows


class Command(BaseCommand):
    help = ("Daily report rollups. 'rebuild' recomputes them from the contacts table for the "
            "local days --from..--to (both included; default: all days); 'check' compares the "
            "stored rows with a recomputation and exits with an error when they differ.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "check"])
        parser.add_argument("--from", dest="date_from", help="first local day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="date_to", help="last local day (YYYY-MM-DD)")

    def handle(self, *args, **opts):
        date_from = date_arg(opts["date_from"]) if opts["date_from"] else None
        date_to = date_arg(opts["date_to"]) if opts["date_to"] else None
        if date_from and date_to and date_from > date_to:
            raise CommandError("--to is before --from.")
        span = f"{date_from or 'the first day'} to {date_to or 'the last day'}"
        started = time.monotonic()
        if opts["action"] == "rebuild":
            rows = rebuild(date_from, date_to)
            self.stdout.write(self.style.SUCCESS(
                f"Rebuilt {rows:,} rollup rows from {span} in {time.monotonic() - started:,.1f} s."))
            return
        stored, computed = stored_rows(date_from, date_to), computed_rows(date_from, date_to)
        wrong = {row for row in stored.keys() | computed.keys() if stored.get(row) != computed.get(row)}
        if wrong:
            days = sorted({row[0] for row in wrong})
            raise CommandError(f"{len(wrong):,} rollup rows differ from the contacts table, on "
                               f"{len(days):,} days from {days[0]} to {days[-1]}: run 'tongdai "
                               f"rollups rebuild --from {days[0]} --to {days[-1]}'.")
        self.stdout.write(self.style.SUCCESS(f"The {len(stored):,} rollup rows from {span} are correct."))
