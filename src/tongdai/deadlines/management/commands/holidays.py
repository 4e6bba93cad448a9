"""``tongdai holidays load|list|add|remove``: keep the working-day calendar right.

Deadlines counted in working days (Decree 56 Art. 28) skip the days in ``Holiday``. The
government announces each year's days off (and any Saturday worked in exchange for a
bridge day); an administrator enters them here every year:

    tongdai holidays load                       # the 2025–2027 days shipped with tongdai
    tongdai holidays list --year 2026
    tongdai holidays add 2026-09-01 "Nghỉ Quốc khánh" "National Day (adjacent day)"
    tongdai holidays add 2025-04-26 "Làm bù" "Working Saturday" --kind working_saturday
    tongdai holidays remove 2026-09-01

Changing the calendar does not move deadlines already set; it applies to new ones.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tongdai.core.management.args import date_arg
from tongdai.deadlines.holidays_vn import load_holidays
from tongdai.deadlines.models import Holiday, HolidayKind


class Command(BaseCommand):
    help = "Load, list, add or remove public holidays used to count working days."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load", help="load the holidays shipped with tongdai (2025–2027)")
        lister = sub.add_parser("list", help="list holidays")
        lister.add_argument("--year", type=int)
        adder = sub.add_parser("add", help="add or change one date")
        adder.add_argument("date")
        adder.add_argument("name_vi")
        adder.add_argument("name_en", nargs="?", default="")
        adder.add_argument("--kind", choices=HolidayKind.values, default=HolidayKind.HOLIDAY)
        adder.add_argument("--source", default="")
        remover = sub.add_parser("remove", help="remove one date")
        remover.add_argument("date")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _load(self, **options):
        count = load_holidays(Holiday)
        self.stdout.write(f"{count} holidays loaded (2025–2027)")

    def _list(self, year=None, **options):
        rows = Holiday.objects.all()
        if year:
            rows = rows.filter(date__year=year)
        for row in rows:
            self.stdout.write(f"{row.date:%Y-%m-%d} {row.date:%a} {row.kind:<16} {row.name_vi} / {row.name_en}")

    def _add(self, date, name_vi, name_en="", kind=HolidayKind.HOLIDAY, source="", **options):
        day = date_arg(date)
        if kind == HolidayKind.WORKING_SATURDAY and day.weekday() < 5:
            raise CommandError("a working_saturday swap must be a Saturday or Sunday")
        _, created = Holiday.objects.update_or_create(
            date=day, defaults={"name_vi": name_vi, "name_en": name_en or name_vi, "kind": kind,
                                "source": source})
        self.stdout.write(f"{'added' if created else 'changed'} {day} {kind}")

    def _remove(self, date, **options):
        deleted, _ = Holiday.objects.filter(date=date_arg(date)).delete()
        if not deleted:
            raise CommandError(f"no holiday on {date}")
        self.stdout.write(f"removed {date}")
