"""``tongdai export research|chi``: the anonymised research dataset and the CHI figures."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongdai.accounts.models import User
from tongdai.core.management.args import date_arg
from tongdai.scale.research import DEFAULT_K


class Command(BaseCommand):
    help = ("Data exports as a named user (audited like the web page): 'research' writes the "
            "anonymised research dataset (CSV, k-anonymous), 'chi' the Child Helpline "
            "International figures for a year (CSV or xlsx).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", metavar="{research,chi}", required=True)
        research = sub.add_parser("research", help="anonymised research dataset (CSV)")
        research.add_argument("--as", dest="username", required=True, help="an analyst's username")
        research.add_argument("--from", dest="date_from", required=True)
        research.add_argument("--to", dest="date_to", required=True)
        research.add_argument("--k", type=int, default=DEFAULT_K)
        research.add_argument("--output", "-o", default="-", help="file (default: standard output)")
        chi = sub.add_parser("chi", help="Child Helpline International figures for a year")
        chi.add_argument("--as", dest="username", required=True,
                         help="a user who may see reports (national for all centres)")
        chi.add_argument("--year", type=int, required=True)
        chi.add_argument("--centre", default=None)
        chi.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        chi.add_argument("--output", "-o", default="-")

    def handle(self, *args, **opts):
        user = User.objects.filter(username=opts["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {opts['username'][:150]}.")
        if opts["what"] == "research":
            from tongdai.scale.research import ResearchForbidden, ResearchInvalid, research_dataset

            try:
                dataset = research_dataset(user, date_arg(opts["date_from"]), date_arg(opts["date_to"]),
                                           k=opts["k"], via="cli")
            except (ResearchForbidden, ResearchInvalid) as exc:
                raise CommandError(str(exc)) from exc
            data = dataset.csv_bytes()
            summary = (f"{len(dataset.rows):,} rows written, {dataset.suppressed:,} suppressed, "
                       f"generalised: {', '.join(dataset.steps) or 'none'}")
        else:
            from tongdai.reports.services import ReportForbidden, ReportInvalid
            from tongdai.scale.chi import chi_export

            try:
                data, _name, _type = chi_export(user, opts["year"], opts["format"],
                                                centre=opts["centre"], via="cli")
            except (ReportForbidden, ReportInvalid) as exc:
                raise CommandError(str(exc)) from exc
            summary = f"CHI figures for {opts['year']} written"
        if opts["output"] == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            Path(opts["output"]).write_bytes(data)
        self.stderr.write(summary)
