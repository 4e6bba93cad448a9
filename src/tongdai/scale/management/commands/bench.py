"""``tongdai bench [reads|webhooks]``: benchmarks on a generated database (docs/performance.md)."""

from __future__ import annotations

import importlib

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Benchmark a generated database (tongdai generate): 'reads' (default) times the "
            "counsellor and manager screens against raw SQL and contact creation through the "
            "API; 'webhooks' times provider webhook intake. Adds rows: never run on production.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", metavar="{reads,webhooks}")
        sub.required = False
        reads = sub.add_parser("reads", help="screens and contact creation (default)")
        self.reads_arguments(reads)
        webhooks = sub.add_parser("webhooks", help="provider webhook intake")
        try:
            bench_webhooks = importlib.import_module("tongdai.scale.bench_webhooks")
        except ImportError:
            bench_webhooks = None
        if bench_webhooks is not None:
            bench_webhooks.add_arguments(webhooks)
        # Options of the default: ``tongdai bench --iterations 50`` means reads.
        self.reads_arguments(parser)

    @staticmethod
    def reads_arguments(parser):
        parser.add_argument("--iterations", type=int, default=200, help="samples per screen")
        parser.add_argument("--report-iterations", type=int, default=5,
                            help="samples of the yearly report and the dashboard")
        parser.add_argument("--clients", type=int, default=8, help="concurrent API clients")
        parser.add_argument("--creates", type=int, default=2000, help="contacts to create")
        parser.add_argument("--warmup", type=int, default=400,
                            help="creates sent first and not measured (server warm-up)")
        parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
        parser.add_argument("--url", default=None,
                            help="an already running server (http://127.0.0.1:8000) instead of "
                                 "starting one")
        parser.add_argument("--skip-create", action="store_true", help="reads only")
        parser.add_argument("--skip-reads", action="store_true", help="the create measure only")
        parser.add_argument("--seed", type=int, default=111)

    def handle(self, *args, **options):
        what = options.get("what") or "reads"
        if what == "webhooks":
            try:
                bench_webhooks = importlib.import_module("tongdai.scale.bench_webhooks")
            except ImportError as exc:
                raise CommandError("The webhook benchmark is not installed.") from exc
            code = bench_webhooks.run(options, self.stdout)
        else:
            from tongdai.scale.bench import run_reads

            for name in ("iterations", "report_iterations", "clients", "creates", "workers"):
                if options[name] < 1:
                    raise CommandError(f"--{name.replace('_', '-')} must be positive.")
            if options["warmup"] < 0:
                raise CommandError("--warmup cannot be negative.")
            try:
                code = run_reads(options, self.stdout)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from exc
        if code:
            raise CommandError(f"benchmark failed (exit {code})")
