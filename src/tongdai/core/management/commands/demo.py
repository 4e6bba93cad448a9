"""``tongdai demo``: load demo accounts and contacts (see ``tongdai.demo``).

Safe to run again: existing accounts keep their passwords and no contact is duplicated.
``tongdai serve --demo`` does the same before starting the server.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tongdai.accounts.models import Centre
from tongdai.demo import DEFAULT_CONTACTS, SEED, demo_build, demo_report


class Command(BaseCommand):
    help = "Create demo accounts (one per role) and invented contacts. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=DEFAULT_CONTACTS,
                            help=f"How many contacts to invent (default {DEFAULT_CONTACTS}).")
        parser.add_argument("--seed", type=int, default=SEED,
                            help="Random seed: the same seed gives the same contacts.")

    def handle(self, *args, **options):
        if not 0 <= options["contacts"] <= 100_000:
            raise CommandError("--contacts must be between 0 and 100000.")
        if not Centre.objects.exists():
            raise CommandError("No reference data yet: run `tongdai migrate` and `tongdai refdata` first.")
        result = demo_build(contacts=options["contacts"], seed=options["seed"])
        self.stdout.write(demo_report(result))
