"""Pages of the trafficking workflow under ``/cases/<id>/trafficking/``.

One page shows the stage stepper and every record with its form; each form posts to its
own URL, which calls one service and redirects back (POST/redirect/GET, no JavaScript
needed). A case outside the user's reach is a 404; a rule broken (wrong stage, regime
not entitled, bad dates) re-renders the page with the message and a 400; a stale version
a 409.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongdai.accounts.roles import Perm
from tongdai.cases.models import Case
from tongdai.cases.services import (
    CaseConflict,
    CaseForbidden,
    CaseInvalid,
    CaseNotFound,
    case_get_for,
)
from tongdai.trafficking import forms as tf
from tongdai.trafficking import regimes, services
from tongdai.trafficking.models import (
    SHELTER_DAYS,
    STAGE_LABELS,
    STAGES,
    Evidence,
    FollowUp,
    Identification,
    Reception,
    Route,
    ShelterStay,
    SupportGiven,
    Verification,
)


def _case_or_404(request, pk: int) -> Case:
    try:
        case = case_get_for(request.user, pk, request=request)
    except CaseNotFound:
        raise Http404 from None
    if not case.is_trafficking:
        raise Http404(_("This is not a trafficking case."))
    return case


def _initial(obj, fields) -> dict:
    data = {f: getattr(obj, f) for f in fields}
    data["version"] = obj.version
    return data


def _forms(case: Case, bound: dict) -> dict:
    """The page's forms: the bound one that failed, fresh ones for the rest."""
    reception = Reception.objects.filter(case=case).first()
    decision = Identification.objects.filter(case=case).first()
    route = Route.objects.filter(case=case).first()
    offered = services.trafficking_regimes_offered(case)
    fresh = {
        "reception_form": tf.ReceptionForm(initial=_initial(reception, [
            "received_at", "how", "location", "abroad", "country", "mission_involved", "notes"])
            if reception else {"received_at": timezone.localtime(case.received_at)}),
        "verification_form": tf.VerificationForm(initial={"requested_at": timezone.localtime()}),
        "evidence_form": tf.EvidenceForm(),
        "decision_form": tf.DecisionForm(initial=_initial(decision, [
            "status", "decided_by", "decided_at", "notes"]) if decision else {}),
        "route_form": tf.RouteForm(initial={**_initial(route, [
            "border_crossing", "exploitation", "description"]),
            "destinations": list(route.destinations.all()), "transits": list(route.transits.all())}
            if route else {}),
        "support_form": tf.SupportForm(offered=offered),
        "shelter_form": tf.ShelterForm(initial={"start": timezone.localdate()}),
        "followup_form": tf.FollowUpForm(initial={"date": timezone.localdate()}),
        "stage_form": tf.StageForm(initial={"version": case.version}),
    }
    fresh.update(bound)
    return fresh


def _page(request, case: Case, bound: dict | None = None, status: int = 200):
    today = timezone.localdate()
    stays = list(ShelterStay.objects.filter(case=case).select_related("shelter"))
    for stay in stays:
        stay.used, stay.remaining = stay.days_used(today), stay.days_remaining(today)
    status_code, abroad = services.trafficking_status(case)
    offered = services.trafficking_regimes_offered(case)
    stage_index = STAGES.index(case.stage) if case.stage in STAGES else 0
    context = {
        "case": case, "stages": [(s, STAGE_LABELS[s], i < stage_index, i == stage_index)
                                 for i, s in enumerate(STAGES)],
        "can_edit": case.is_open and request.user.can(Perm.CASE_EDIT),
        "can_receive": case.is_open and request.user.can(Perm.CASE_OPEN),
        "reception": Reception.objects.filter(case=case).select_related("country").first(),
        "verifications": Verification.objects.filter(case=case).select_related("police"),
        "evidence": Evidence.objects.filter(case=case),
        "decision": Identification.objects.filter(case=case).first(),
        "route": Route.objects.filter(case=case).select_related("exploitation").first(),
        "support": SupportGiven.objects.filter(case=case).select_related("given_by"),
        "stays": stays, "shelter_days": SHELTER_DAYS,
        "followups": FollowUp.objects.filter(case=case),
        "person_status": regimes.STATUSES.get(status_code), "abroad": abroad,
        "offered": [(c, regimes.regime_label(c)) for c in offered],
        "child_offered": [regimes.regime_letter(c) for c in services.trafficking_regimes_offered(
            case, accompanying_child=True)],
        **_forms(case, bound or {}),
        "page_errors": _page_errors(bound or {}),
    }
    return render(request, "trafficking/case.html", context, status=status)


#: Forms drawn inline without their own error places (shelter actions in the table).
INLINE_FORMS = ("shelter_extend_form", "shelter_end_form")


def _page_errors(bound: dict) -> list[str]:
    """Messages of a refused form, shown at the top: the form may sit in a folded section
    or (shelter actions) have no place of its own for field errors."""
    errors: list[str] = []
    for key, form in bound.items():
        errors.extend(form.non_field_errors())
        for name, field_errors in form.errors.items():
            if name != "__all__" and (key in INLINE_FORMS or name == "version"):
                errors.extend(f"{form.fields[name].label or name}: {e}" for e in field_errors)
    return errors


@login_required
def case_trafficking(request, pk: int):
    return _page(request, _case_or_404(request, pk))


def _apply_errors(form, errors: dict) -> None:
    for field, message in errors.items():
        form.add_error(field if field in form.fields else None, message)


def _submit(request, pk: int, form, key: str, call, done: str):
    """Validate ``form``, call the service, redirect back with ``done``; or re-render."""
    status = 400
    if form.is_valid():
        try:
            call(tf.form_data(form))
        except CaseNotFound:
            raise Http404 from None
        except CaseForbidden:
            raise PermissionDenied from None
        except CaseInvalid as exc:
            _apply_errors(form, exc.errors)
        except CaseConflict as exc:
            form.add_error(None, str(exc))
            status = 409
        else:
            messages.success(request, done)
            return redirect("case_trafficking", pk)
    return _page(request, _case_or_404(request, pk), {key: form}, status=status)


def _common(request):
    return {"request": request, "via": "ui"}


@login_required
@require_POST
def reception_post(request, pk: int):
    form = tf.ReceptionForm(request.POST)
    return _submit(request, pk, form, "reception_form", lambda d: services.reception_record(
        request.user, pk, d, version=d.pop("version"), **_common(request)), _("Reception saved."))


@login_required
@require_POST
def verification_post(request, pk: int):
    form = tf.VerificationForm(request.POST)
    return _submit(request, pk, form, "verification_form", lambda d: services.verification_record(
        request.user, pk, {k: v for k, v in d.items() if k != "version"}, **_common(request)),
        _("Verification recorded."))


@login_required
@require_POST
def verification_edit_post(request, pk: int, item: int):
    form = tf.VerificationForm(request.POST)
    return _submit(request, pk, form, "verification_form", lambda d: services.verification_update(
        request.user, pk, item, d, version=d.pop("version"), **_common(request)),
        _("Verification updated."))


@login_required
@require_POST
def evidence_post(request, pk: int):
    form = tf.EvidenceForm(request.POST)
    return _submit(request, pk, form, "evidence_form", lambda d: services.evidence_add(
        request.user, pk, d, **_common(request)), _("Evidence added."))


@login_required
@require_POST
def decision_post(request, pk: int):
    form = tf.DecisionForm(request.POST)
    return _submit(request, pk, form, "decision_form", lambda d: services.identification_decide(
        request.user, pk, d, version=d.pop("version"), **_common(request)), _("Status recorded."))


@login_required
@require_POST
def route_post(request, pk: int):
    form = tf.RouteForm(request.POST)
    return _submit(request, pk, form, "route_form", lambda d: services.route_save(
        request.user, pk, d, version=d.pop("version"), **_common(request)), _("Route saved."))


def _offered(request, pk: int) -> list[str]:
    pk = services._safe_id(pk)  # a huge id in the URL must not reach the database
    case = Case.objects.visible_to(request.user).filter(pk=pk).first() if pk else None
    return services.trafficking_regimes_offered(case) if case and case.is_trafficking else []


@login_required
@require_POST
def support_post(request, pk: int):
    form = tf.SupportForm(request.POST, offered=_offered(request, pk))
    return _submit(request, pk, form, "support_form", lambda d: services.support_give(
        request.user, pk, {k: v for k, v in d.items() if k != "version"}, **_common(request)),
        _("Support recorded."))


@login_required
def support_edit(request, pk: int, item: int):
    """Correct one support record on its own page (the version guards against overwrites)."""
    case = _case_or_404(request, pk)
    item_id = services._safe_id(item)
    support = SupportGiven.objects.filter(case=case, pk=item_id).first() if item_id else None
    if support is None:
        raise Http404
    offered = services.trafficking_regimes_offered(case)
    status = 200
    if request.method == "POST":
        form = tf.SupportForm(request.POST, offered=offered)
        status = 400
        if form.is_valid():
            data = tf.form_data(form)
            try:
                services.support_update(request.user, pk, item, data, version=data.pop("version"),
                                        **_common(request))
            except CaseNotFound:
                raise Http404 from None
            except CaseForbidden:
                raise PermissionDenied from None
            except CaseInvalid as exc:
                _apply_errors(form, exc.errors)
            except CaseConflict as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                messages.success(request, _("Support record updated."))
                return redirect("case_trafficking", pk)
    else:
        form = tf.SupportForm(offered=offered, initial=_initial(support, [
            "regime", "beneficiary", "given_by", "given_by_text", "date", "start", "end", "amount",
            "notes"]))
    return render(request, "trafficking/support_edit.html",
                  {"case": case, "support": support, "form": form}, status=status)


@login_required
@require_POST
def shelter_post(request, pk: int):
    form = tf.ShelterForm(request.POST)
    return _submit(request, pk, form, "shelter_form", lambda d: services.shelter_start(
        request.user, pk, d, **_common(request)), _("Shelter stay started."))


@login_required
@require_POST
def shelter_extend_post(request, pk: int, item: int):
    form = tf.ShelterExtendForm(request.POST)
    return _submit(request, pk, form, "shelter_extend_form", lambda d: services.shelter_extend(
        request.user, pk, item, d["extended_until"], d["extension_reason"], version=d["version"],
        **_common(request)), _("Shelter stay extended."))


@login_required
@require_POST
def shelter_end_post(request, pk: int, item: int):
    form = tf.ShelterEndForm(request.POST)
    return _submit(request, pk, form, "shelter_end_form", lambda d: services.shelter_end(
        request.user, pk, item, d["end"], version=d["version"], **_common(request)),
        _("Shelter stay ended."))


@login_required
@require_POST
def followup_post(request, pk: int):
    form = tf.FollowUpForm(request.POST)
    return _submit(request, pk, form, "followup_form", lambda d: services.followup_add(
        request.user, pk, d, **_common(request)), _("Follow-up recorded."))


@login_required
@require_POST
def reintegration_post(request, pk: int):
    form = tf.StageForm(request.POST)
    return _submit(request, pk, form, "stage_form", lambda d: services.reintegration_start(
        request.user, pk, version=d["version"], **_common(request)), _("Reintegration started."))


@login_required
@require_POST
def close_post(request, pk: int):
    form = tf.StageForm(request.POST)
    return _submit(request, pk, form, "stage_form", lambda d: services.trafficking_close(
        request.user, pk, d["reason"], version=d["version"], **_common(request)), _("Case closed."))
