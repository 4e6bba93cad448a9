"""The child-protection workflow (Decree 56/2017): the one entry point for its writes.

Every function here checks reach and permission, runs in ``transaction.atomic`` with the
case locked (``case_lock_for_edit``, which also checks the case version the editor
loaded), writes a timeline line (``case_event``) and an audit record (field names only).
Steps out of order raise ``CaseInvalid``; stale versions raise ``CaseConflict``.

Who may act:
- hotline staff with ``CASE_EDIT`` on a case they can see: every step;
- a partner (commune worker, agency officer) with ``REFERRAL_RECEIVE``: only the first
  assessment (Form 02), through a referral of that case they can see and have
  acknowledged or accepted (``first_assessment_record(referral_id=...)``).

Deadlines (``tongdai.deadlines``): ``emergency_12h`` (urgent cases, Art. 26.3) is met by
Form 02; ``plan_5wd`` (Art. 28) is met when the first plan is submitted. Both are opened by
``protection_case_opened`` and, because that hook may not have run, ensured again
(idempotently) before they are met.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from tongdai.accounts.models import Agency
from tongdai.accounts.roles import Perm
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.cases.models import Case, CaseEvent, CaseType, EventKind
from tongdai.cases.services import (
    CaseConflict,
    CaseForbidden,
    CaseInvalid,
    CaseNotFound,
    audited_refusal,
    case_close,
    case_event,
    case_lock_for_edit,
    case_touch,
)
from tongdai.core.ids import safe_id as _safe_pk
from tongdai.protection.models import (
    RISK_CRITERIA,
    RISK_ORDER,
    Decision,
    FirstAssessment,
    ItemStatus,
    NeedsAssessment,
    Plan,
    PlanItem,
    PlanStatus,
    Review,
    Risk,
    Stage,
)

TEXT_LIMIT = 5000
#: Stages that accept each step. Form 02 is due from intake (the hand-off to the commune).
FIRST_ASSESSMENT_STAGES = (Stage.INTAKE, Stage.FIRST_ASSESSMENT)
#: A step sent back returns the case to the stage before it.
PREVIOUS_STAGE = {
    Stage.FIRST_ASSESSMENT: Stage.INTAKE,
    Stage.NEEDS_ASSESSMENT: Stage.FIRST_ASSESSMENT,
    Stage.PLANNING: Stage.NEEDS_ASSESSMENT,
    Stage.IMPLEMENTATION: Stage.PLANNING,
    Stage.REVIEW: Stage.IMPLEMENTATION,
}
#: Referral states in which a partner works on the case (referrals module vocabulary).
REFERRAL_WORKING = ("acknowledged", "accepted", "in_progress")

__all__ = ["CaseConflict", "CaseForbidden", "CaseInvalid", "CaseNotFound"]


# --------------------------------------------------------------------------- deadlines


def _deadlines():
    """The deadlines service module, or None while it is not installed (built in parallel)."""
    try:
        from tongdai.deadlines import services
    except ImportError:
        return None
    return services


def _ensure_deadlines(case: Case, actor) -> None:
    """Open the Decree 56 deadlines of a case; safe to call again (``deadline_open`` is
    idempotent per case and kind)."""
    svc = _deadlines()
    if svc is None or case.type != CaseType.CHILD_PROTECTION:
        return
    if case.urgent:
        svc.deadline_open(case, "emergency_12h", actor=actor)  # Art. 26.3
    svc.deadline_open(case, "plan_5wd", actor=actor)  # Art. 28


def _meet(case: Case, kind: str, actor, at=None) -> None:
    svc = _deadlines()
    if svc is not None:
        svc.deadline_meet(case, kind, at=at or timezone.now(), actor=actor)


def protection_case_opened(case: Case, actor) -> None:
    """Hook for ``cases.services.case_open``: open the legal deadlines of a new
    child-protection case (12 hours if urgent, Art. 26.3; the 5-working-day plan, Art. 28)."""
    _ensure_deadlines(case, actor)


# --------------------------------------------------------------------------- input checks


class _Input:
    """Collects field errors while reading a data dict (API or form shaped)."""

    def __init__(self, data: Any):
        self.data = data if isinstance(data, dict) else {}
        self.errors: dict[str, str] = {}

    def text(self, key: str, *, required: bool = False, limit: int = TEXT_LIMIT) -> str:
        value = self.data.get(key)
        if value is None:
            value = ""
        if not isinstance(value, str) or "\x00" in value:
            self.errors[key] = _("Enter text.")
            return ""
        value = value.strip()
        if required and not value:
            self.errors[key] = _("This field is required.")
        elif len(value) > limit:
            self.errors[key] = _("At most %(limit)d characters.") % {"limit": limit}
        return value[:limit]

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)

    def choice(self, key: str, choices, *, required: bool = True) -> str:
        value = self.data.get(key) or ""
        if not value and not required:
            return ""
        if value not in choices.values:
            self.errors[key] = _("Choose one of the listed values.")
            return ""
        return value

    def moment(self, key: str, *, required: bool = False, default=None) -> datetime.datetime | None:
        value = self.data.get(key)
        if value in (None, ""):
            if required and default is None:
                self.errors[key] = _("This field is required.")
            return default
        if isinstance(value, str):
            try:
                value = parse_datetime(value)
            except ValueError:
                value = None
        if not isinstance(value, datetime.datetime):
            self.errors[key] = _("Enter a valid date and time.")
            return None
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        if value > timezone.now() + datetime.timedelta(minutes=5):
            self.errors[key] = _("This time is in the future.")
        return value

    def day(self, key: str) -> datetime.date | None:
        value = self.data.get(key)
        if value in (None, ""):
            return None
        if isinstance(value, str):
            try:
                value = parse_date(value)
            except ValueError:
                value = None
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            self.errors[key] = _("Enter a valid date.")
            return None
        return value

    def check(self) -> None:
        if self.errors:
            raise CaseInvalid(self.errors)


def overall_risk(levels: list[str]) -> str:
    """The overall risk of Forms 02/06: the highest of the four criteria.

    Decree 56 lists the four criteria but gives no formula for combining them; we take
    the highest because one criterion alone (e.g. the abuser living with the child) can
    put the child in danger, and under-rating risk is the costly error. An assessor who
    judges otherwise overrides the level and must say why (kept on the record)."""
    return max(levels, key=lambda r: RISK_ORDER[Risk(r)])


def _criteria(inp: _Input) -> dict[str, str]:
    return {key: inp.choice(key, Risk) for key in RISK_CRITERIA}


# --------------------------------------------------------------------------- locking


def _require_protection(case: Case) -> None:
    if case.type != CaseType.CHILD_PROTECTION:
        raise CaseInvalid({"case": _("This step belongs to the child-protection workflow; "
                                     "this case is not a child-protection case.")})


def _require_stage(case: Case, stages, message: str) -> None:
    _require_protection(case)
    if case.stage not in stages:
        raise CaseInvalid({"stage": message})


def _set_stage(case: Case, actor, to: str, kind: str = EventKind.STAGE, text: str = "") -> None:
    """Move the case to ``to`` and say so on the timeline (``data`` from/to feed the stepper)."""
    was = case.stage
    case.stage = to
    case.save(update_fields=["stage"])
    case_event(case, actor, kind, text, **{"from": was, "to": to})


def _lock_for_partner(actor, case_id, referral_id, version) -> tuple[Case, int]:
    """A partner's lock on a case: only through a referral of that case they can see and
    work on. The case is locked by pk *after* the referral check (partners have no case
    reach: ``Case.objects.visible_to`` is empty for them)."""
    from tongdai.referrals.models import Referral

    if not actor.can(Perm.REFERRAL_RECEIVE):
        raise CaseNotFound()
    pk = _safe_pk(referral_id)
    referral = Referral.objects.visible_to(actor).filter(pk=pk).first() if pk else None
    if referral is None or (case_id is not None and _safe_pk(case_id) != referral.case_id):
        raise CaseNotFound()
    if referral.status not in REFERRAL_WORKING:
        raise CaseInvalid({"referral": _("Acknowledge the referral before recording the assessment.")})
    case = Case.objects.select_for_update(of=("self",)).get(pk=referral.case_id)
    if not case.is_open:
        raise CaseInvalid({"case": _("The case is closed.")})
    if version is not None and version != case.version:
        raise CaseConflict(_("This case was changed by someone else since you opened it. "
                             "Reload to see their changes."))
    return case, referral.pk




def _version(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CaseInvalid({"version": _("Reload the page and try again.")}) from None


# --------------------------------------------------------------------------- Form 02


def first_assessment_record(actor, case_id, data: dict, *, version=None, referral_id=None,
                            request=None, via: str = "ui") -> FirstAssessment:
    """Record Form 02 (Art. 26) and move the case on to the needs assessment.

    Hotline staff with ``CASE_EDIT`` on a visible case, or a partner through
    ``referral_id`` (see ``_lock_for_partner``). Meets the 12-hour emergency deadline."""
    with audited_refusal(actor, case_id, "first_assessment", request=request, via=via), \
            transaction.atomic():
        version = _version(version)
        if referral_id is not None:
            case, ref_pk = _lock_for_partner(actor, case_id, referral_id, version)
        else:
            case, ref_pk = case_lock_for_edit(actor, case_id, version=version), None
        _require_stage(case, FIRST_ASSESSMENT_STAGES,
                       _("The first assessment is already recorded for this case."))
        fields = _first_assessment_fields(_Input(data))
        now = timezone.now()
        record = FirstAssessment.objects.create(
            case=case, referral_id=ref_pk, assessed_by=actor, created_by=actor, updated_by=actor,
            created_at=now, updated_at=now, **fields)
        _ensure_deadlines(case, actor)
        _meet(case, "emergency_12h", actor, at=now)
        _set_stage(case, actor, Stage.NEEDS_ASSESSMENT)
        case_event(case, actor, EventKind.ASSESSMENT, form="02", record=record.pk,
                   risk=record.risk_level, emergency=record.emergency, referral=ref_pk)
        case_touch(case)
        audit_record(actor, Action.CREATE, obj=record, request=request, via=via,
                     fields=sorted(fields), detail={"case": case.pk, "referral": ref_pk})
        return record


def _first_assessment_fields(inp: _Input) -> dict[str, Any]:
    criteria = _criteria(inp)
    fields: dict[str, Any] = {
        **criteria,
        "assessed_at": inp.moment("assessed_at", default=timezone.now()),
        "emergency": inp.flag("emergency"),
        "emergency_action": inp.text("emergency_action"),
        "emergency_action_at": inp.moment("emergency_action_at"),
        "separated": inp.flag("separated"),
        "separation_place": inp.text("separation_place", limit=300),
        "notes": inp.text("notes"),
    }
    override = inp.choice("risk_level", Risk, required=False)
    reason = inp.text("risk_override_reason")
    if fields["emergency_action_at"] and not fields["emergency_action"]:
        inp.errors["emergency_action"] = _("Say what emergency intervention was taken.")
    if fields["separated"] and not fields["separation_place"]:
        inp.errors["separation_place"] = _("Say where the child was temporarily placed.")
    inp.check()
    computed = overall_risk(list(criteria.values()))
    if override and override != computed and not reason:
        raise CaseInvalid({"risk_override_reason": _(
            "The overall risk differs from the highest criterion: say why.")})
    fields["risk_level"] = override or computed
    fields["risk_override_reason"] = reason if fields["risk_level"] != computed else ""
    return fields


# --------------------------------------------------------------------------- Form 03


def needs_assessment_record(actor, case_id, data: dict, *, version=None, request=None,
                            via: str = "ui") -> NeedsAssessment:
    """Record Form 03 (Art. 27) and move the case on to planning."""
    with audited_refusal(actor, case_id, "needs_assessment", request=request, via=via), \
            transaction.atomic():
        case = case_lock_for_edit(actor, case_id, version=_version(version))
        _require_stage(case, (Stage.NEEDS_ASSESSMENT,),
                       _("The needs assessment comes after the first assessment."))
        inp = _Input(data)
        fields = {key: inp.text(key) for key in (*NeedsAssessment.DOMAINS, "strengths", "recommendations")}
        fields["assessed_at"] = inp.moment("assessed_at", default=timezone.now())
        inp.check()
        if not any(fields[key] for key in NeedsAssessment.DOMAINS):
            raise CaseInvalid({"need_safety": _("Describe the child's needs in at least one domain.")})
        now = timezone.now()
        record = NeedsAssessment.objects.create(case=case, created_by=actor, updated_by=actor,
                                                created_at=now, updated_at=now, **fields)
        _set_stage(case, actor, Stage.PLANNING)
        case_event(case, actor, EventKind.ASSESSMENT, form="03", record=record.pk)
        case_touch(case)
        audit_record(actor, Action.CREATE, obj=record, request=request, via=via,
                     fields=sorted(k for k, v in fields.items() if v), detail={"case": case.pk})
        return record


# --------------------------------------------------------------------------- Forms 04/05


def current_plan(case: Case) -> Plan | None:
    return case.plans.order_by("-number").first()


def plan_create(actor, case_id, data: dict, *, version=None, request=None, via: str = "ui") -> Plan:
    """Start a draft plan (Art. 28) while the case is at the planning stage."""
    with audited_refusal(actor, case_id, "plan_create", request=request, via=via), transaction.atomic():
        case = case_lock_for_edit(actor, case_id, version=_version(version))
        _require_stage(case, (Stage.PLANNING,), _("A plan comes after the needs assessment."))
        latest = current_plan(case)
        if latest is not None and latest.status != PlanStatus.APPROVED:
            raise CaseInvalid({"plan": _("This case already has a plan being drafted: edit that one.")})
        inp = _Input(data)
        goals = inp.text("goals", required=True)
        inp.check()
        plan = _new_plan(case, actor, goals, (latest.number + 1) if latest else 1)
        case_touch(case)
        audit_record(actor, Action.CREATE, obj=plan, request=request, via=via, fields=["goals"],
                     detail={"case": case.pk})
        return plan


def _new_plan(case: Case, actor, goals: str, number: int) -> Plan:
    now = timezone.now()
    plan = Plan.objects.create(case=case, number=number, goals=goals, created_by=actor,
                               updated_by=actor, created_at=now, updated_at=now)
    case_event(case, actor, EventKind.PLAN, action="created", plan=plan.pk, number=number)
    return plan


def _lock_plan(actor, plan_id, version, *, item_id=None) -> tuple[Case, Plan]:
    """The plan (by id, within the actor's case reach) with its case locked for edit."""
    pk = _safe_pk(plan_id)
    plan = Plan.objects.filter(pk=pk, case__in=Case.objects.visible_to(actor)).first() if pk else None
    if plan is None:
        raise CaseNotFound()
    case = case_lock_for_edit(actor, plan.case_id)
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if version is not None and version != plan.version:
        raise CaseConflict(_("This plan was changed by someone else since you opened it. "
                             "Reload to see their changes."))
    return case, plan


def _bump(obj, actor) -> None:
    obj.version += 1
    obj.updated_by = actor
    obj.updated_at = timezone.now()


def plan_update(actor, plan_id, data: dict, *, version=None, request=None, via: str = "ui") -> Plan:
    """Change the goals of a plan that is not yet approved."""
    with audited_refusal(actor, None, "plan_update", request=request, via=via), transaction.atomic():
        case, plan = _lock_plan(actor, plan_id, _version(version))
        _require_stage(case, (Stage.PLANNING,), _("Only a plan being drafted can be changed."))
        if plan.status == PlanStatus.APPROVED:
            raise CaseInvalid({"plan": _("An approved plan cannot be changed; make a new plan.")})
        inp = _Input(data)
        plan.goals = inp.text("goals", required=True)
        inp.check()
        _bump(plan, actor)
        plan.save()
        case_event(case, actor, EventKind.PLAN, action="updated", plan=plan.pk)
        case_touch(case)
        audit_record(actor, Action.UPDATE, obj=plan, request=request, via=via, fields=["goals"])
        return plan


def _item_fields(inp: _Input, *, status: str = ItemStatus.PLANNED) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "what": inp.text("what", required=True),
        "who": inp.text("who", limit=200),
        "due_date": inp.day("due_date"),
        "notes": inp.text("notes"),
        "status": inp.choice("status", ItemStatus, required=False) or status,  # unchanged if not given
    }
    agency_id = inp.data.get("agency")
    fields["agency"] = None
    if agency_id not in (None, ""):
        fields["agency"] = Agency.objects.filter(pk=_safe_pk(agency_id), active=True).first()
        if fields["agency"] is None:
            inp.errors["agency"] = _("Unknown agency.")
    if not fields["who"] and fields["agency"] is None and "agency" not in inp.errors:
        inp.errors["who"] = _("Say who does it: an agency, or a person's name or role.")
    inp.check()
    return fields


def plan_item_add(actor, plan_id, data: dict, *, version=None, request=None, via: str = "ui") -> PlanItem:
    """Add an action to a plan (while drafting, or during implementation)."""
    with audited_refusal(actor, None, "plan_item_add", request=request, via=via), transaction.atomic():
        case, plan = _lock_plan(actor, plan_id, _version(version))
        _require_stage(case, (Stage.PLANNING, Stage.IMPLEMENTATION),
                       _("Plan items are added while planning or implementing."))
        if plan != current_plan(case):
            raise CaseInvalid({"plan": _("This plan was replaced by a newer one.")})
        fields = _item_fields(_Input(data))
        now = timezone.now()
        item = PlanItem.objects.create(plan=plan, created_by=actor, updated_by=actor,
                                       created_at=now, updated_at=now, **fields)
        case_event(case, actor, EventKind.PLAN, action="item_added", plan=plan.pk, item=item.pk)
        case_touch(case)
        audit_record(actor, Action.CREATE, obj=item, request=request, via=via,
                     fields=sorted(k for k, v in fields.items() if v), detail={"case": case.pk})
        return item


def plan_item_update(actor, item_id, data: dict, *, version=None, request=None,
                     via: str = "ui") -> PlanItem:
    """Change a plan item (its status and notes are the implementation record, Art. 29).
    ``version`` is the item's version the editor loaded: a stale one is refused."""
    with audited_refusal(actor, None, "plan_item_update", request=request, via=via), transaction.atomic():
        pk = _safe_pk(item_id)
        item = (PlanItem.objects.filter(pk=pk, plan__case__in=Case.objects.visible_to(actor)).first()
                if pk else None)
        if item is None:
            raise CaseNotFound()
        case, plan = _lock_plan(actor, item.plan_id, None)
        item = PlanItem.objects.select_for_update().get(pk=item.pk)
        version = _version(version)
        if version is not None and version != item.version:
            raise CaseConflict(_("This plan item was changed by someone else since you opened it. "
                                 "Reload to see their changes; yours were not saved."))
        _require_stage(case, (Stage.PLANNING, Stage.IMPLEMENTATION, Stage.REVIEW),
                       _("Plan items are changed while planning, implementing or reviewing."))
        if plan != current_plan(case):
            raise CaseInvalid({"plan": _("This plan was replaced by a newer one.")})
        fields = _item_fields(_Input(data), status=item.status)
        changed = sorted(k for k, v in fields.items() if getattr(item, k) != v)
        was = item.status
        for key, value in fields.items():
            setattr(item, key, value)
        _bump(item, actor)
        item.save()
        case_event(case, actor, EventKind.PLAN, action="item_updated", plan=plan.pk, item=item.pk,
                   status=item.status, was=was)
        case_touch(case)
        audit_record(actor, Action.UPDATE, obj=item, request=request, via=via, fields=changed)
        return item


def plan_submit(actor, plan_id, *, version=None, request=None, via: str = "ui") -> Plan:
    """Submit the drafted plan to the commune chairman; meets the 5-working-day deadline."""
    with audited_refusal(actor, None, "plan_submit", request=request, via=via), transaction.atomic():
        case, plan = _lock_plan(actor, plan_id, _version(version))
        _require_stage(case, (Stage.PLANNING,), _("Only a plan being drafted can be submitted."))
        if plan.status != PlanStatus.DRAFT:
            raise CaseInvalid({"plan": _("This plan is not a draft.")})
        if not plan.goals or not plan.items.exists():
            raise CaseInvalid({"plan": _("A plan needs goals and at least one action.")})
        plan.status, plan.submitted_at, plan.submitted_by = PlanStatus.SUBMITTED, timezone.now(), actor
        _bump(plan, actor)
        plan.save()
        _ensure_deadlines(case, actor)
        _meet(case, "plan_5wd", actor, at=plan.submitted_at)
        case_event(case, actor, EventKind.PLAN, action="submitted", plan=plan.pk)
        case_touch(case)
        audit_record(actor, Action.UPDATE, obj=plan, request=request, via=via, fields=["status"])
        return plan


def plan_approve(actor, plan_id, data: dict, *, version=None, request=None, via: str = "ui") -> Plan:
    """Record the commune chairman's approval (Art. 28) and start implementation (Art. 29)."""
    with audited_refusal(actor, None, "plan_approve", request=request, via=via), transaction.atomic():
        case, plan = _lock_plan(actor, plan_id, _version(version))
        _require_stage(case, (Stage.PLANNING,), _("Only a submitted plan can be approved."))
        if plan.status != PlanStatus.SUBMITTED:
            raise CaseInvalid({"plan": _("Submit the plan before recording its approval.")})
        inp = _Input(data)
        plan.approved_by_commune_chair = inp.text("approved_by_commune_chair", required=True, limit=200)
        plan.approved_at = inp.moment("approved_at", default=timezone.now())
        inp.check()
        plan.status = PlanStatus.APPROVED
        _bump(plan, actor)
        plan.save()
        case_event(case, actor, EventKind.PLAN, action="approved", plan=plan.pk)
        _set_stage(case, actor, Stage.IMPLEMENTATION)
        case_touch(case)
        audit_record(actor, Action.UPDATE, obj=plan, request=request, via=via,
                     fields=["status", "approved_by_commune_chair", "approved_at"])
        return plan


# --------------------------------------------------------------------------- Form 06


def review_start(actor, case_id, *, version=None, request=None, via: str = "ui") -> Case:
    """End implementation and open the review (Art. 30)."""
    with audited_refusal(actor, case_id, "review_start", request=request, via=via), transaction.atomic():
        case = case_lock_for_edit(actor, case_id, version=_version(version))
        _require_stage(case, (Stage.IMPLEMENTATION,), _("A review comes after an approved plan."))
        _set_stage(case, actor, Stage.REVIEW)
        case_touch(case)
        audit_record(actor, Action.UPDATE, obj=case, request=request, via=via, fields=["stage"])
        return case


def review_record(actor, case_id, data: dict, *, version=None, request=None, via: str = "ui") -> Review:
    """Record Form 06 (Art. 30): close the case if the child is safe and stable, or
    return to planning with a new plan (a copy of the unfinished actions)."""
    with audited_refusal(actor, case_id, "review", request=request, via=via), transaction.atomic():
        case = case_lock_for_edit(actor, case_id, version=_version(version))
        _require_stage(case, (Stage.IMPLEMENTATION, Stage.REVIEW),
                       _("A review comes after an approved plan."))
        inp = _Input(data)
        fields: dict[str, Any] = {
            **_criteria(inp),
            "reviewed_at": inp.moment("reviewed_at", default=timezone.now()),
            "safe_and_stable": inp.flag("safe_and_stable"),
            "decision": inp.choice("decision", Decision),
            "reason": inp.text("reason", required=True),
        }
        inp.check()
        if fields["decision"] == Decision.CLOSE and not fields["safe_and_stable"]:
            raise CaseInvalid({"decision": _("Close only when the child is safe and stable; "
                                             "otherwise make a new plan.")})
        if case.stage == Stage.IMPLEMENTATION:
            _set_stage(case, actor, Stage.REVIEW)  # the stepper shows who ended implementation
        now = timezone.now()
        plan = current_plan(case)
        review = Review.objects.create(case=case, plan=plan, reviewed_by=actor, created_by=actor,
                                       updated_by=actor, created_at=now, updated_at=now, **fields)
        case_event(case, actor, EventKind.ASSESSMENT, form="06", record=review.pk,
                   decision=review.decision)
        audit_record(actor, Action.CREATE, obj=review, request=request, via=via,
                     fields=sorted(fields), detail={"case": case.pk})
        if review.decision == Decision.CLOSE:
            case_close(actor, case.pk, review.reason, request=request, via=via)
        else:
            _replan(case, actor, plan)
            case_touch(case)
        return review


def _replan(case: Case, actor, old: Plan | None) -> Plan:
    """Back to planning with a new draft plan carrying over the unfinished actions."""
    _set_stage(case, actor, Stage.PLANNING)
    plan = _new_plan(case, actor, old.goals if old else "", (old.number + 1) if old else 1)
    if old is not None:
        now = timezone.now()
        PlanItem.objects.bulk_create([
            PlanItem(plan=plan, what=i.what, agency_id=i.agency_id, who=i.who, due_date=i.due_date,
                     status=i.status, notes=i.notes, created_by=actor, updated_by=actor,
                     created_at=now, updated_at=now)
            for i in old.items.exclude(status__in=[ItemStatus.DONE, ItemStatus.CANCELLED])])
    return plan


# --------------------------------------------------------------------------- send back


def protection_send_back(actor, case_id, reason: str, *, version=None, request=None,
                         via: str = "ui") -> Case:
    """Send the current step back to the previous stage with a reason (it is redone).
    A plan sent back from implementation returns to draft so it can be corrected."""
    with audited_refusal(actor, case_id, "send_back", request=request, via=via), transaction.atomic():
        case = case_lock_for_edit(actor, case_id, version=_version(version))
        _require_stage(case, tuple(PREVIOUS_STAGE), _("This step cannot be sent back."))
        inp = _Input({"reason": reason})
        text = inp.text("reason", required=True)
        inp.check()
        if case.stage == Stage.IMPLEMENTATION:
            plan = current_plan(case)
            if plan is not None:
                plan.status, plan.submitted_at, plan.submitted_by = PlanStatus.DRAFT, None, None
                plan.approved_by_commune_chair, plan.approved_at = "", None
                _bump(plan, actor)
                plan.save()
        _set_stage(case, actor, PREVIOUS_STAGE[Stage(case.stage)], EventKind.SENT_BACK, text)
        case_touch(case)
        audit_record(actor, Action.UPDATE, obj=case, request=request, via=via,
                     fields=["stage"], detail={"attempt": "send_back"})
        return case


# --------------------------------------------------------------------------- reading


def protection_steps(case: Case) -> list[dict[str, Any]]:
    """The stepper: each stage with its state and who completed it last and when
    (from the timeline's stage events, newest first)."""
    order = list(Stage.values)
    current = order.index(case.stage) if case.stage in order else 0
    last_left: dict[str, CaseEvent] = {}
    events = (case.events.filter(kind__in=[EventKind.STAGE, EventKind.SENT_BACK, EventKind.CLOSED])
              .select_related("actor").order_by("-at", "-id"))
    for event in events:
        if event.kind == EventKind.SENT_BACK:
            continue
        was, to = event.data.get("from"), event.data.get("to")
        if event.kind == EventKind.CLOSED:
            was, to = Stage.REVIEW, Stage.CLOSED
        if was not in order or to not in order:
            continue
        # One move may complete several stages (Form 02 from intake completes both).
        for code in order[order.index(was):max(order.index(to), order.index(was) + 1)]:
            last_left.setdefault(code, event)
    steps = []
    for index, code in enumerate(order):
        done = index < current or case.stage == Stage.CLOSED
        event = last_left.get(code) if done else None
        steps.append({"code": code, "label": Stage(code).label, "done": done,
                      "current": index == current and case.stage != Stage.CLOSED,
                      "by": event.actor if event else None, "at": event.at if event else None})
    return steps


def protection_records(case: Case) -> dict[str, Any]:
    """Every Form 02/03/04-05/06 record of a case, newest first (caller checked reach)."""
    plans = list(case.plans.select_related("submitted_by").prefetch_related("items__agency"))
    return {
        "first_assessments": list(case.first_assessments.select_related("assessed_by")),
        "needs_assessments": list(case.needs_assessments.select_related("created_by")),
        "plans": plans,
        "plan": plans[0] if plans else None,
        "reviews": list(case.reviews.select_related("reviewed_by", "plan")),
        "sent_back": list(case.events.filter(kind=EventKind.SENT_BACK).select_related("actor")[:20]),
    }
