"""The child-protection pages of a case (/cases/<id>/protection/) and the partner's
Form 02 page in the portal. Views turn requests into ``protection.services`` calls and
never write rows. Outside reach is a 404; bad input re-renders the page with the
message (400), a stale version says someone else saved first (409). Every POST ends in a
redirect (POST/redirect/GET), so the pages work without JavaScript."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongdai.accounts.roles import Perm
from tongdai.cases.models import Case, CaseType
from tongdai.cases.services import case_get_for
from tongdai.protection import services as svc
from tongdai.protection.forms import (
    FirstAssessmentForm,
    NeedsAssessmentForm,
    PlanApproveForm,
    PlanForm,
    PlanItemForm,
    ReviewForm,
    SendBackForm,
    VersionedForm,
)
from tongdai.protection.models import PlanStatus, Stage

CONFLICT = 409


def _case_or_404(request, pk: int) -> Case:
    try:
        return case_get_for(request.user, pk, request=request)
    except svc.CaseNotFound:
        raise Http404 from None


def _item_form(item, data=None) -> PlanItemForm:
    initial = {"what": item.what, "agency": item.agency_id, "who": item.who, "due_date": item.due_date,
               "status": item.status, "notes": item.notes, "version": item.version}
    return PlanItemForm(data, prefix=f"item{item.pk}", initial=initial)


def _page(request, case: Case, bound: dict[str, VersionedForm] | None = None, status: int = 200):
    """The workflow page: stepper, previous records, the current step's forms."""
    bound = bound or {}
    records = svc.protection_records(case) if case.type == CaseType.CHILD_PROTECTION else {}
    plan = records.get("plan")
    v = {"version": case.version}
    forms_ = {
        "fa": FirstAssessmentForm(initial=v), "na": NeedsAssessmentForm(initial=v),
        "plan_new": PlanForm(initial=v), "send_back": SendBackForm(initial=v),
        "review": ReviewForm(initial=v), "approve": None, "plan_edit": None, "item_new": None,
    }
    if plan is not None:
        pv = {"version": plan.version}
        forms_.update(plan_edit=PlanForm(initial={**pv, "goals": plan.goals}),
                      approve=PlanApproveForm(initial=pv), item_new=PlanItemForm(initial=pv))
    item_forms = {item.pk: _item_form(item) for item in (plan.items.all() if plan else [])}
    for key, form in bound.items():
        if key.startswith("item:"):
            item_forms[int(key[5:])] = form
        else:
            forms_[key] = form
    errors = [e for form in bound.values() for e in form.non_field_errors()]
    return render(request, "protection/case.html", {
        "case": case, "applies": case.type == CaseType.CHILD_PROTECTION,
        "steps": svc.protection_steps(case) if case.type == CaseType.CHILD_PROTECTION else [],
        "can_edit": request.user.can(Perm.CASE_EDIT) and case.is_open,
        "can_send_back": case.stage in svc.PREVIOUS_STAGE, "Stage": Stage, "PlanStatus": PlanStatus,
        "item_forms": item_forms, "forms": forms_, "errors": errors, **records,
    }, status=status)


def _submit(request, pk: int, key: str, form: VersionedForm, call: Callable, done: str):
    """Validate ``form``, call the service, and redirect back; or re-render with errors."""
    case = _case_or_404(request, pk)
    if form.is_valid():
        try:
            call(form)
        except svc.CaseNotFound:
            raise Http404 from None
        except svc.CaseForbidden:
            raise PermissionDenied from None
        except svc.CaseInvalid as exc:
            form.add_service_errors(exc.errors)
        except svc.CaseConflict as exc:
            form.add_error(None, str(exc))
            return _page(request, _case_or_404(request, pk), {key: form}, status=CONFLICT)
        else:
            messages.success(request, done)
            return redirect("case_protection", pk)
    return _page(request, case, {key: form}, status=400)


@login_required
def case_protection(request, pk: int):
    return _page(request, _case_or_404(request, pk))


def _back(pk):
    return redirect("case_protection", pk)


@login_required
def first_assessment(request, pk: int):
    if request.method != "POST":
        return _back(pk)
    form = FirstAssessmentForm(request.POST)
    return _submit(request, pk, "fa", form, lambda f: svc.first_assessment_record(
        request.user, pk, f.service_data(), version=f.cleaned_data["version"], request=request),
        _("First assessment recorded."))


@login_required
def needs_assessment(request, pk: int):
    if request.method != "POST":
        return _back(pk)
    form = NeedsAssessmentForm(request.POST)
    return _submit(request, pk, "na", form, lambda f: svc.needs_assessment_record(
        request.user, pk, f.service_data(), version=f.cleaned_data["version"], request=request),
        _("Needs assessment recorded."))


@login_required
def plan_create(request, pk: int):
    if request.method != "POST":
        return _back(pk)
    form = PlanForm(request.POST)
    return _submit(request, pk, "plan_new", form, lambda f: svc.plan_create(
        request.user, pk, f.service_data(), version=f.cleaned_data["version"], request=request),
        _("Plan started."))


@login_required
@require_POST
def plan_update(request, pk: int, plan_id: int):
    form = PlanForm(request.POST)
    return _submit(request, pk, "plan_edit", form, lambda f: svc.plan_update(
        request.user, _own_plan(request, pk, plan_id), f.service_data(),
        version=f.cleaned_data["version"], request=request), _("Plan saved."))


@login_required
@require_POST
def plan_item_add(request, pk: int, plan_id: int):
    form = PlanItemForm(request.POST)
    return _submit(request, pk, "item_new", form, lambda f: svc.plan_item_add(
        request.user, _own_plan(request, pk, plan_id), f.service_data(),
        version=f.cleaned_data["version"], request=request), _("Action added to the plan."))


@login_required
@require_POST
def plan_item_update(request, pk: int, item_id: int):
    form = PlanItemForm(request.POST, prefix=f"item{item_id}")
    return _submit(request, pk, f"item:{item_id}", form, lambda f: svc.plan_item_update(
        request.user, _own_item(request, pk, item_id), f.service_data(),
        version=f.cleaned_data["version"], request=request), _("Plan item saved."))


@login_required
@require_POST
def plan_submit(request, pk: int, plan_id: int):
    form = VersionedForm(request.POST)
    return _submit(request, pk, "plan_edit", form, lambda f: svc.plan_submit(
        request.user, _own_plan(request, pk, plan_id), version=f.cleaned_data["version"],
        request=request), _("Plan submitted for approval."))


@login_required
@require_POST
def plan_approve(request, pk: int, plan_id: int):
    form = PlanApproveForm(request.POST)
    return _submit(request, pk, "approve", form, lambda f: svc.plan_approve(
        request.user, _own_plan(request, pk, plan_id), f.service_data(),
        version=f.cleaned_data["version"], request=request), _("Plan approval recorded."))


@login_required
@require_POST
def review_start(request, pk: int):
    form = VersionedForm(request.POST)
    return _submit(request, pk, "review", form, lambda f: svc.review_start(
        request.user, pk, version=f.cleaned_data["version"], request=request), _("Review started."))


@login_required
def review(request, pk: int):
    if request.method != "POST":
        return _back(pk)
    form = ReviewForm(request.POST)
    return _submit(request, pk, "review", form, lambda f: svc.review_record(
        request.user, pk, f.service_data(), version=f.cleaned_data["version"], request=request),
        _("Review recorded."))


@login_required
@require_POST
def send_back(request, pk: int):
    form = SendBackForm(request.POST)
    return _submit(request, pk, "send_back", form, lambda f: svc.protection_send_back(
        request.user, pk, f.cleaned_data["reason"], version=f.cleaned_data["version"],
        request=request), _("Step sent back."))


def _own_plan(request, pk: int, plan_id: int) -> int:
    """The plan id, if that plan belongs to this case (a guessed id of another case → 404)."""
    if not svc.Plan.objects.filter(pk=plan_id, case_id=pk).exists():
        raise svc.CaseNotFound()
    return plan_id


def _own_item(request, pk: int, item_id: int) -> int:
    if not svc.PlanItem.objects.filter(pk=item_id, plan__case_id=pk).exists():
        raise svc.CaseNotFound()
    return item_id


# --------------------------------------------------------------------------- partner portal


def _portal_referral_or_404(user, referral_id: int):
    """The referral if the partner can see it (reach rule of the referrals module)."""
    try:
        from tongdai.referrals.models import Referral
    except ImportError:
        raise Http404 from None
    referral = Referral.objects.visible_to(user).filter(pk=referral_id).select_related("case").first()
    if referral is None or not user.can(Perm.REFERRAL_RECEIVE):
        raise Http404
    return referral


def _portal_done(referral_id: int):
    for name, args in (("portal_referral", [referral_id]), ("portal_inbox", [])):
        try:
            return redirect(reverse(name, args=args))
        except NoReverseMatch:
            continue
    return redirect("portal_first_assessment", referral_id)


@login_required
def portal_first_assessment(request, referral_id: int):
    """Form 02 for a commune worker or agency officer, through a referral they can see.
    Shows nothing of the case beyond its number: the referral carries what was shared."""
    referral = _portal_referral_or_404(request.user, referral_id)
    case = referral.case
    recorded = case.first_assessments.filter(referral_id=referral.pk).first()
    due = case.type == CaseType.CHILD_PROTECTION and case.stage in svc.FIRST_ASSESSMENT_STAGES
    form = FirstAssessmentForm(request.POST if request.method == "POST" else None,
                               initial={"version": case.version})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            svc.first_assessment_record(request.user, None, form.service_data(),
                                        version=form.cleaned_data["version"],
                                        referral_id=referral.pk, request=request, via="portal")
        except svc.CaseNotFound:
            raise Http404 from None
        except svc.CaseInvalid as exc:
            form.add_service_errors(exc.errors)
            status = 400
        except svc.CaseConflict as exc:
            form.add_error(None, str(exc))
            status = CONFLICT
        else:
            messages.success(request, _("First assessment recorded."))
            return _portal_done(referral.pk)
    elif request.method == "POST":
        status = 400
    return render(request, "protection/portal_first_assessment.html", {
        "referral": referral, "case_number": case.number, "form": form, "due": due,
        "recorded": recorded,
    }, status=status)
