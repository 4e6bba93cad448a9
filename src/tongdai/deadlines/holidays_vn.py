"""Vietnam's public holidays as announced for 2025–2027, loaded into ``Holiday``.

Legal basis: Labour Code 2019 (45/2019/QH14) Art. 112 — Tết Dương lịch 1 Jan; Tết Âm lịch
5 days; Victory Day 30 Apr; International Labour Day 1 May; National Day 2 Sep plus one
adjacent day (before or after); Hùng Kings' Commemoration 10th day of the 3rd lunar month.
Art. 111/112: a holiday falling on a weekly day off is compensated by the next working
day. Each year the Ministry of Home Affairs (formerly MOLISA) announces the exact days for
public servants, sometimes swapping a bridge weekday off against a Saturday worked; the
hotline centres follow that announcement.

Sources of the dates below (lunar dates converted with the Vietnamese calendar, UTC+7):
- 2025: MOLISA Notice 6150/TB-LĐTBXH (Tết 25 Jan–2 Feb 2025, i.e. Mon 27–Fri 31 Jan off);
  Giỗ Tổ 10/3 Ất Tỵ = Mon 7 Apr 2025; 30 Apr–4 May 2025 with Fri 2 May swapped for
  Sat 26 Apr (Ministry of Home Affairs dispatch, Apr 2025); National Day Mon 1–Tue 2 Sep.
- 2026: Tết Bính Ngọ (mùng 1 = Tue 17 Feb 2026) break announced Sat 14–Sun 22 Feb 2026,
  i.e. Mon 16–Fri 20 Feb off; Giỗ Tổ 10/3 Bính Ngọ = Sun 26 Apr 2026, compensated Mon
  27 Apr (Labour Code Art. 111.3); 30 Apr (Thu) and 1 May (Fri); National Day 2 Sep (Wed)
  with 1 Sep (Tue) as the adjacent day — CHECK the adjacent day against the Ministry's
  announcement and correct it with ``tongdai holidays add/remove``.
- 2027: PROVISIONAL (not yet announced when written): Tết Đinh Mùi mùng 1 = Sat 6 Feb
  2027, five days off taken as Fri 5 Feb (29 Tết) and Mon 8–Thu 11 Feb; Giỗ Tổ 10/3 =
  Fri 16 Apr 2027; 30 Apr (Fri); 1 May (Sat) compensated Mon 3 May; National Day Thu 2 +
  Fri 3 Sep.

Administrators must load each year's official announcement: ``tongdai holidays load``
(these dates), ``tongdai holidays add 2027-09-03 "Quốc khánh" "National Day"``,
``tongdai holidays remove DATE``, ``tongdai holidays list --year 2027``.
"""

from __future__ import annotations

import datetime

H, C, W = "holiday", "compensatory", "working_saturday"

NEW_YEAR = ("Tết Dương lịch", "New Year's Day")
TET = ("Tết Nguyên đán", "Lunar New Year (Tết)")
HUNG = ("Giỗ Tổ Hùng Vương", "Hùng Kings' Commemoration Day")
HUNG_COMP = ("Nghỉ bù Giỗ Tổ Hùng Vương", "Day off in lieu of Hùng Kings' Day")
VICTORY = ("Ngày Chiến thắng 30/4", "Reunification Day")
LABOUR = ("Quốc tế Lao động 1/5", "International Labour Day")
LABOUR_COMP = ("Nghỉ bù Quốc tế Lao động", "Day off in lieu of Labour Day")
SWAP_OFF = ("Nghỉ hoán đổi", "Swapped day off")
SWAP_WORK = ("Làm bù", "Working Saturday (swap)")
NATIONAL = ("Quốc khánh 2/9", "National Day")
NATIONAL_ADJ = ("Nghỉ Quốc khánh (ngày liền kề)", "National Day (adjacent day)")

LABOUR_CODE = "Labour Code 2019 Art. 112"
SRC_2025 = "Labour Code 2019 Art. 112; MOLISA 6150/TB-LĐTBXH; MOHA swap 2 May/26 Apr 2025"
SRC_2026 = "Labour Code 2019 Art. 112; MOHA announcement for 2026 (check adjacent 2/9 day)"
SRC_2027 = "PROVISIONAL from Labour Code 2019 Art. 112 — replace with the 2027 announcement"

# (date, (name_vi, name_en), kind, source)
HOLIDAYS: list[tuple[str, tuple[str, str], str, str]] = [
    ("2025-01-01", NEW_YEAR, H, LABOUR_CODE),
    *[(f"2025-01-{d}", TET, H, SRC_2025) for d in ("27", "28", "29", "30", "31")],
    ("2025-04-07", HUNG, H, SRC_2025),
    ("2025-04-26", SWAP_WORK, W, SRC_2025),
    ("2025-04-30", VICTORY, H, SRC_2025),
    ("2025-05-01", LABOUR, H, SRC_2025),
    ("2025-05-02", SWAP_OFF, C, SRC_2025),
    ("2025-09-01", NATIONAL_ADJ, H, SRC_2025),
    ("2025-09-02", NATIONAL, H, SRC_2025),
    ("2026-01-01", NEW_YEAR, H, SRC_2026),
    *[(f"2026-02-{d}", TET, H, SRC_2026) for d in ("16", "17", "18", "19", "20")],
    ("2026-04-26", HUNG, H, SRC_2026),
    ("2026-04-27", HUNG_COMP, C, SRC_2026),  # 10/3 lunar falls on Sun 26 Apr
    ("2026-04-30", VICTORY, H, SRC_2026),
    ("2026-05-01", LABOUR, H, SRC_2026),
    ("2026-09-01", NATIONAL_ADJ, H, SRC_2026),
    ("2026-09-02", NATIONAL, H, SRC_2026),
    ("2027-01-01", NEW_YEAR, H, SRC_2027),
    *[(f"2027-02-{d}", TET, H, SRC_2027) for d in ("05", "08", "09", "10", "11")],
    ("2027-04-16", HUNG, H, SRC_2027),
    ("2027-04-30", VICTORY, H, SRC_2027),
    ("2027-05-03", LABOUR_COMP, C, SRC_2027),  # 1 May falls on a Saturday
    ("2027-09-02", NATIONAL, H, SRC_2027),
    ("2027-09-03", NATIONAL_ADJ, H, SRC_2027),
]


def official_holidays() -> list[dict]:
    """The rows above as ``Holiday`` field values."""
    return [
        {"date": datetime.date.fromisoformat(day), "name_vi": names[0], "name_en": names[1],
         "kind": kind, "source": source}
        for day, names, kind, source in HOLIDAYS
    ]


def load_holidays(holiday_model) -> int:
    """Insert or update the rows (idempotent; used by the data migration and the command)."""
    for row in official_holidays():
        holiday_model.objects.update_or_create(date=row["date"], defaults=row)
    return len(HOLIDAYS)
