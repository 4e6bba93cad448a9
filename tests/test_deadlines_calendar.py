"""The working-day calendar: weekends, Vietnamese public holidays, swaps, time zone.

Expected due times are worked out by hand in each test's comment (Vietnam time, UTC+7).
Holidays come from the data migration (tongdai.deadlines.holidays_vn).
"""

import datetime

import pytest
from django.core.management import CommandError, call_command

from tongdai.deadlines.calendar import (
    VN,
    add_calendar_days,
    add_hours,
    add_working_days,
    is_working_day,
)
from tongdai.deadlines.models import Holiday

pytestmark = pytest.mark.django_db


def vn(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=VN)


def test_five_working_days_from_a_friday_afternoon_is_the_next_friday_afternoon():
    # Fri 20 Nov 2026 16:00: Mon 23, Tue 24, Wed 25, Thu 26, Fri 27 -> Fri 27 Nov 16:00.
    assert add_working_days(vn(2026, 11, 20, 16, 0), 5) == vn(2026, 11, 27, 16, 0)


def test_working_days_skip_the_30_april_and_1_may_holidays_and_the_weekend():
    # Wed 29 Apr 2026 10:00: Thu 30 Apr and Fri 1 May are holidays, 2-3 May a weekend;
    # Mon 4 (1), Tue 5 (2), Wed 6 (3), Thu 7 (4), Fri 8 (5) -> Fri 8 May 10:00.
    assert add_working_days(vn(2026, 4, 29, 10, 0), 5) == vn(2026, 5, 8, 10, 0)


def test_a_holiday_on_a_sunday_gives_a_compensatory_monday_off():
    # Giỗ Tổ 2026 (10/3 lunar) is Sun 26 Apr, compensated Mon 27 Apr. From Fri 24 Apr
    # 16:00: Tue 28 (1), Wed 29 (2), [30/4, 1/5, weekend], Mon 4 (3), Tue 5 (4), Wed 6 (5).
    assert not is_working_day(datetime.date(2026, 4, 27))
    assert add_working_days(vn(2026, 4, 24, 16, 0), 5) == vn(2026, 5, 6, 16, 0)


def test_the_tet_break_is_not_counted():
    # Tết 2026: Mon 16 - Fri 20 Feb off. From Fri 13 Feb 09:00: Mon 23 ... Fri 27 Feb.
    assert add_working_days(vn(2026, 2, 13, 9, 0), 5) == vn(2026, 2, 27, 9, 0)


def test_a_saturday_worked_in_a_swap_counts_and_the_swapped_friday_does_not():
    # 2025: Fri 2 May off in exchange for Sat 26 Apr worked. From Fri 25 Apr 2025 10:00:
    # Sat 26 (1), Mon 28 (2), Tue 29 (3), [30/4, 1/5, 2/5, weekend], Mon 5 (4), Tue 6 (5).
    assert is_working_day(datetime.date(2025, 4, 26))
    assert not is_working_day(datetime.date(2025, 5, 2))
    assert add_working_days(vn(2025, 4, 25, 10, 0), 5) == vn(2025, 5, 6, 10, 0)


def test_received_on_a_weekend_counting_starts_monday_and_ends_at_midnight():
    # Sat 21 Nov 2026 10:00: Mon 23 ... Fri 27 counted, the period ends at 24:00 Fri 27.
    assert add_working_days(vn(2026, 11, 21, 10, 0), 5) == vn(2026, 11, 28, 0, 0)


def test_days_are_those_of_vietnam_not_of_utc():
    # 17:30 UTC on Fri 20 Nov is 00:30 on Sat 21 Nov in Hà Nội: a weekend receipt.
    start = datetime.datetime(2026, 11, 20, 17, 30, tzinfo=datetime.UTC)
    due = add_working_days(start, 5)
    assert due == vn(2026, 11, 28, 0, 0)
    assert due.tzinfo == datetime.UTC


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        add_working_days(datetime.datetime(2026, 11, 20, 16, 0), 5)
    with pytest.raises(ValueError):
        add_hours(datetime.datetime(2026, 11, 20, 16, 0), 12)


def test_hours_and_calendar_days_run_through_nights_weekends_and_holidays():
    assert add_hours(vn(2026, 4, 29, 22, 0), 12) == vn(2026, 4, 30, 10, 0)
    assert add_calendar_days(vn(2026, 4, 29, 22, 0), 3) == vn(2026, 5, 2, 22, 0)


def test_holidays_are_configurable_with_the_command(capsys):
    # Fri 20 Nov 2026 16:00 + 5: normally Fri 27 Nov; a day off on Wed 25 moves it to Mon 30.
    call_command("holidays", "add", "2026-11-25", "Nghỉ thử", "Test day off")
    assert add_working_days(vn(2026, 11, 20, 16, 0), 5) == vn(2026, 11, 30, 16, 0)
    call_command("holidays", "remove", "2026-11-25")
    assert add_working_days(vn(2026, 11, 20, 16, 0), 5) == vn(2026, 11, 27, 16, 0)
    with pytest.raises(CommandError):
        call_command("holidays", "add", "2026-11-25", "x", "--kind", "working_saturday")
    with pytest.raises(CommandError):
        call_command("holidays", "add", "25/11/2026", "x")


def test_the_shipped_holidays_cover_2025_to_2027_and_load_is_idempotent(capsys):
    before = Holiday.objects.count()
    call_command("holidays", "load")
    assert Holiday.objects.count() == before
    years = {d.year for d in Holiday.objects.values_list("date", flat=True)}
    assert {2025, 2026, 2027} <= years
    # Art. 112: 11 days off a year (1 + 5 + 1 + 1 + 1 + 2), compensations aside.
    statutory = Holiday.objects.filter(date__year=2025, kind="holiday").count()
    assert statutory == 11
    call_command("holidays", "list", "--year", "2026")
    assert "Tết Nguyên đán" in capsys.readouterr().out
