"""The trafficking workflow's domain operations (Law 53/2024/QH15; Decree 162/2025/NĐ-CP).

Every write here: checks reach and permission by locking the case
(``cases.services.case_lock_for_edit``), checks the case is a trafficking case at a stage
where the step makes sense, checks the item's ``version`` on edits (optimistic locking),
writes a timeline event (codes and ids only), and audits field names (never values).
NotFound/Forbidden refusals are audited after the rollback (``audited_refusal``).

Callers pass Python values (dates, datetimes, ints, ids) in ``data`` dicts; the forms in
``trafficking.forms`` parse the HTML. Rule breaks raise ``CaseInvalid`` with a message for
a person; nothing is stored.

Deadlines (module ``tongdai.deadlines``): ``verification_3d`` is opened when a trafficking
case is opened (``trafficking_case_opened``, also ensured lazily here) and met by the
verification record; ``shelter_120d`` is opened per shelter stay (ref = stay id), moved on
extension (the open one is cancelled and a new one opened with the same ref, whose start
is set 120 days before the new limit so that its due time is the new limit), and met when
the stay ends.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongdai.accounts.models import Agency, AgencyType
from tongdai.accounts.roles import Perm
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.cases.models import Case, CaseType, EventKind
from tongdai.cases.services import (
    CaseConflict,
    CaseInvalid,
    CaseNotFound,
    audited_refusal,
    case_close,
    case_event,
    case_lock_for_edit,
    case_touch,
)
from tongdai.core.ids import safe_id as _safe_id
from tongdai.geo.models import Country
from tongdai.taxonomy.models import Topic
from tongdai.trafficking import regimes
from tongdai.trafficking.models import (
    SHELTER_DAYS,
    Beneficiary,
    Evidence,
    EvidenceKind,
    FollowUp,
    Identification,
    Reception,
    ReceptionHow,
    Route,
    ShelterStay,
    SupportGiven,
    Verification,
    VerificationResult,
)

TEXT_LIMIT = 5000
SHORT_LIMIT = 200
MAX_AMOUNT = 10**12  # VND; anything larger is a typing error
SHELTER_TYPES = (AgencyType.SHELTER, AgencyType.SOCIAL_PROTECTION)
POLICE_TYPES = (AgencyType.POLICE,)
OPEN_STAGES = ("reception", "verification", "identification", "support", "reintegration")


# --------------------------------------------------------------------------- deadlines


def _deadlines():
    """The deadlines module, or None while it is not installed (built in parallel)."""
    try:
        from tongdai.deadlines import services
    except ImportError:
        return None
    return services


def trafficking_case_opened(case: Case, actor=None) -> None:
    """Open the 3-day verification deadline of a new trafficking case (Law 53/2024 Art. 27:
    the first information is verified with the police within 3 days of receiving it).
    Idempotent; does nothing for other case types. ``cases.services.case_open`` calls it."""
    module = _deadlines()
    if module is None or case.type not in CaseType.trafficking():
        return
    module.deadline_open(case, "verification_3d", actor=actor)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def _shelter_ref(stay: ShelterStay) -> str:
    return str(stay.pk)


def _shelter_deadline_open(case: Case, stay: ShelterStay, actor) -> None:
    module = _deadlines()
    if module is None:
        return
    # The deadline's due time is start + 120 days; an extension is a deadline whose start
    # lies 120 days before the new limit (see the module docstring).
    start = stay.start if not stay.extended_until else stay.extended_until - datetime.timedelta(days=SHELTER_DAYS)
    module.deadline_open(case, "shelter_120d", start=_local_midnight(start), actor=actor,
                         ref=_shelter_ref(stay))


def _deadline_meet(case: Case, kind: str, at, actor, ref: str = "") -> None:
    module = _deadlines()
    if module is not None:
        module.deadline_meet(case, kind, at=at, actor=actor, ref=ref)


def _deadline_cancel(case: Case, kind: str, actor, ref: str = "") -> None:
    module = _deadlines()
    if module is not None:
        module.deadline_cancel(case, kind, ref=ref, actor=actor)


# --------------------------------------------------------------------------- checks




def _stage_label(stage: str) -> str:
    from tongdai.trafficking.models import STAGE_LABELS

    return str(STAGE_LABELS.get(stage, stage))


def _locked(actor, case_id, stages, *, perm: Perm = Perm.CASE_EDIT, version: int | None = None) -> Case:
    """The trafficking case locked for edit, refused unless it is at one of ``stages``."""
    case = case_lock_for_edit(actor, case_id, version=version, perm=perm)
    if case.type not in CaseType.trafficking():
        raise CaseInvalid({"case": _("This is not a trafficking case.")})
    if case.stage not in stages:
        raise CaseInvalid({"stage": _("This step is not possible while the case is at the stage "
                                      "“%(stage)s”.") % {"stage": _stage_label(case.stage)}})
    return case


def _item(model, case: Case, item_id, version) -> Any:
    """An item of this case, locked, after checking the version the editor loaded."""
    pk = _safe_id(item_id)
    obj = model.objects.select_for_update().filter(case=case, pk=pk).first() if pk else None
    if obj is None:
        raise CaseNotFound()
    if version is None:
        raise CaseInvalid({"version": _("Reload the page and try again.")})
    if version != obj.version:
        raise CaseConflict(_("This record was changed by someone else since you opened it. "
                             "Reload to see their changes."))
    return obj


class _Check:
    """Collects field errors from ``data`` and raises them all at once."""

    def __init__(self, data: dict):
        self.data = data if isinstance(data, dict) else {}
        self.errors: dict[str, str] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def done(self) -> None:
        if self.errors:
            raise CaseInvalid(self.errors)

    def text(self, field: str, *, required: bool = False, limit: int = TEXT_LIMIT) -> str:
        value = self.data.get(field) or ""
        if not isinstance(value, str) or "\x00" in value:
            self.fail(field, _("Invalid text."))
            return ""
        value = value.strip()
        if required and not value:
            self.fail(field, _("This field is required."))
        if len(value) > limit:
            self.fail(field, _("At most %(limit)d characters.") % {"limit": limit})
        return value[:limit]

    def choice(self, field: str, choices, *, default: str | None = None) -> str:
        value = self.data.get(field) or default
        if value not in choices:
            self.fail(field, _("Choose one of the options."))
        return value or ""

    def when(self, field: str, kind: type, *, required: bool = False):
        """A date or datetime, never in the future (records describe what happened)."""
        value = self.data.get(field)
        if value in (None, ""):
            if required:
                self.fail(field, _("This field is required."))
            return None
        if kind is datetime.date and isinstance(value, datetime.datetime) or not isinstance(value, kind):
            self.fail(field, _("Invalid date."))
            return None
        now = timezone.now() if kind is datetime.datetime else timezone.localdate()
        if value > now:
            self.fail(field, _("This cannot be in the future."))
        return value

    def agency(self, field: str, types) -> Agency | None:
        value = self.data.get(field)
        if value in (None, ""):
            return None
        agency = Agency.objects.filter(pk=_safe_id(value), type__in=types, active=True).first()
        if agency is None:
            self.fail(field, _("Unknown agency."))
        return agency


def _audit(actor, action, obj, fields, request, via, **detail) -> None:
    audit_record(actor, action, obj=obj, fields=fields, request=request, via=via, detail=detail or None)


def _set_stage(case: Case, actor, stage: str) -> None:
    old = case.stage
    case.stage = stage
    case.save(update_fields=["stage"])
    case_event(case, actor, EventKind.STAGE, _("Stage: %(stage)s") % {"stage": _stage_label(stage)},
               workflow="trafficking", old=old, new=stage)


# --------------------------------------------------------------------------- status and regimes


def trafficking_status(case: Case) -> tuple[str, bool]:
    """The person's status (from the case type) and whether they are abroad (reception)."""
    status = regimes.STATUS_FOR_CASE_TYPE.get(case.type, regimes.IDENTIFYING)
    reception = Reception.objects.filter(case=case).only("abroad").first()
    return status, bool(reception and reception.abroad)


def trafficking_regimes_offered(case: Case, *, accompanying_child: bool = False) -> list[str]:
    """The regimes the person (or a child travelling with them) may be given now."""
    status, abroad = trafficking_status(case)
    return regimes.regimes_for(status, abroad=abroad, accompanying_child=accompanying_child)


# --------------------------------------------------------------------------- reception


def _clean_reception(data: dict) -> dict:
    check = _Check(data)
    cleaned = {
        "received_at": check.when("received_at", datetime.datetime, required=True),
        "how": check.choice("how", ReceptionHow.values),
        "location": check.text("location", limit=300),
        "abroad": bool(check.data.get("abroad")),
        "mission_involved": bool(check.data.get("mission_involved")),
        "notes": check.text("notes"),
        "country": None,
    }
    country = check.data.get("country")
    if country:
        cleaned["country"] = Country.objects.filter(pk=str(country)[:2].upper()).first()
        if cleaned["country"] is None:
            check.fail("country", _("Unknown country."))
    if cleaned["abroad"] and cleaned["country"] is None:
        check.fail("country", _("Say which country the person is in."))
    check.done()
    return cleaned


def reception_record(actor, case_id, data: dict, *, version: int | None = None, request=None,
                     via: str = "ui") -> Reception:
    """Record (first time: moves the case to verification) or correct the reception."""
    with audited_refusal(actor, case_id, "trafficking_reception", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, OPEN_STAGES, perm=Perm.CASE_OPEN)
        existing = Reception.objects.select_for_update().filter(case=case).first()
        if existing is not None:
            existing = _item(Reception, case, existing.pk, version)
        cleaned = _clean_reception(data)
        trafficking_case_opened(case, actor)
        if existing is None:
            if case.stage != "reception":
                raise CaseInvalid({"stage": _("The reception is already past.")})
            reception = Reception.objects.create(case=case, recorded_by=actor, **cleaned)
            _set_stage(case, actor, "verification")
            action = Action.CREATE
        else:
            reception = existing
            for field, value in cleaned.items():
                setattr(reception, field, value)
            reception.version += 1
            reception.save()
            action = Action.UPDATE
        case_event(case, actor, EventKind.ASSESSMENT, _("Reception recorded"), step="reception",
                   reception=reception.pk, how=reception.how, abroad=reception.abroad)
        case_touch(case)
        _audit(actor, action, reception, cleaned, request, via, case=case.pk)
        return reception


# --------------------------------------------------------------------------- verification


def _clean_verification(data: dict) -> dict:
    check = _Check(data)
    cleaned = {
        "police": check.agency("police", POLICE_TYPES),
        "police_unit": check.text("police_unit", limit=SHORT_LIMIT),
        "requested_at": check.when("requested_at", datetime.datetime, required=True),
        "result": check.choice("result", VerificationResult.values, default=VerificationResult.PENDING),
        "verified_at": check.when("verified_at", datetime.datetime),
        "notes": check.text("notes"),
    }
    if cleaned["police"] is None and not cleaned["police_unit"] and "police" not in check.errors:
        check.fail("police", _("Choose the police unit, or write its name."))
    if cleaned["result"] != VerificationResult.PENDING and cleaned["verified_at"] is None:
        check.fail("verified_at", _("Say when the police gave the result."))
    if cleaned["verified_at"] and cleaned["requested_at"] and cleaned["verified_at"] < cleaned["requested_at"]:
        check.fail("verified_at", _("The result cannot come before the request."))
    check.done()
    return cleaned


def verification_record(actor, case_id, data: dict, *, request=None, via: str = "ui") -> Verification:
    """Record the check with the police; meets the 3-day deadline (Law 53/2024 Art. 27)
    and, the first time, moves the case to identification."""
    with audited_refusal(actor, case_id, "trafficking_verification", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, ("verification", "identification"))
        cleaned = _clean_verification(data)
        verification = Verification.objects.create(case=case, recorded_by=actor, **cleaned)
        trafficking_case_opened(case, actor)
        _deadline_meet(case, "verification_3d", cleaned["verified_at"] or cleaned["requested_at"], actor)
        case_event(case, actor, EventKind.ASSESSMENT, _("Verification with police recorded"),
                   step="verification", verification=verification.pk, result=verification.result)
        if case.stage == "verification":
            _set_stage(case, actor, "identification")
        case_touch(case)
        _audit(actor, Action.CREATE, verification, cleaned, request, via, case=case.pk)
        return verification


def verification_update(actor, case_id, verification_id, data: dict, *, version: int | None,
                        request=None, via: str = "ui") -> Verification:
    """Correct a verification record, e.g. add the police's result when it arrives."""
    with audited_refusal(actor, case_id, "trafficking_verification", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, OPEN_STAGES)
        verification = _item(Verification, case, verification_id, version)
        cleaned = _clean_verification(data)
        for field, value in cleaned.items():
            setattr(verification, field, value)
        verification.version += 1
        verification.save()
        case_event(case, actor, EventKind.ASSESSMENT, _("Verification with police updated"),
                   step="verification", verification=verification.pk, result=verification.result)
        case_touch(case)
        _audit(actor, Action.UPDATE, verification, cleaned, request, via, case=case.pk)
        return verification


# --------------------------------------------------------------------------- identification

IDENTIFY_STAGES = ("identification", "support", "reintegration")


def evidence_add(actor, case_id, data: dict, *, request=None, via: str = "ui") -> Evidence:
    """Add an item of identification evidence (Law 53/2024 Art. 32)."""
    with audited_refusal(actor, case_id, "trafficking_evidence", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, IDENTIFY_STAGES)
        check = _Check(data)
        cleaned = {"kind": check.choice("kind", EvidenceKind.values),
                   "description": check.text("description", required=True),
                   "source": check.text("source", limit=SHORT_LIMIT),
                   "date": check.when("date", datetime.date)}
        check.done()
        evidence = Evidence.objects.create(case=case, recorded_by=actor, **cleaned)
        case_event(case, actor, EventKind.ASSESSMENT, _("Identification evidence added"),
                   step="evidence", evidence=evidence.pk, evidence_kind=evidence.kind)
        case_touch(case)
        _audit(actor, Action.CREATE, evidence, cleaned, request, via, case=case.pk)
        return evidence


def identification_decide(actor, case_id, data: dict, *, version: int | None = None, request=None,
                          via: str = "ui") -> Identification:
    """Record the person's status (victim / being identified / foreign victim). The case
    type follows the status; the first decision moves the case to support. A later
    decision (e.g. a person being identified is found to be a victim) needs the version."""
    with audited_refusal(actor, case_id, "trafficking_identification", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, IDENTIFY_STAGES)
        existing = Identification.objects.filter(case=case).first()
        if existing is not None:
            existing = _item(Identification, case, existing.pk, version)
        check = _Check(data)
        cleaned = {"status": check.choice("status", list(regimes.STATUSES)),
                   "decided_by": check.text("decided_by", required=True, limit=SHORT_LIMIT),
                   "decided_at": check.when("decided_at", datetime.datetime, required=True),
                   "notes": check.text("notes")}
        check.done()
        if existing is None:
            decision = Identification.objects.create(case=case, recorded_by=actor, **cleaned)
        else:
            decision = existing
            for field, value in cleaned.items():
                setattr(decision, field, value)
            decision.recorded_by, decision.version = actor, decision.version + 1
            decision.save()
        old_type = case.type
        case.type = regimes.CASE_TYPE_FOR_STATUS[decision.status]
        case.save(update_fields=["type"])
        case_event(case, actor, EventKind.ASSESSMENT,
                   _("Identified: %(status)s") % {"status": regimes.STATUSES[decision.status]},
                   step="identification", identification=decision.pk, status=decision.status,
                   old_type=old_type, new_type=case.type)
        if case.stage == "identification":
            _set_stage(case, actor, "support")
        case_touch(case)
        _audit(actor, Action.CREATE if existing is None else Action.UPDATE, decision,
               [*cleaned, "case.type"], request, via, case=case.pk)
        return decision


# --------------------------------------------------------------------------- route


def route_save(actor, case_id, data: dict, *, version: int | None = None, request=None,
               via: str = "ui") -> Route:
    """Record or correct the route: destination and transit countries, border crossing,
    description and form of exploitation (a topic of the taxonomy's trafficking branch)."""
    with audited_refusal(actor, case_id, "trafficking_route", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, OPEN_STAGES)
        route = Route.objects.filter(case=case).first()
        if route is not None:
            route = _item(Route, case, route.pk, version)
        check = _Check(data)
        cleaned: dict[str, Any] = {
            "border_crossing": check.text("border_crossing", limit=SHORT_LIMIT),
            "description": check.text("description"),
            "exploitation": None,
        }
        countries = {}
        for field in ("destinations", "transits"):
            codes = check.data.get(field) or []
            codes = [str(c)[:2].upper() for c in codes] if isinstance(codes, list | tuple) else [None]
            found = list(Country.objects.filter(pk__in=codes))
            if len(found) != len(set(codes)):
                check.fail(field, _("Unknown country."))
            countries[field] = found
        code = check.data.get("exploitation")
        if code:
            cleaned["exploitation"] = Topic.objects.filter(pk=str(code)[:40], parent_id="trafficking").first()
            if cleaned["exploitation"] is None:
                check.fail("exploitation", _("Choose a form of exploitation from the list."))
        check.done()
        if route is None:
            route = Route.objects.create(case=case, updated_by=actor, **cleaned)
            action = Action.CREATE
        else:
            for field, value in cleaned.items():
                setattr(route, field, value)
            route.updated_by, route.updated_at, route.version = actor, timezone.now(), route.version + 1
            route.save()
            action = Action.UPDATE
        route.destinations.set(countries["destinations"])
        route.transits.set(countries["transits"])
        case_event(case, actor, EventKind.ASSESSMENT, _("Route recorded"), step="route", route=route.pk,
                   destinations=sorted(c.pk for c in countries["destinations"]),
                   transits=sorted(c.pk for c in countries["transits"]))
        case_touch(case)
        _audit(actor, action, route, [*cleaned, "destinations", "transits"], request, via, case=case.pk)
        return route


# --------------------------------------------------------------------------- support

SUPPORT_STAGES = ("support", "reintegration")


def _clean_support(case: Case, data: dict) -> dict:
    check = _Check(data)
    beneficiary = check.choice("beneficiary", Beneficiary.values, default=Beneficiary.PERSON)
    status, abroad = trafficking_status(case)
    offered = regimes.regimes_for(status, abroad=abroad,
                                  accompanying_child=beneficiary == Beneficiary.ACCOMPANYING_CHILD)
    regime = check.data.get("regime")
    if regime not in regimes.REGIMES:
        check.fail("regime", _("Unknown support regime."))
    elif regime not in offered:
        check.fail("regime", _("Regime %(letter)s is not among those the person's status entitles "
                               "(Law 53/2024 Art. 37): %(offered)s.") % {
            "letter": regimes.regime_letter(regime),
            "offered": ", ".join(regimes.regime_letter(c) for c in offered) or "—"})
    cleaned = {
        "regime": regime if regime in regimes.REGIMES else "", "beneficiary": beneficiary,
        "status": status, "abroad": abroad,
        "given_by": check.agency("given_by", AgencyType.values),
        "given_by_text": check.text("given_by_text", limit=SHORT_LIMIT),
        "date": check.when("date", datetime.date),
        "start": check.when("start", datetime.date),
        "end": check.when("end", datetime.date),
        "notes": check.text("notes"),
        "amount": None,
    }
    if cleaned["given_by"] is None and not cleaned["given_by_text"] and "given_by" not in check.errors:
        check.fail("given_by", _("Say who gave the support: an agency, or a person."))
    if not (cleaned["date"] or cleaned["start"]) and not check.errors.keys() & {"date", "start"}:
        check.fail("date", _("Give the date, or the start date."))
    if cleaned["end"] and cleaned["start"] and cleaned["end"] < cleaned["start"]:
        check.fail("end", _("The end cannot come before the start."))
    amount = check.data.get("amount")
    if amount not in (None, ""):
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_AMOUNT:
            check.fail("amount", _("The amount is a whole number of đồng."))
        else:
            cleaned["amount"] = amount
    check.done()
    return cleaned


def support_give(actor, case_id, data: dict, *, request=None, via: str = "ui") -> SupportGiven:
    """Record one support regime given. Only the regimes the person's status entitles are
    accepted (``regimes.regimes_for``); any other is refused and nothing is stored."""
    with audited_refusal(actor, case_id, "trafficking_support", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, SUPPORT_STAGES)
        cleaned = _clean_support(case, data)
        support = SupportGiven.objects.create(case=case, recorded_by=actor, **cleaned)
        case_event(case, actor, EventKind.SUPPORT, support.regime_label, step="support",
                   support=support.pk, regime=support.regime, beneficiary=support.beneficiary)
        case_touch(case)
        _audit(actor, Action.CREATE, support, cleaned, request, via, case=case.pk)
        return support


def support_update(actor, case_id, support_id, data: dict, *, version: int | None, request=None,
                   via: str = "ui") -> SupportGiven:
    """Correct a support record (same entitlement check as when it was given)."""
    with audited_refusal(actor, case_id, "trafficking_support", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, SUPPORT_STAGES)
        support = _item(SupportGiven, case, support_id, version)
        cleaned = _clean_support(case, data)
        for field, value in cleaned.items():
            setattr(support, field, value)
        support.version += 1
        support.save()
        case_event(case, actor, EventKind.SUPPORT, support.regime_label, step="support_update",
                   support=support.pk, regime=support.regime)
        case_touch(case)
        _audit(actor, Action.UPDATE, support, cleaned, request, via, case=case.pk)
        return support


# --------------------------------------------------------------------------- shelter


def shelter_start(actor, case_id, data: dict, *, request=None, via: str = "ui") -> ShelterStay:
    """Start a shelter stay; opens its 120-day deadline (Decree 162/2025 Art. 17)."""
    with audited_refusal(actor, case_id, "trafficking_shelter", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, SUPPORT_STAGES)
        check = _Check(data)
        cleaned = {"shelter": check.agency("shelter", SHELTER_TYPES),
                   "start": check.when("start", datetime.date, required=True)}
        if cleaned["shelter"] is None and "shelter" not in check.errors:
            check.fail("shelter", _("Choose the shelter or social protection facility."))
        if ShelterStay.objects.filter(case=case, end__isnull=True).exists():
            check.fail("shelter", _("End the current shelter stay first."))
        check.done()
        stay = ShelterStay.objects.create(case=case, recorded_by=actor, **cleaned)
        _shelter_deadline_open(case, stay, actor)
        case_event(case, actor, EventKind.SUPPORT, _("Shelter stay started"), step="shelter_start",
                   stay=stay.pk, shelter=stay.shelter_id, limit=stay.limit_date.isoformat())
        case_touch(case)
        _audit(actor, Action.CREATE, stay, cleaned, request, via, case=case.pk)
        return stay


def shelter_extend(actor, case_id, stay_id, until: datetime.date | None, reason: str, *,
                   version: int | None, request=None, via: str = "ui") -> ShelterStay:
    """Extend an ongoing stay beyond its limit, with a reason; the deadline moves with it."""
    with audited_refusal(actor, case_id, "trafficking_shelter", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, SUPPORT_STAGES)
        stay = _item(ShelterStay, case, stay_id, version)
        check = _Check({"reason": reason})
        reason = check.text("reason", required=True)
        if not stay.ongoing:
            check.fail("extended_until", _("This stay has ended."))
        elif not isinstance(until, datetime.date) or until <= stay.limit_date:
            check.fail("extended_until", _("The new limit must be after %(date)s.")
                       % {"date": stay.limit_date.strftime("%d/%m/%Y")})
        check.done()
        _deadline_cancel(case, "shelter_120d", actor, ref=_shelter_ref(stay))
        stay.extended_until, stay.extension_reason = until, reason
        stay.version += 1
        stay.save()
        _shelter_deadline_open(case, stay, actor)
        case_event(case, actor, EventKind.SUPPORT, _("Shelter stay extended"), step="shelter_extend",
                   stay=stay.pk, limit=stay.limit_date.isoformat())
        case_touch(case)
        _audit(actor, Action.UPDATE, stay, ["extended_until", "extension_reason"], request, via,
               case=case.pk)
        return stay


def shelter_end(actor, case_id, stay_id, end: datetime.date | None, *, version: int | None,
                request=None, via: str = "ui") -> ShelterStay:
    """End a stay; meets its shelter deadline."""
    with audited_refusal(actor, case_id, "trafficking_shelter", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, SUPPORT_STAGES)
        stay = _item(ShelterStay, case, stay_id, version)
        check = _Check({"end": end})
        end = check.when("end", datetime.date, required=True)
        if not stay.ongoing:
            check.fail("end", _("This stay has ended."))
        elif end and end < stay.start:
            check.fail("end", _("The end cannot come before the start."))
        check.done()
        stay.end = end
        stay.version += 1
        stay.save()
        _deadline_meet(case, "shelter_120d", _local_midnight(end), actor, ref=_shelter_ref(stay))
        case_event(case, actor, EventKind.SUPPORT, _("Shelter stay ended"), step="shelter_end",
                   stay=stay.pk, days=stay.days_used())
        case_touch(case)
        _audit(actor, Action.UPDATE, stay, ["end"], request, via, case=case.pk)
        return stay


# --------------------------------------------------------------------------- reintegration, closure


def reintegration_start(actor, case_id, *, version: int | None = None, request=None,
                        via: str = "ui") -> Case:
    """Move from support to reintegration follow-up."""
    with audited_refusal(actor, case_id, "trafficking_reintegration", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, ("support",), version=version)
        _set_stage(case, actor, "reintegration")
        case_touch(case)
        _audit(actor, Action.UPDATE, case, ["stage"], request, via)
        return case


def followup_add(actor, case_id, data: dict, *, request=None, via: str = "ui") -> FollowUp:
    """Record a reintegration follow-up: date, who, the situation and the next step."""
    with audited_refusal(actor, case_id, "trafficking_followup", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, ("reintegration",))
        check = _Check(data)
        cleaned = {"date": check.when("date", datetime.date, required=True),
                   "by": check.text("by", required=True, limit=SHORT_LIMIT),
                   "situation": check.text("situation", required=True),
                   "next_step": check.text("next_step")}
        check.done()
        followup = FollowUp.objects.create(case=case, recorded_by=actor, **cleaned)
        case_event(case, actor, EventKind.SUPPORT, _("Reintegration follow-up recorded"),
                   step="followup", followup=followup.pk)
        case_touch(case)
        _audit(actor, Action.CREATE, followup, cleaned, request, via, case=case.pk)
        return followup


def trafficking_close(actor, case_id, reason: str, *, version: int | None = None, request=None,
                      via: str = "ui") -> Case:
    """Close a case after reintegration; every shelter stay must have ended."""
    with audited_refusal(actor, case_id, "trafficking_close", request=request, via=via), \
            transaction.atomic():
        case = _locked(actor, case_id, ("reintegration",), version=version)
        if ShelterStay.objects.filter(case=case, end__isnull=True).exists():
            raise CaseInvalid({"reason": _("End the current shelter stay first.")})
        return case_close(actor, case.pk, reason, version=version, request=request, via=via)
