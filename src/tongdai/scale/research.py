"""The anonymised research dataset (analysts, ``Perm.RESEARCH_EXPORT``).

One row per completed contact received in the period, with **no direct identifier**: no
name, phone number, address, commune, free text, record id, counsellor or exact time.

**Quasi-identifiers** (what someone who knows a caller could match on), in the order of
the columns:

``period``   month received (``2025-03``), Asia/Ho_Chi_Minh; generalised to quarter
             (``2025-Q1``) then year;
``place``    province code of the contact's statistical place (legacy records: their
             current province), generalised to the statistical region (``RRD`` ...,
             ``ABROAD``, ``unknown``) — see ``tongdai.reports.services`` for the rules;
``age_band`` the person the contact is about (first subject, else the caller): the CHI
             bands of ``AgeGroup``; generalised to ``child`` / ``adult`` / ``unknown``;
``sex``      of that person (never generalised);
``kind``     kind of contact; generalised to its group (information / counselling /
             report / referral / non-substantive);
``topic``    topic category (the parent of its topics; ``multiple`` when they span several
             categories, ``none`` without topics);
``channel``  generalised to phone / online / other;
``relation`` caller's relation to the person; generalised to self / family / other /
             anonymous.

Generalisation steps, in order: place → region; month → quarter; channel →
group; kind → group; quarter → year; age band → child/adult; relation → group; region →
Viet Nam/abroad/unknown; relation → any; channel → any; topic → any/none.

Non-identifying attributes (not quasi-identifiers): ``urgent``, ``duration`` band
(``<5``, ``5-15``, ``15+`` minutes, ``unknown``) and ``case_opened``.

**k-anonymity.** Every combination of the quasi-identifier columns in the file is shared
by at least ``k`` rows (default 5). The generaliser applies the steps of the ladder in
order, each to the whole column (global recoding), stopping as soon as at most
``MAX_SUPPRESSED`` (2 %) of the rows are in cells smaller than ``k``; the rows still in
such cells are then **dropped** (suppressed). The file's first lines say how many rows
were generalised and suppressed. Sensitive attributes are not diversified (no
l-diversity): a cell whose rows all share ``urgent=1`` discloses it for that cell.

Every export is audited (``Action.EXPORT``, ``object_type="research_dataset"``) with the
period, ``k``, the steps applied and the row counts, never the rows.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from tongdai.accounts.roles import Perm
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.cases.models import CaseContact
from tongdai.contacts.models import AgeGroup, Contact, ContactTopic, Status, Subject
from tongdai.core.spreadsheet import safe_cell
from tongdai.geo.models import LegacyProvince, Province
from tongdai.reports.services import Period
from tongdai.taxonomy.models import ContactKind, Topic

DEFAULT_K = 5
MAX_SUPPRESSED = 0.02
QUASI_IDENTIFIERS = ["period", "place", "age_band", "sex", "kind", "topic", "channel", "relation"]
ATTRIBUTES = ["urgent", "duration", "case_opened"]
COLUMNS = QUASI_IDENTIFIERS + ATTRIBUTES

CHILD_BANDS = {AgeGroup.AGE_0_6, AgeGroup.AGE_7_12, AgeGroup.AGE_13_15, AgeGroup.AGE_16_17}
CHANNEL_GROUPS = {"phone_111": "phone", "phone_18001567": "phone", "zalo": "online",
                  "facebook": "online", "app": "online", "web": "online", "email": "online"}
RELATION_GROUPS = {"child_self": "self", "victim_self": "self", "parent": "family",
                   "relative_friend": "family", "anonymous": "anonymous"}
KIND_GROUPS = {"counselling_psychological": "counselling", "counselling_policy": "counselling",
               "counselling_services": "counselling"}


class ResearchForbidden(Exception):
    """The user may not export the research dataset."""


class ResearchInvalid(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class ResearchDataset:
    date_from: datetime.date
    date_to: datetime.date
    k: int
    rows: list[tuple] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    total: int = 0
    suppressed: int = 0

    def csv_bytes(self) -> bytes:
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow([safe_cell(f"# tongdai research dataset {self.date_from}..{self.date_to}; "
                                   f"k={self.k}; generalised: {' + '.join(self.steps) or 'none'}; "
                                   f"rows {self.total - self.suppressed} of {self.total}; "
                                   f"{self.suppressed} suppressed")])
        writer.writerow(COLUMNS)
        for row in self.rows:
            writer.writerow([safe_cell(v) for v in row])
        return out.getvalue().encode("utf-8")

    def filename(self) -> str:
        return f"tongdai-research-{self.date_from}-{self.date_to}-k{self.k}.csv"


# --------------------------------------------------------------------------- generalisation


def _quarter(period: str) -> str:
    year, month = period.split("-")
    return f"{year}-Q{(int(month) - 1) // 3 + 1}"


def _ladder():
    """(name, column index, function) of the generalisation steps, in order."""
    region_of = dict(Province.objects.values_list("code", "region_id"))
    qi = QUASI_IDENTIFIERS.index
    return [
        ("place→region", qi("place"), lambda v: region_of.get(v) or v),
        ("month→quarter", qi("period"), lambda v: _quarter(v) if "Q" not in v and len(v) == 7 else v),
        ("channel→group", qi("channel"), lambda v: CHANNEL_GROUPS.get(v, "other")),
        ("kind→group", qi("kind"), lambda v: v),  # replaced below (needs the kinds table)
        ("quarter→year", qi("period"), lambda v: v[:4]),
        ("age→child/adult", qi("age_band"),
         lambda v: "child" if v in CHILD_BANDS else ("unknown" if v == AgeGroup.UNKNOWN else "adult")),
        ("relation→group", qi("relation"), lambda v: RELATION_GROUPS.get(v, v if v == "unknown" else "other")),
        ("region→country", qi("place"), lambda v: v if v in ("ABROAD", "unknown") else "VN"),
        ("relation→any", qi("relation"), lambda v: "any"),
        ("channel→any", qi("channel"), lambda v: "any"),
        ("topic→any", qi("topic"), lambda v: "any" if v != "none" else v),
    ]


def _kind_group(groups: dict[str, str]):
    def group(code: str) -> str:
        if code in KIND_GROUPS:
            return KIND_GROUPS[code]
        if groups.get(code) == "non_substantive":
            return "non_substantive"
        return code

    return group


def _small_rows(rows: list[tuple], k: int) -> int:
    cells = Counter(row[: len(QUASI_IDENTIFIERS)] for row in rows)
    return sum(n for n in cells.values() if n < k)


def k_anonymise(rows: list[tuple], k: int, ladder=None) -> tuple[list[tuple], list[str], int]:
    """(released rows, steps applied, rows suppressed): see the module doc."""
    ladder = ladder if ladder is not None else _ladder()
    steps: list[str] = []
    limit = int(len(rows) * MAX_SUPPRESSED)
    for name, index, fn in ladder:
        if _small_rows(rows, k) <= limit:
            break
        rows = [row[:index] + (fn(row[index]),) + row[index + 1:] for row in rows]
        steps.append(name)
    cells = Counter(row[: len(QUASI_IDENTIFIERS)] for row in rows)
    kept = [row for row in rows if cells[row[: len(QUASI_IDENTIFIERS)]] >= k]
    return kept, steps, len(rows) - len(kept)


# --------------------------------------------------------------------------- extraction


def _duration(answered, ended) -> str:
    if not answered or not ended or ended < answered:
        return "unknown"
    minutes = (ended - answered).total_seconds() / 60
    return "<5" if minutes < 5 else ("5-15" if minutes < 15 else "15+")


def _rows(date_from: datetime.date, date_to: datetime.date) -> list[tuple]:
    tz = timezone.get_default_timezone()
    period = Period(date_from, date_to)
    start, end = period.start, period.end
    contacts = Contact.objects.filter(status=Status.COMPLETED, received_at__gte=start, received_at__lt=end)
    parent = dict(Topic.objects.values_list("code", "parent_id"))
    legacy_current = dict(LegacyProvince.objects.values_list("code", "current_id"))
    topics: dict[int, set[str]] = {}
    for contact_id, topic in (ContactTopic.objects.filter(contact__in=contacts.values("pk"))
                              .values_list("contact_id", "topic_id").iterator(chunk_size=20_000)):
        topics.setdefault(contact_id, set()).add(parent.get(topic) or topic)
    first_subject = {}
    for contact_id, sex, band in (Subject.objects.filter(contact__in=contacts.values("pk"), position=0)
                                  .values_list("contact_id", "sex", "age_group").iterator(chunk_size=20_000)):
        first_subject[contact_id] = (sex, band)
    has_case = Exists(CaseContact.objects.filter(contact_id=OuterRef("pk")))
    out = []
    fields = ("pk", "received_at", "province_id", "legacy_province_id", "caller_country_id",
              "caller_sex", "caller_age_group", "kind_id", "channel", "caller_relation_id", "urgent",
              "answered_at", "ended_at", "case_opened")
    for (pk, received, province, legacy, abroad, c_sex, c_band, kind, channel, relation, urgent,
         answered, ended, case_opened) in (contacts.annotate(case_opened=has_case).order_by()
                                           .values_list(*fields).iterator(chunk_size=20_000)):
        place = province or legacy_current.get(legacy) or ("ABROAD" if abroad else "unknown")
        sex, band = first_subject.get(pk, (c_sex, c_band))
        cats = topics.get(pk, set())
        topic = "none" if not cats else (next(iter(cats)) if len(cats) == 1 else "multiple")
        out.append((timezone.localtime(received, tz).strftime("%Y-%m"), place, band, sex, kind or "unknown",
                    topic, channel, relation or "unknown", int(bool(urgent)), _duration(answered, ended),
                    int(bool(case_opened))))
    return out


def research_dataset(actor, date_from: datetime.date, date_to: datetime.date, *, k: int = DEFAULT_K,
                     request=None, via: str = "ui") -> ResearchDataset:
    """The anonymised dataset for ``actor`` (see the module doc), audited."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active \
            or not actor.can(Perm.RESEARCH_EXPORT):
        audit_record(actor, Action.DENIED, object_type="research_dataset", request=request, via=via)
        raise ResearchForbidden(_("Your role cannot export the research dataset."))
    errors = {}
    if not isinstance(k, int) or isinstance(k, bool) or not 2 <= k <= 1000:
        errors["k"] = _("k must be a whole number from 2 to 1000.")
    if date_from > date_to:
        errors["to"] = _("The end date is before the start date.")
    if errors:
        raise ResearchInvalid(errors)
    rows = _rows(date_from, date_to)
    ladder = _ladder()
    groups = dict(ContactKind.objects.values_list("code", "group"))
    ladder = [(n, i, _kind_group(groups) if n == "kind→group" else fn) for n, i, fn in ladder]
    released, steps, suppressed = k_anonymise(rows, k, ladder)
    dataset = ResearchDataset(date_from, date_to, k, released, steps, len(rows), suppressed)
    audit_record(actor, Action.EXPORT, object_type="research_dataset", request=request, via=via,
                 detail={"from": date_from.isoformat(), "to": date_to.isoformat(), "k": k,
                         "generalised": steps, "rows": len(released), "suppressed": suppressed})
    return dataset
