"""``tongdai generate --contacts N``: fill a benchmark database with synthetic data."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tongdai.scale.generate import GenerateRefused, generate


class Command(BaseCommand):
    help = ("Fill the configured database with N synthetic completed contacts (with cases and "
            "referrals) for benchmarking. For benchmark databases only: refuses a database "
            "with real data unless --force.")

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, required=True, help="how many contacts to add")
        parser.add_argument("--seed", type=int, default=111)
        parser.add_argument("--years", type=int, default=10, help="spread over this many past years")
        parser.add_argument("--batch", type=int, default=50_000, help="rows per transaction")
        parser.add_argument("--force", action="store_true",
                            help="add synthetic data even if the database holds real data")

    def handle(self, *args, **opts):
        if opts["contacts"] < 1 or opts["batch"] < 1 or opts["years"] < 1:
            raise CommandError("--contacts, --batch and --years must be positive.")
        say = self.stdout.write if opts["verbosity"] >= 1 else (lambda _m: None)
        try:
            result = generate(opts["contacts"], seed=opts["seed"], years=opts["years"],
                              batch=opts["batch"], force=opts["force"], progress=say)
        except GenerateRefused as exc:
            raise CommandError(str(exc)) from exc
        say(self.style.SUCCESS(
            f"Generated {result.contacts:,} contacts, {result.subjects:,} subjects, "
            f"{result.topics:,} topic links, {result.cases:,} cases, {result.referrals:,} "
            f"referrals in {result.seconds:,.1f} s (load {result.load_seconds:,.1f} s, "
            f"index rebuild {result.index_seconds:,.1f} s)."))
