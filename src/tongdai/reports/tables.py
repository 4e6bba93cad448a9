"""The standard report as tables: one structure for the page, Excel, CSV and PDF.

``standard_tables(summary)`` turns ``services.report_summary``'s dict into titled tables
of (label, count, share) rows, in the active language, so every output shows the same
numbers in the same order. Shares are percentages of the table's ``base`` rounded to one
decimal (the page, CSV and PDF print them; Excel stores the count and the ratio).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tongdai.cases.models import CaseType
from tongdai.contacts.models import Channel
from tongdai.geo.models import Region
from tongdai.referrals.models import Outcome
from tongdai.reports.services import DECLINED, PENDING, UNKNOWN
from tongdai.taxonomy.data import NON_SUBSTANTIVE
from tongdai.taxonomy.models import CallerRelation, ContactKind, Topic

COUNSELLING = ("counselling_psychological", "counselling_policy", "counselling_services")


@dataclass
class Row:
    code: str
    label: str
    count: int
    share: float | None = None  # percent of the table's base, one decimal
    level: int = 0  # 1 = a detail line under the row above it

    @property
    def ratio(self) -> float | None:
        return None if self.share is None else self.share / 100


@dataclass
class Table:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    base: int | None = None  # what shares are a percentage of
    chart: bool = True

    @property
    def chart_rows(self) -> list[Row]:
        """Top-level rows (details are drawn within their parent's bar, not again)."""
        return [r for r in self.rows if r.level == 0]


def percent(count: int, base: int | None) -> float | None:
    if base is None:
        return None
    return round(100 * count / base, 1) if base else 0.0


def _english() -> bool:
    return (get_language() or "vi").startswith("en")


def _table(key: str, title: str, items: list[tuple[str, str, int, int]], base: int | None,
           chart: bool = True) -> Table:
    """``items``: (code, label, count, level)."""
    return Table(key, title, [Row(code, label, n, percent(n, base), level)
                              for code, label, n, level in items], base, chart)


def overview_table(s: dict) -> Table:
    return _table("overview", _("Overview"), [
        ("total", _("Contacts (completed)"), s["total"], 0),
        ("referral_cases", _("Cases referred"), s["referral_cases"], 0),
        ("people_rescued", _("Victims rescued and supported"), s["people_rescued"], 0),
    ], None, chart=False)


def kind_table(s: dict) -> Table:
    by_kind = s["by_kind"]
    kinds = {k.code: k for k in ContactKind.objects.all()}

    def label(code: str) -> str:
        return kinds[code].label if code in kinds else code

    non_substantive = sum(n for code, n in by_kind.items()
                          if code in kinds and kinds[code].group == NON_SUBSTANTIVE)
    items = [("information", label("information"), by_kind.get("information", 0), 0),
             ("counselling", _("Counselling"), sum(by_kind.get(c, 0) for c in COUNSELLING), 0)]
    items += [(c, label(c), by_kind.get(c, 0), 1) for c in COUNSELLING]
    items += [("report", label("report"), by_kind.get("report", 0), 0),
              ("referral", label("referral"), by_kind.get("referral", 0), 0),
              ("non_substantive", _("Non-substantive (silent, prank, wrong number…)"),
               non_substantive, 0)]
    if by_kind.get(UNKNOWN):
        items.append((UNKNOWN, _("Not classified"), by_kind[UNKNOWN], 0))
    return _table("kind", _("Contacts by kind"), items, s["total"])


def region_table(s: dict) -> Table:
    english = _english()
    names = {r.code: (r.name_en if english else r.name_vi) for r in Region.objects.all()}
    items = [(code, names.get(code, code), n, 0) for code, n in s["by_region"].items()
             if code != UNKNOWN]
    items.append((UNKNOWN, _("Place not recorded"), s["by_region"].get(UNKNOWN, 0), 0))
    return _table("region", _("Contacts by statistical region"), items, s["total"])


def relation_table(s: dict) -> Table:
    labels = {r.code: r.label for r in CallerRelation.objects.all()}
    items = [(code, labels.get(code, _("Not recorded")), n, 0)
             for code, n in s["by_relation"].items()]
    # The published shares (domain brief): from relatives and friends, from victims.
    items.sort(key=lambda i: (i[0] not in ("relative_friend", "victim_self"),))
    return _table("relation", _("Contacts by who called"), items, s["total"])


def referral_table(s: dict) -> Table:
    labels = {**dict(Outcome.choices), DECLINED: _("Declined"), PENDING: _("Pending (no outcome yet)")}
    outcomes = s["referrals_by_outcome"]
    items = [(code, str(labels.get(code, code)), n, 0) for code, n in outcomes.items()]
    return _table("referrals", _("Referrals by outcome"), items, sum(outcomes.values()))


def people_table(s: dict) -> Table:
    labels = dict(CaseType.choices)
    by_type = s["people_rescued_by_case_type"]
    items = [(code, str(labels.get(code, code)), n, 0) for code, n in by_type.items()]
    return _table("people", _("Victims rescued and supported, by case type"), items,
                  s["people_rescued"])


def topic_table(s: dict) -> Table:
    items = [(t.code, t.label, s["by_topic"].get(t.code, 0), 0)
             for t in Topic.objects.filter(parent__isnull=True)]
    return _table("topic", _("Contacts by topic (a contact may have several)"), items, s["total"])


def channel_table(s: dict) -> Table:
    labels = dict(Channel.choices)
    items = [(code, str(labels.get(code, code)), n, 0) for code, n in s["by_channel"].items()]
    return _table("channel", _("Contacts by channel"), items, s["total"])


def standard_tables(s: dict) -> list[Table]:
    """The standard report's tables, in the order they are printed."""
    return [overview_table(s), kind_table(s), region_table(s), relation_table(s),
            referral_table(s), people_table(s), topic_table(s), channel_table(s)]
