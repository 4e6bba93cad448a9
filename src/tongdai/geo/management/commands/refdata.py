"""``tongdai refdata``: load or refresh reference data (geography, countries, centres, taxonomy)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from tongdai.geo.loader import load_reference_data


class Command(BaseCommand):
    help = "Load or refresh reference data: regions, provinces, communes, legacy units, " \
           "countries, centres and classification terms. Safe to run again."

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        counts = load_reference_data()
        if options["verbosity"] < 1:
            return
        for name, count in counts.items():
            self.stdout.write(f"{name.replace('_', ' ')}: {count:,}")
        self.stdout.write(self.style.SUCCESS(f"Reference data loaded in {time.monotonic() - started:.1f} s."))
