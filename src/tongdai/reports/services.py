"""Statistics: the standard report and the managers' dashboard, as aggregates only.

Two entry points, used by the web pages, the API (``GET /api/v1/reports/summary``) and the
benchmark (``tongdai bench``):

- ``report_summary(actor, date_from, date_to, centre=None)`` → the standard report as a
  dict (the API's JSON shape);
- ``dashboard_data(actor, ...)`` → the summary plus live counters, trends, referrals by
  agency type, deadlines met and telephony figures.

**Reach** is decided once, in ``report_centre``: the ``REPORT_VIEW`` permission is needed;
national roles (national administrator, analyst) see every centre or the one they ask
for; centre roles (supervisor, centre manager) see their own centre only, and asking for
another raises ``ReportForbidden``. Everyone else is refused (fail closed). The output
holds counts keyed by codes — never a name, phone number, free text or record id.

**Contact counts** (``total``, ``by_kind``, ``by_topic``, ``by_channel``, ``by_region``,
``by_province``, ``by_relation``, ``by_centre``, trend, today/week) are summed from the
daily rollups of ``tongdai.reports.rollups`` (one row per local day, centre, dimension and
key, kept by the contact services; ``contact_stat_keys`` there states the per-contact
rules below). Referrals, people rescued, deadlines and calls are counted from their tables.

**Definitions** (docs/architecture.md, "Reports", repeats them for readers):

- a *contact* counts when it is **completed** (drafts are still being typed and are not
  statistics) and was **received** between ``date_from`` 00:00 and ``date_to`` 24:00
  Asia/Ho_Chi_Minh, both days included; its *current* classification counts, so a
  contact reclassified after completion counts under its new kind and topics;
- ``by_topic``: for a subcategory, the contacts tagged with it; for a category, the
  contacts tagged with the category itself or any of its subcategories, each contact
  once. A contact may carry several topics, so topic counts do not add up to ``total``;
- place (``by_province``, ``by_region``): the contact's statistical place (first
  subject's province, else the caller's). A record imported with only a legacy (63-
  province) unit counts in the current province its unit became (``LegacyProvince.
  current``, mapping dated ``mapped_on``) and in the statistical region of the legacy
  unit itself — the eight regions are defined on the legacy provinces. A contact with no
  place in Vietnam whose caller is abroad counts as ``ABROAD``; the rest as ``unknown``;
- ``referrals_by_outcome``: referrals **sent** in the period (revoked ones excluded: they
  were withdrawn before any partner acted), by outcome code; those without an outcome are
  ``declined`` (declined, or closed after a decline) or ``pending`` (still with the
  partner). ``referral_cases`` is the number of distinct cases among them;
- ``people_rescued``: victims (each ``child_victim`` person of the case, at least one
  per case) of cases whose **first** rescue or support falls in the period: a referral
  completed with outcome ``rescued`` or ``supported``; for a trafficking case also a
  reception of a rescued person, a support regime given (Law 53/2024 Art. 37) or a
  shelter stay started (Decree 162/2025 Art. 17). Each person counts once, in the period
  of that first event, so consecutive periods add up.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongdai.accounts.models import Centre
from tongdai.accounts.roles import CENTRE_ROLES, NATIONAL_ROLES, Perm
from tongdai.cases.models import Case, CaseType, PersonRole
from tongdai.contacts.models import Channel
from tongdai.core.idsets import id_set
from tongdai.core.refcache import ref_codes
from tongdai.core.statements import prepared
from tongdai.deadlines.models import Deadline, DeadlineKind
from tongdai.geo.models import Province, Region
from tongdai.geo.regions import ABROAD
from tongdai.referrals.models import Outcome, Referral, ReferralStatus, ReferralStep
from tongdai.reports.rollups import TOTAL, UNKNOWN, rollup_sums
from tongdai.taxonomy.models import CallerRelation, ContactKind, Topic

#: The longest period one report may cover (ten years and the leap days in them).
MAX_DAYS = 3653
PENDING = "pending"
DECLINED = "declined"
#: Outcomes that mean the person was rescued or supported.
RESCUE_OUTCOMES = (Outcome.RESCUED, Outcome.SUPPORTED)
#: Earliest date a report may start (before the hotline existed nothing can count).
EARLIEST = datetime.date(2000, 1, 1)


class ReportInvalid(Exception):
    """A parameter cannot mean anything. ``errors`` maps the parameter to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class ReportForbidden(Exception):
    """The user may not see reports, or not those of the centre asked for."""


# --------------------------------------------------------------------------- reach


def report_centre(actor, centre: str | None) -> str | None:
    """The centre the report covers (``None``: all centres), or raise.

    Fails closed: inactive or anonymous users, roles without ``REPORT_VIEW`` and centre
    roles without a centre are refused.
    """
    if not getattr(actor, "is_authenticated", False) or not actor.is_active \
            or not actor.can(Perm.REPORT_VIEW):
        raise ReportForbidden(_("Your role cannot see reports."))
    if centre not in (None, ""):
        if not isinstance(centre, str) or not Centre.objects.filter(pk=centre).exists():
            raise ReportInvalid({"centre": _("Unknown centre. Use one of: %(codes)s.") % {
                "codes": ", ".join(Centre.objects.values_list("code", flat=True))}})
    else:
        centre = None
    if actor.role in NATIONAL_ROLES:
        return centre
    if actor.role in CENTRE_ROLES and actor.centre_id:
        if centre is not None and centre != actor.centre_id:
            raise ReportForbidden(_("You may only see the reports of your own centre."))
        return actor.centre_id
    raise ReportForbidden(_("Your role cannot see reports."))


def may_choose_centre(actor) -> bool:
    """Whether ``actor`` may pick any centre (national roles) or only sees their own."""
    return actor.role in NATIONAL_ROLES


# --------------------------------------------------------------------------- period


def parse_period(raw_from, raw_to) -> tuple[datetime.date, datetime.date]:
    """Two ``YYYY-MM-DD`` strings → dates, checked by ``check_period``."""
    errors: dict[str, str] = {}
    dates = []
    for name, raw in (("from", raw_from), ("to", raw_to)):
        if raw in (None, ""):
            errors[name] = _("Required.")
            dates.append(None)
            continue
        try:
            if not isinstance(raw, str) or len(raw) != 10:
                raise ValueError
            dates.append(datetime.date.fromisoformat(raw))
        except ValueError:
            errors[name] = _("Must be a date (YYYY-MM-DD).")
            dates.append(None)
    if errors:
        raise ReportInvalid(errors)
    check_period(dates[0], dates[1])
    return dates[0], dates[1]


def check_period(date_from, date_to) -> None:
    if not isinstance(date_from, datetime.date) or not isinstance(date_to, datetime.date):
        raise ReportInvalid({"from": _("Must be a date (YYYY-MM-DD).")})
    if date_from > date_to:
        raise ReportInvalid({"to": _("The end date is before the start date.")})
    if date_from < EARLIEST:
        raise ReportInvalid({"from": _("Must be on or after %(date)s.") % {"date": EARLIEST.isoformat()}})
    if (date_to - date_from).days >= MAX_DAYS:
        raise ReportInvalid({"to": _("A report covers at most ten years.")})


def local_start(day: datetime.date) -> datetime.datetime:
    """Midnight starting ``day`` in Asia/Ho_Chi_Minh, as an aware datetime."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


@dataclass(frozen=True)
class Period:
    date_from: datetime.date
    date_to: datetime.date

    @property
    def start(self) -> datetime.datetime:
        return local_start(self.date_from)

    @property
    def end(self) -> datetime.datetime:
        """Exclusive: midnight after ``date_to``."""
        return local_start(self.date_to + datetime.timedelta(days=1))


# --------------------------------------------------------------------------- queries


def contact_counts(centre: str | None, period: Period) -> dict[str, dict[str, int]]:
    """``by_kind``, ``by_topic``, ``by_channel``, ``by_region``, ``by_province``,
    ``by_relation`` and ``by_centre`` of the period, summed from the daily rollups (the
    rules for each key are ``tongdai.reports.rollups.contact_stat_keys``). Every code of
    the reference tables is present, zero when nothing counts under it."""
    regions = dict.fromkeys(ref_codes(Region), 0)
    regions.setdefault(ABROAD, 0)
    regions[UNKNOWN] = 0
    out = {
        "kind": dict.fromkeys(ref_codes(ContactKind), 0),
        "topic": dict.fromkeys(ref_codes(Topic), 0),
        "channel": dict.fromkeys(Channel.values, 0),
        "region": regions,
        "province": {**dict.fromkeys(ref_codes(Province), 0), UNKNOWN: 0},
        "relation": {**dict.fromkeys(ref_codes(CallerRelation), 0), UNKNOWN: 0},
    }
    by_centre = dict.fromkeys(ref_codes(Centre), 0)
    sums = rollup_sums(("dimension", "key", "centre_id"), date_from=period.date_from,
                       date_to=period.date_to, centre=centre)
    for (dimension, key, centre_id), n in sums.items():
        if dimension == TOTAL:
            by_centre[centre_id] = by_centre.get(centre_id, 0) + n
        elif dimension in out:
            out[dimension][key] = out[dimension].get(key, 0) + n
    return {**{f"by_{dim}": counts for dim, counts in out.items()}, "by_centre": by_centre}


def contact_total(centre: str | None, period: Period) -> int:
    """Completed contacts received in the period, from the daily rollups."""
    return rollup_sums((), date_from=period.date_from, date_to=period.date_to, centre=centre,
                       dimension=TOTAL).get((), 0)


def report_referrals(centre: str | None, period: Period):
    qs = (Referral.objects.filter(sent_at__gte=period.start, sent_at__lt=period.end)
          .exclude(status=ReferralStatus.REVOKED))
    return qs.filter(case__centre_id=centre) if centre else qs


class _SlotPeriod:
    """A period whose bounds are slots of a prepared statement (``tongdai.core.statements``):
    ``start``/``end`` as moments, ``date_from``/``date_to`` as days, like ``Period``'s."""

    def __init__(self, slot):
        self.start, self.end = slot.moment("start"), slot.moment("end")
        self.date_from, self.date_to = slot.day("date_from"), slot.day("date_to")

    @staticmethod
    def values(period: Period, centre: str | None) -> dict:
        """The values of those slots (and of ``centre``) for ``period``."""
        return {"start": period.start, "end": period.end, "date_from": period.date_from,
                "date_to": period.date_to, **({"centre": centre} if centre else {})}


def _referral_figures(centre: str | None, period: Period) -> tuple[dict[str, int], dict[str, int]]:
    """(by outcome, by agency type) of the period's referrals (``report_referrals``), from
    one grouped query, prepared once per shape (the dashboard asks every few seconds).
    Without an outcome a referral is ``declined`` (declined, or closed after a decline) or
    ``pending`` (still with the partner)."""
    from tongdai.accounts.models import AgencyType

    outcomes = {code: 0 for code in Outcome.values}
    outcomes[DECLINED] = 0
    outcomes[PENDING] = 0
    types = {code: 0 for code in AgencyType.values}

    def build(slot):
        referrals = report_referrals(centre and slot.text("centre"), _SlotPeriod(slot))
        return (referrals.order_by().values("outcome", "status", "agency__type")
                .annotate(n=Count("id")).values_list("outcome", "status", "agency__type", "n"))

    rows = prepared(Referral, ("referral_figures", bool(centre)), build).rows(
        **_SlotPeriod.values(period, centre))
    for outcome, status, agency_type, n in rows:
        if outcome:
            key = outcome
        elif status in (ReferralStatus.DECLINED, ReferralStatus.CLOSED):
            key = DECLINED
        else:
            key = PENDING
        outcomes[key] = outcomes.get(key, 0) + n
        if agency_type is not None:
            types[agency_type] = types.get(agency_type, 0) + n
    return outcomes, types


# -- people rescued and supported


def _rescue_sources():
    """(queryset, case column, date column, is a datetime) for each kind of rescue or
    support event (see the module doc)."""
    from tongdai.trafficking.models import Reception, ReceptionHow, ShelterStay, SupportGiven

    steps = ReferralStep.objects.filter(status=ReferralStatus.COMPLETED,
                                        referral__outcome__in=RESCUE_OUTCOMES)
    return [
        (steps, "referral__case_id", "at", True),
        (Reception.objects.filter(how=ReceptionHow.RESCUED), "case_id", "received_at", True),
        (SupportGiven.objects.filter(date__isnull=False), "case_id", "date", False),
        (SupportGiven.objects.filter(date__isnull=True), "case_id", "recorded_at", True),
        (ShelterStay.objects.all(), "case_id", "start", False),
    ]


def _in_period(column: str, is_datetime: bool, period: Period, *, before: bool = False) -> Q:
    """Rows dated in ``period`` (or, with ``before``, before it starts)."""
    if is_datetime:
        low, high = period.start, period.end
        return Q(**{f"{column}__lt": low}) if before else Q(**{f"{column}__gte": low, f"{column}__lt": high})
    if before:
        return Q(**{f"{column}__lt": period.date_from})
    return Q(**{f"{column}__gte": period.date_from, f"{column}__lte": period.date_to})


def _first_rescues(centre: str | None, period: Period) -> set[int]:
    """Ids of the cases whose first rescue or support is in ``period``: those with an
    event in the period and none before it. Each of the two questions is one statement,
    the UNION of the event sources."""
    sources = _rescue_sources()

    def build(slot):  # prepared: the dashboard asks every few seconds
        bounds = _SlotPeriod(slot)
        return _union([
            qs.filter(_in_period(date_col, is_dt, bounds),
                      **({case_col.replace("_id", "__centre_id"): slot.text("centre")} if centre else {}))
            .values_list(case_col, flat=True)
            for qs, case_col, date_col, is_dt in sources])

    statement = prepared(Case, ("rescues_in_period", bool(centre)), build)
    in_period = {case_id for case_id, in statement.rows(**_SlotPeriod.values(period, centre))}
    if not in_period:
        return set()
    ids = id_set(in_period)
    earlier = _case_ids([
        qs.filter(_in_period(date_col, is_dt, period, before=True), **{f"{case_col}__in": ids})
        .values_list(case_col, flat=True)
        for qs, case_col, date_col, is_dt in sources])
    return in_period - earlier


def _union(parts: list):
    """One UNION statement of ``parts`` (``values_list`` querysets)."""
    first, *rest = [part.order_by() for part in parts]
    return first.union(*rest)


def _case_ids(parts: list) -> set[int]:
    """The case ids of all ``parts`` (``values_list`` querysets), in one UNION statement."""
    return set(_union(parts))


def _people_rescued(centre: str | None, period: Period) -> tuple[int, dict[str, int]]:
    cases = _first_rescues(centre, period)
    by_type = {code: 0 for code in CaseType.values}
    if not cases:
        return 0, by_type
    rows = (Case.objects.filter(pk__in=id_set(cases)).order_by()
            .annotate(victims=Count("people", filter=Q(people__role=PersonRole.CHILD_VICTIM)))
            .values_list("type", "victims"))
    for case_type, victims in rows:
        by_type[case_type] = by_type.get(case_type, 0) + max(1, victims)
    return sum(by_type.values()), by_type


# --------------------------------------------------------------------------- entry points


def report_summary(actor, date_from: datetime.date, date_to: datetime.date,
                   centre: str | None = None) -> dict:
    """The standard report for ``actor`` (see the module doc for every definition).

    Raises ``ReportInvalid`` for a bad period or an unknown centre and
    ``ReportForbidden`` outside the actor's reach.
    """
    centre = report_centre(actor, centre)  # reach before the period: fails closed
    check_period(date_from, date_to)
    return summary_for(centre, Period(date_from, date_to))


def summary_for(centre: str | None, period: Period) -> dict:
    """The summary without the access check: only for callers that did it."""
    referrals = report_referrals(centre, period)
    by_outcome, by_agency_type = _referral_figures(centre, period)
    people, people_by_type = _people_rescued(centre, period)
    dims = contact_counts(centre, period)
    return {
        "from": period.date_from.isoformat(),
        "to": period.date_to.isoformat(),
        "centre": centre,
        "total": sum(dims["by_centre"].values()),
        "by_kind": dims["by_kind"],
        "by_topic": dims["by_topic"],
        "by_channel": dims["by_channel"],
        "by_region": dims["by_region"],
        "by_province": dims["by_province"],
        "by_relation": dims["by_relation"],
        "by_centre": dims["by_centre"],
        "referrals_by_outcome": by_outcome,
        "referrals_by_agency_type": by_agency_type,
        "referral_cases": referrals.order_by().values("case_id").distinct().count(),
        "people_rescued": people,
        "people_rescued_by_case_type": people_by_type,
    }


#: Trend granularities and the longest span each may draw (number of bars stays readable).
TRENDS = {"day": 92, "month": 3653, "year": 3653}


def trend(centre: str | None, period: Period, unit: str) -> list[tuple[str, int]]:
    """Completed contacts per day, month or year of ``period`` (local time), zeros kept."""
    counts: Counter[str] = Counter()
    sums = rollup_sums(("day",), date_from=period.date_from, date_to=period.date_to, centre=centre,
                       dimension=TOTAL)
    for (day,), n in sums.items():
        counts[_bucket_key(day, unit)] += n
    return [(key, counts.get(key, 0)) for key in _buckets(period, unit)]


def _bucket_key(value, unit: str) -> str:
    day = timezone.localdate(value) if isinstance(value, datetime.datetime) else value
    return {"day": day.isoformat(), "month": day.strftime("%Y-%m"), "year": str(day.year)}[unit]


def _buckets(period: Period, unit: str) -> list[str]:
    """Every bucket key from the first day to the last, in order."""
    start, end = period.date_from, period.date_to
    if unit == "day":
        return [(start + datetime.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    if unit == "year":
        return [str(y) for y in range(start.year, end.year + 1)]
    months = (end.year - start.year) * 12 + end.month - start.month
    return [f"{start.year + (start.month - 1 + i) // 12}-{(start.month - 1 + i) % 12 + 1:02d}"
            for i in range(months + 1)]


def trend_unit(period: Period, asked: str | None = None) -> str:
    """The unit asked for if the period is short enough for it, else the finest that fits."""
    days = (period.date_to - period.date_from).days + 1
    if asked in TRENDS and days <= TRENDS[asked]:
        return asked
    if days <= TRENDS["day"]:
        return "day"
    return "month" if days <= 3 * 366 else "year"


def deadlines_met(centre: str | None, period: Period) -> dict[str, dict[str, int]]:
    """Legal deadlines due in the period, per kind: met on time, met late, missed (still
    open past due), open (not yet due). Cancelled deadlines are not counted."""
    qs = Deadline.objects.filter(due_at__gte=period.start, due_at__lt=period.end,
                                 cancelled_at__isnull=True)
    if centre:
        qs = qs.filter(case__centre_id=centre)
    now = timezone.now()
    out = {kind: {"due": 0, "on_time": 0, "late": 0, "missed": 0, "open": 0}
           for kind in DeadlineKind.values}
    rows = (qs.order_by().values("kind")
            .annotate(due=Count("id"),
                      on_time=Count("id", filter=Q(met_at__isnull=False, met_at__lte=F("due_at"))),
                      late=Count("id", filter=Q(met_at__gt=F("due_at"))),
                      missed=Count("id", filter=Q(met_at__isnull=True, due_at__lte=now)),
                      open=Count("id", filter=Q(met_at__isnull=True, due_at__gt=now))))
    for row in rows:
        out[row["kind"]] = {k: row[k] for k in ("due", "on_time", "late", "missed", "open")}
    return out


def telephony(centre: str | None, period: Period) -> dict | None:
    """Calls offered, answered and abandoned in the period (by ``started_at``), when the
    telephony app is installed; else ``None``. A call counts as answered once a
    counsellor picked it up (``answered_at`` set; its state moves on to ``ended``), as
    abandoned when the caller hung up first (state ``abandoned``)."""
    if not apps.is_installed("tongdai.telephony"):
        return None
    call = apps.get_model("telephony", "Call")
    qs = call.objects.filter(started_at__gte=period.start, started_at__lt=period.end)
    if centre:
        qs = qs.filter(centre_id=centre)
    row = qs.aggregate(offered=Count("id"), answered=Count("id", filter=Q(answered_at__isnull=False)),
                       abandoned=Count("id", filter=Q(state="abandoned")))
    offered = row["offered"]
    row["answer_rate"] = round(100 * row["answered"] / offered, 1) if offered else 0.0
    return row


def dashboard_data(actor, date_from: datetime.date | None = None,
                   date_to: datetime.date | None = None, centre: str | None = None,
                   unit: str | None = None, *, now: datetime.datetime | None = None) -> dict:
    """Everything the dashboard shows. The period defaults to the last 30 days; live
    counters (today, this week from Monday) are always relative to ``now``."""
    centre = report_centre(actor, centre)
    today = timezone.localdate(now or timezone.now())
    date_to = date_to or today
    date_from = date_from or (date_to - datetime.timedelta(days=29))
    check_period(date_from, date_to)
    period = Period(date_from, date_to)
    week = Period(today - datetime.timedelta(days=today.weekday()), today)
    unit = trend_unit(period, unit)
    return {
        "centre": centre,
        "period": period,
        "summary": summary_for(centre, period),
        "today": contact_total(centre, Period(today, today)),
        "week": contact_total(centre, week),
        "today_date": today,
        "week_start": week.date_from,
        "unit": unit,
        "trend": trend(centre, period, unit),
        "deadlines": deadlines_met(centre, period),
        "telephony": telephony(centre, period),
    }
