"""The hotline's working-day calendar, in Vietnam's time zone.

Working days are Monday–Friday, minus the public holidays and compensatory days off in
``Holiday`` (Labour Code 2019 Art. 111–112), plus any weekend day announced as worked in
exchange for a bridge day off. Dates are those of Asia/Ho_Chi_Minh (UTC+7, no daylight
saving), never the server's local time: a call received at 23:30 on a Friday in Hà Nội is
a Friday call even on a server in UTC where it is still 16:30.

Counting rules (chosen to be never later than the Civil Code 2015 Art. 147–148 rule,
under which the day of the event is not counted and a period ends at 24:00 of its last day):

- ``add_working_days(start, n)``: the period runs in *working time*. Received on a
  working day at time *t*, the deadline is *t* on the *n*-th working day after that day
  (Friday 16:00 + 5 working days = next Friday 16:00 when there is no holiday). Received
  on a day off (weekend, holiday), counting starts at 00:00 of the next working day and
  the deadline is the end (24:00) of the *n*-th working day, i.e. 00:00 of the day after.
- ``add_hours(start, h)`` / ``add_calendar_days(start, d)``: elapsed time, weekends and
  holidays included (the 12-hour emergency rule of Decree 56 Art. 26.3, the 3-day police
  verification of Law 53/2024 Art. 27, the 120-day shelter of Decree 162/2025 Art. 17:
  these laws count calendar days, and for emergencies every hour counts).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _require_aware(start: datetime.datetime) -> None:
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("deadlines are computed from timezone-aware datetimes only")


@dataclass
class WorkingCalendar:
    """Days off and worked weekend days between two dates (as loaded from ``Holiday``)."""

    days_off: set[datetime.date] = field(default_factory=set)
    worked_weekend_days: set[datetime.date] = field(default_factory=set)

    @classmethod
    def load(cls, first: datetime.date, last: datetime.date) -> WorkingCalendar:
        from tongdai.deadlines.models import Holiday, HolidayKind

        rows = Holiday.objects.filter(date__gte=first, date__lte=last).values_list("date", "kind")
        return cls(
            days_off={d for d, kind in rows if kind != HolidayKind.WORKING_SATURDAY},
            worked_weekend_days={d for d, kind in rows if kind == HolidayKind.WORKING_SATURDAY},
        )

    def is_working_day(self, day: datetime.date) -> bool:
        if day in self.days_off:
            return False
        return day.weekday() < 5 or day in self.worked_weekend_days

    def nth_working_day_after(self, day: datetime.date, n: int) -> datetime.date:
        """The ``n``-th working day strictly after ``day``."""
        count = 0
        while count < n:
            day += datetime.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return day


def _calendar_for(first: datetime.date, n: int) -> WorkingCalendar:
    # Generous look-ahead: Tết plus weekends never removes more than ~2 weeks in a row.
    return WorkingCalendar.load(first, first + datetime.timedelta(days=n * 3 + 45))


def is_working_day(day: datetime.date) -> bool:
    """Is ``day`` (a date in Vietnam) a working day?"""
    return _calendar_for(day, 0).is_working_day(day)


def add_working_days(start: datetime.datetime, n: int, *,
                     calendar: WorkingCalendar | None = None) -> datetime.datetime:
    """``start`` plus ``n`` working days, per the module's counting rule (aware, in UTC)."""
    _require_aware(start)
    if n < 0:
        raise ValueError("n must be zero or more")
    local = start.astimezone(VN)
    cal = calendar or _calendar_for(local.date(), n)
    if cal.is_working_day(local.date()):
        due_day = cal.nth_working_day_after(local.date(), n)
        due = datetime.datetime.combine(due_day, local.timetz().replace(tzinfo=None), tzinfo=VN)
    else:
        # Counting starts with the next working day; the last counted day ends at 24:00.
        last = cal.nth_working_day_after(local.date(), n)
        due = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), tzinfo=VN)
    return due.astimezone(datetime.UTC)


def add_hours(start: datetime.datetime, hours: float) -> datetime.datetime:
    """Elapsed hours, nights, weekends and holidays included."""
    _require_aware(start)
    return (start + datetime.timedelta(hours=hours)).astimezone(datetime.UTC)


def add_calendar_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """Elapsed days of 24 hours (Vietnam has no daylight saving, so this is exact)."""
    return add_hours(start, 24 * days)
