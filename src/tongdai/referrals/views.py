"""Web pages of the referral network: the case's referrals page (hotline), the agencies
directory, and the partner portal (inbox and referral detail with its buttons).

Every read starts from ``Referral.objects.visible_to`` (through the services) and every
write is a service call; a referral or case outside the user's reach is a 404. Pages work
without JavaScript: plain forms, POST then redirect.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongdai.accounts.models import AgencyType
from tongdai.accounts.roles import Perm
from tongdai.cases.services import CaseForbidden, CaseInvalid, CaseNotFound, case_get_for
from tongdai.documents.forms import AttachmentForm
from tongdai.documents.services import (
    AttachmentInvalid,
    attachment_list,
    referral_attachment_add,
    referral_attachment_share,
    referral_attachments,
)
from tongdai.geo.models import Province
from tongdai.referrals.models import Outcome, ReferralStatus, Service, ShareField
from tongdai.referrals.services import (
    INBOX_BOXES,
    SEND_PERM,
    AgencyFilter,
    ReferralConflict,
    ReferralForbidden,
    ReferralInvalid,
    ReferralNotFound,
    _child,
    agency_search,
    audit_list,
    directory_allowed,
    referral_get_for,
    referral_list,
    referral_message,
    referral_note,
    referral_preview,
    referral_send,
    referral_step,
    referrals_of_case,
    share_values,
)

DIRECTORY_LIMIT = 100
REFUSALS = (ReferralInvalid, ReferralConflict, ReferralForbidden)


def _refusal_message(exc: Exception) -> str:
    if isinstance(exc, (ReferralInvalid, CaseInvalid)):
        return " ".join(exc.errors.values())
    return str(exc) or _("You do not have access to this page.")


def _filter_from(params, default_province: str = "") -> AgencyFilter:
    return AgencyFilter(province=params.get("province", default_province)[:2],
                        type=params.get("type", "")[:30], service=params.get("service", "")[:30],
                        q=params.get("q", "")[:100])


def _directory(flt: AgencyFilter) -> tuple[list, dict]:
    try:
        return list(agency_search(flt)[:DIRECTORY_LIMIT]), {}
    except ReferralInvalid as exc:
        return [], exc.errors


def _choices() -> dict:
    return {"services": Service.choices, "types": AgencyType.choices,
            "provinces": list(Province.objects.order_by("code").values_list("code", "name"))}


# --------------------------------------------------------------------------- directory


@login_required
def agency_directory(request):
    """Agencies by place, type and service: for a counsellor on a call."""
    if not directory_allowed(request.user):
        raise PermissionDenied
    flt = _filter_from(request.GET)
    agencies, errors = _directory(flt)
    return render(request, "referrals/agencies.html", {
        "nav": "agencies", "flt": flt, "agencies": agencies, "errors": errors, **_choices()})


# --------------------------------------------------------------------------- hotline


def _case_or_404(request, case_id):
    try:
        return case_get_for(request.user, case_id, request=request)
    except CaseNotFound:
        raise Http404 from None


@login_required
def case_referrals(request, pk: int):
    """The referrals of a case, and the form to send a new one (with its preview)."""
    case = _case_or_404(request, pk)
    form, preview, errors, status = {}, None, {}, 200
    if request.method == "POST":
        form = _send_data(request.POST)
        if request.POST.get("action") == "send":
            try:
                referral_send(request.user, case.pk, form, request=request)
            except ReferralNotFound:
                raise Http404 from None
            except REFUSALS as exc:
                errors = getattr(exc, "errors", {"form": _refusal_message(exc)})
                status = 400
            else:
                messages.success(request, _("Referral sent."))
                return redirect("case_referrals", case.pk)
        preview = referral_preview(case, [s for s in form["share"] if s in ShareField.values])
        labels = dict(ShareField.choices)
        preview["rows"] = [(code, labels[code], value) for code, value in preview["fields"].items()]
    return render(request, "referrals/case_referrals.html", _case_context(request, case, form, preview, errors),
                  status=status)


def _case_context(request, case, form, preview, errors) -> dict:
    child = _child(case)
    flt = _filter_from(request.GET, child.province_id if child and child.province_id else "")
    agencies, search_errors = _directory(flt)
    values = share_values(case)
    referrals = referrals_of_case(request.user, case)
    audit_list(request.user, referrals, request=request)
    for referral in referrals:
        referral.files = referral_attachments(request.user, referral)
    _case, case_files = attachment_list(request.user, case.pk, request=request)
    return {
        "nav": "cases", "case": case, "referrals": referrals, "agencies": agencies, "flt": flt,
        "search_errors": search_errors, "form": form, "preview": preview, "errors": errors,
        "share_options": [(code, label, values.get(code)) for code, label in ShareField.choices],
        "can_send": request.user.can(SEND_PERM) and case.is_open, "child": child,
        "outcomes": Outcome.choices, "case_files": case_files, **_choices(),
    }


def _send_data(post) -> dict:
    return {
        "agency": post.get("agency"), "reason": post.get("reason", ""),
        "urgent": post.get("urgent") == "on",
        "consent": {"child": post.get("consent_child") == "on",
                    "representative": post.get("consent_representative") == "on",
                    "child_age": post.get("child_age") or None,
                    "emergency_exemption": post.get("emergency_exemption") == "on",
                    "reason": post.get("emergency_reason", "")},
        "share": post.getlist("share"),
    }


@login_required
@require_POST
def case_referral_action(request, pk: int, rid: int, action: str):
    """Revoke, close or message a referral from the hotline side."""
    try:
        if action == "share-file":
            _share_file(request, rid)
        elif action == "message":
            referral_message(request.user, rid, request.POST.get("text", ""), request=request)
        elif action in ("revoke", "close"):
            referral_step(request.user, rid, action, version=request.POST.get("version"),
                          reason=request.POST.get("reason", ""), request=request)
        else:
            raise Http404
    except ReferralNotFound:
        raise Http404 from None
    except REFUSALS as exc:
        messages.error(request, _refusal_message(exc))
    return redirect(reverse("case_referrals", args=[pk]) + f"#referral-{rid}")


def _share_file(request, rid: int) -> None:
    """Share one case attachment with the referral's agency (errors become messages)."""
    try:
        referral_attachment_share(request.user, rid, request.POST.get("attachment"),
                                  request=request)
    except CaseNotFound:
        raise Http404 from None
    except (CaseInvalid, CaseForbidden) as exc:
        messages.error(request, _refusal_message(exc))
    else:
        messages.success(request, _("The file was shared with the partner."))


# --------------------------------------------------------------------------- portal


def _require_partner(user) -> None:
    if not user.can(Perm.REFERRAL_RECEIVE):
        raise PermissionDenied


@login_required
def portal_inbox(request):
    """What was referred to my agency or commune: new, open or closed."""
    _require_partner(request.user)
    box = request.GET.get("box", "new")
    if box not in INBOX_BOXES:
        box = "new"
    rows = list(referral_list(request.user, box=box)[:200])
    audit_list(request.user, rows, request=request)
    counts = {name: referral_list(request.user, box=name).count() for name in INBOX_BOXES}
    return render(request, "portal/inbox.html", {"nav": "portal", "box": box, "rows": rows,
                                                 "counts": counts})


@login_required
def portal_referral(request, pk: int, *, form=None, status: int = 200):
    """One referral: only the snapshot, reason, urgency, steps, messages, notes and the
    files of the referral (the partner's uploads and those the hotline shared)."""
    _require_partner(request.user)
    try:
        referral = referral_get_for(request.user, pk, request=request)
    except ReferralNotFound:
        raise Http404 from None
    return render(request, "portal/referral.html", {
        "files": referral_attachments(request.user, referral), "upload_form": form or AttachmentForm(),
        "can_upload": referral.status not in (ReferralStatus.REVOKED, ReferralStatus.CLOSED),
        "max_upload_mb": settings.MAX_UPLOAD_MB,
        "nav": "portal", "r": referral, "fields": _snapshot_rows(referral.snapshot),
        "outcomes": Outcome.choices, "steps": referral.steps.all(),
        "messages_list": referral.messages.all(), "notes": referral.notes.all(),
        "can_assess": referral.agency.type == AgencyType.COMMUNE_COMMITTEE
        and referral.status in ASSESSABLE}, status=status)


@login_required
@require_POST
def portal_referral_upload(request, pk: int):
    """The partner's upload form (multipart, no JavaScript); errors re-show the page."""
    _require_partner(request.user)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return portal_referral(request, pk, form=form, status=400)
    data = form.cleaned_data
    try:
        referral_attachment_add(request.user, pk, data.get("file"), data["kind"],
                                data.get("description", ""), request=request)
    except CaseNotFound:
        raise Http404 from None
    except CaseInvalid as exc:
        for key, message in exc.errors.items():
            form.add_error(key if key in form.fields else None, message)
        return portal_referral(request, pk, form=form,
                               status=exc.status if isinstance(exc, AttachmentInvalid) else 400)
    messages.success(request, _("The file was added to the referral."))
    return redirect("portal_referral", pk)


def _snapshot_rows(snapshot: dict) -> list[tuple[str, object]]:
    labels = dict(ShareField.choices)
    return [(labels.get(code, code), value) for code, value in snapshot.get("fields", {}).items()]


#: Statuses in which a commune worker may record Form 02 through the referral.
ASSESSABLE = frozenset({ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACCEPTED,
                        ReferralStatus.IN_PROGRESS})
PORTAL_ACTIONS = {"acknowledge", "accept", "decline", "start", "complete", "note", "message"}


@login_required
@require_POST
def portal_referral_action(request, pk: int, action: str):
    """The partner's buttons; each is one service call, then back to the referral."""
    _require_partner(request.user)
    if action not in PORTAL_ACTIONS:
        raise Http404
    post = request.POST
    try:
        if action == "note":
            referral_note(request.user, pk, post.get("text", ""), request=request)
        elif action == "message":
            referral_message(request.user, pk, post.get("text", ""), request=request)
        else:
            referral_step(request.user, pk, action, version=post.get("version"),
                          reason=post.get("reason", ""), outcome=post.get("outcome", ""),
                          text=post.get("text", ""), request=request)
    except ReferralNotFound:
        raise Http404 from None
    except REFUSALS as exc:
        messages.error(request, _refusal_message(exc))
    else:
        messages.success(request, _("Saved."))
    return redirect("portal_referral", pk)
