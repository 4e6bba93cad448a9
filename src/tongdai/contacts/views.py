"""The counsellor's web pages: home, intake (with autosave), contact list and detail.

Every read and write of a contact goes through ``contacts.services``; these views only
turn requests into service calls and service results into pages. A contact outside the
user's reach is a 404, never a 403: the page must not reveal that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tongdai.accounts.roles import NATIONAL_ROLES, Perm
from tongdai.audit.models import Action, AuditEvent
from tongdai.audit.services import audit_record
from tongdai.contacts.export import contact_export_csv
from tongdai.contacts.forms import ContactFilterForm, IntakeForms, intake_forms_for
from tongdai.contacts.models import Contact, Status
from tongdai.contacts.services import (
    ContactConflict,
    ContactFilter,
    ContactForbidden,
    ContactInvalid,
    ContactNotFound,
    HistoryItem,
    audit_list,
    caller_history,
    contact_create,
    contact_get_for,
    contact_list_page,
    contact_update,
)
from tongdai.core.ids import MAX_ID as MAX_PK
from tongdai.core.phones import InvalidPhone, looks_like_phone, normalize_phone
from tongdai.geo.models import Commune, Province

#: Times a lenient draft save retries without the fields the service refused.
DRAFT_RETRIES = 4
HOME_RECENT = 10


def _require(user, perm: Perm) -> None:
    if not user.can(perm):
        raise PermissionDenied


def _contact_or_404(request, pk: int) -> Contact:
    try:
        return contact_get_for(request.user, pk, request=request)
    except ContactNotFound:
        raise Http404 from None


# --------------------------------------------------------------------------- home


@login_required
def home(request):
    """Start of a shift: a big "new contact" button, my drafts, the centre's latest."""
    user = request.user
    if user.can(Perm.REFERRAL_RECEIVE):
        return redirect("portal_inbox")  # partners work from the referrals made to them
    if not user.can(Perm.CONTACT_VIEW):
        return render(request, "contacts/home_later.html", {"nav": "home"})
    drafts = list(Contact.objects.drafts_of(user).select_related("kind")[:20])
    recent, _more = contact_list_page(user, ContactFilter(), 1, HOME_RECENT)
    shown = list({c.pk: c for c in [*drafts, *recent]}.values())
    audit_list(user, shown, ContactFilter(), request=request)
    return render(request, "contacts/home.html", {
        "nav": "home", "drafts": drafts, "recent": recent,
        "can_create": user.can(Perm.CONTACT_CREATE) and bool(user.centre_id),
    })


# --------------------------------------------------------------------------- intake


@login_required
def contact_new(request):
    user = request.user
    if not user.can(Perm.CONTACT_CREATE) or not user.centre_id:
        raise PermissionDenied
    if request.method == "POST":
        return _intake_post(request, None)
    return _render_intake(request, IntakeForms(), None)


@login_required
def contact_edit(request, pk: int):
    contact = _contact_or_404(request, pk)
    if not contact.is_editable_by(request.user):
        raise PermissionDenied
    if request.method == "POST":
        return _intake_post(request, contact)
    return _render_intake(request, intake_forms_for(contact), contact)


def _render_intake(request, forms_: IntakeForms, contact: Contact | None, status: int = 200):
    is_draft = contact is None or contact.status == Status.DRAFT
    if contact is None:
        action, autosave_url = reverse("contact_new"), reverse("contact_autosave_new")
    else:
        action = reverse("contact_edit", args=[contact.pk])
        autosave_url = reverse("contact_autosave", args=[contact.pk])
    phone = forms_.caller["phone"]
    if phone.value():  # an opened draft shows the caller's history straight away
        phone.field.widget.attrs["hx-trigger"] = "load, change, keyup changed delay:500ms"
    return render(request, "contacts/intake.html", {
        "nav": "new" if contact is None else "",
        "forms": forms_, "contact": contact, "is_draft": is_draft,
        "form_action": action, "autosave_url": autosave_url if is_draft else "",
    }, status=status)


def _intake_post(request, contact: Contact | None):
    """The form without JavaScript: add a row, save a draft, complete, or save changes."""
    action = request.POST.get("action", "draft")
    forms_ = IntakeForms(request.POST, add_subject=action == "add_subject")
    if action == "add_subject":
        return _render_intake(request, forms_, contact)
    is_draft = contact is None or contact.status == Status.DRAFT
    if action == "draft" and is_draft:
        result = _save_draft(request, forms_, contact.pk if contact else None, _version(request))
        if result.status == 404:
            raise Http404
        if result.status == 403:
            raise PermissionDenied
        if result.contact is None:
            forms_.add_named_error("__all__", result.message)
            return _render_intake(request, forms_, contact, status=result.status)
        messages.success(request, _("Draft saved."))
        return redirect("contact_edit", result.contact.pk)
    return _save_strict(request, forms_, contact, complete=is_draft)


def _save_strict(request, forms_: IntakeForms, contact: Contact | None, *, complete: bool):
    """All or nothing: complete a new contact or a draft, or correct a completed one."""
    data, errors = forms_.to_data()
    if errors:
        forms_.apply_errors(errors)
        return _render_intake(request, forms_, contact, status=400)
    if complete:
        data["status"] = Status.COMPLETED
    try:
        if contact is None:
            saved = contact_create(request.user, data, request=request)
        else:
            saved = contact_update(request.user, contact.pk, data, version=_version(request),
                                   request=request)
    except ContactInvalid as exc:
        forms_.apply_errors(exc.errors)
        return _render_intake(request, forms_, contact, status=400)
    except ContactConflict as exc:
        forms_.add_named_error("__all__", str(exc))
        return _render_intake(request, forms_, contact, status=409)
    except ContactNotFound:
        raise Http404 from None
    except ContactForbidden:
        raise PermissionDenied from None
    if complete:
        messages.success(request, _("Contact %(ref)s recorded.") % {"ref": saved.reference})
    else:
        messages.success(request, _("Changes to %(ref)s saved.") % {"ref": saved.reference})
    return redirect("contact_detail", saved.pk)


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@dataclass
class DraftResult:
    contact: Contact | None = None
    errors: dict[str, str] = field(default_factory=dict)  # by HTML field name
    status: int = 200
    message: str = ""


def _save_draft(request, forms_: IntakeForms, contact_id: int | None,
                version: int | None) -> DraftResult:
    """Keep whatever was typed. Fields the service refuses are left out of the saved
    values (and retried without), but the raw screen, invalid values included, is always
    stored in ``draft_form`` so reopening the draft shows exactly what was typed."""
    data, errors = forms_.to_data()
    payload = data
    for _attempt in range(DRAFT_RETRIES + 1):
        snapshot = forms_.snapshot(request.POST, forms_.names_of(errors))
        try:
            contact = _write_draft(request, payload, contact_id, version, snapshot)
        except ContactInvalid as exc:
            new = {path: msg for path, msg in exc.errors.items() if path not in errors}
            errors.update(exc.errors)
            if not new or not all(_drop(payload, path) for path in new):
                break
            continue
        except ContactConflict as exc:
            return DraftResult(status=409, message=str(exc))
        except ContactNotFound:
            return DraftResult(status=404, message=_("Not found."))
        except ContactForbidden as exc:
            return DraftResult(status=403, message=str(exc))
        forms_.apply_errors(errors)
        return DraftResult(contact=contact, errors=forms_.errors_by_name())
    forms_.apply_errors(errors)
    return DraftResult(status=400, errors=forms_.errors_by_name(),
                       message=_("The draft could not be saved. Check the marked fields."))


def _write_draft(request, payload, contact_id, version, snapshot) -> Contact:
    if contact_id is None:
        return contact_create(request.user, {**payload, "status": Status.DRAFT},
                              request=request, draft_form=snapshot)
    return contact_update(request.user, contact_id, payload, version=version,
                          request=request, draft_form=snapshot)


def _drop(payload: dict[str, Any], path: str) -> bool:
    """Remove the value at a service error path; False if the path names nothing we sent."""
    parts = path.split(".")
    try:
        if len(parts) == 1 and parts[0] in payload:
            del payload[parts[0]]
        elif len(parts) == 2 and parts[0] == "caller":
            payload["caller"].pop(parts[1], None)
        elif len(parts) == 3 and parts[0] == "subjects":
            payload["subjects"][int(parts[1])].pop(parts[2], None)
        else:
            return False
    except (KeyError, IndexError, ValueError, AttributeError):
        return False
    return True


@require_POST
def contact_autosave(request, pk: int | None = None):
    """Save the intake screen as a draft, as the counsellor types (see static js/intake.js).

    Answers JSON: the draft's id, version and URLs, a status line, and field errors.
    """
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"message": _("Your session has ended. Sign in again in another tab; "
                                          "this page keeps what you typed.")}, status=401)
    if pk is None:
        if not user.can(Perm.CONTACT_CREATE) or not user.centre_id:
            return JsonResponse({"message": _("Your role cannot record contacts.")}, status=403)
    else:
        refused = _autosave_refusal(request, pk)
        if refused is not None:
            return refused
    result = _save_draft(request, IntakeForms(request.POST), pk, _version(request))
    if result.contact is None:
        return JsonResponse({"message": result.message, "errors": result.errors},
                            status=result.status)
    contact = result.contact
    saved_at = timezone.localtime(contact.updated_at).strftime("%H:%M")
    return JsonResponse({
        "id": contact.pk, "version": contact.version, "reference": contact.reference,
        "edit_url": reverse("contact_edit", args=[contact.pk]),
        "autosave_url": reverse("contact_autosave", args=[contact.pk]),
        "saved_at": saved_at, "message": _("Saved at %(time)s") % {"time": saved_at},
        "errors": result.errors,
    })


def _autosave_refusal(request, pk: int) -> JsonResponse | None:
    """Only a draft within reach is saved automatically; completed contacts are corrected
    with an explicit save, never field by field."""
    status = None
    if pk <= MAX_PK:
        status = (Contact.objects.visible_to(request.user).filter(pk=pk)
                  .values_list("status", flat=True).first())
    if status is None:
        audit_record(request.user, Action.DENIED, object_type="contact",
                     object_id=pk if pk <= MAX_PK else None, request=request, via="ui",
                     detail={"attempt": "autosave"})
        return JsonResponse({"message": _("Not found.")}, status=404)
    if status != Status.DRAFT:
        return JsonResponse({"message": _("This contact is completed: use Save changes.")},
                            status=409)
    return None


@login_required
@require_GET
def caller_history_partial(request):
    """Earlier contacts from the number being typed, within the user's reach."""
    phone = request.GET.get("caller-phone", "")[:40].strip()
    rows: list[HistoryItem] = []
    if looks_like_phone(phone) and request.user.can(Perm.CONTACT_VIEW):
        exclude = request.GET.get("contact_id", "")
        exclude_id = int(exclude) if exclude.isdigit() and int(exclude) <= MAX_PK else None
        rows = caller_history(request.user, phone, exclude_id=exclude_id, request=request)
    return render(request, "contacts/_caller_history.html",
                  {"rows": rows, "phone": phone if _dialable(phone) else ""})


def _dialable(phone: str) -> bool:
    try:
        normalize_phone(phone)
    except InvalidPhone:
        return False
    return True


@login_required
@require_GET
def geo_communes(request, code: str):
    """Communes of one province for the intake type-ahead (reference data, not personal)."""
    if not Province.objects.filter(pk=code[:2]).exists() or len(code) > 2:
        return JsonResponse({"message": _("Unknown province code %(code)s.") % {"code": code[:10]}},
                            status=404)
    rows = Commune.objects.filter(province_id=code).order_by("name_folded").values_list("code", "name")
    response = JsonResponse({"province": code,
                             "communes": [{"code": c, "name": n} for c, n in rows]})
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --------------------------------------------------------------------------- list and detail

#: Service filter errors -> the list form's field.
FILTER_ERROR_FIELDS = {"phone": "q", "to": "date_to"}


@login_required
@require_GET
def contact_list(request):
    user = request.user
    _require(user, Perm.CONTACT_VIEW)
    show_centre = user.role in NATIONAL_ROLES
    params = request.GET.copy()
    form = ContactFilterForm(params, show_centre=show_centre)
    rows: list[Contact] = []
    has_next, page, status = False, 1, 200
    if form.is_valid():
        flt = form.to_filter()
        page = form.cleaned_data.get("page") or 1
        try:
            rows, has_next = contact_list_page(user, flt, page, settings.CONTACT_PAGE_SIZE)
        except ContactInvalid as exc:
            for key, message in exc.errors.items():
                name = FILTER_ERROR_FIELDS.get(key, key)
                form.add_error(name if name in form.fields else None, message)
            status = 400
        else:
            audit_list(user, rows, flt, request=request, page=page)
    else:
        status = 400
    partial = request.htmx and not request.htmx.history_restore_request
    template = "contacts/_results.html" if partial else "contacts/list.html"
    return render(request, template, {
        "nav": "list", "form": form, "rows": rows, "page": page, "has_next": has_next,
        "show_centre": show_centre, "filtered": any(v for k, v in params.items() if k != "page"),
    }, status=status)


@login_required
@require_GET
def contact_export(request):
    """The filtered list as CSV without direct identifiers (see ``contacts.export``)."""
    user = request.user
    _require(user, Perm.CONTACT_EXPORT)
    form = ContactFilterForm(request.GET.copy(), show_centre=user.role in NATIONAL_ROLES)
    if not form.is_valid():
        return _export_refused(request, form.errors.as_text())
    try:
        text = contact_export_csv(user, form.to_filter(), request=request)
    except ContactInvalid as exc:
        return _export_refused(request, " ".join(exc.errors.values()))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tongdai-cuoc-goi-{stamp}.csv"'
    return response


def _export_refused(request, detail: str):
    message = _("The export could not be made: check the filters.") + " " + detail
    return render(request, "error.html", {"status": 400, "message": message}, status=400)


#: Audit actions as a person reads them on the contact page.
ACTION_LABELS = {
    Action.CREATE: gettext_lazy("created"), Action.UPDATE: gettext_lazy("changed"),
    Action.COMPLETE: gettext_lazy("completed"), Action.VIEW: gettext_lazy("opened"),
    Action.DENIED: gettext_lazy("was refused"), Action.EXPORT: gettext_lazy("exported"),
}


@login_required
@require_GET
def contact_detail(request, pk: int):
    contact = _contact_or_404(request, pk)
    user = request.user
    trail = None
    if user.can(Perm.CONTACT_VIEW_AUDIT):
        trail = list(AuditEvent.objects.filter(object_type="contact", object_id=contact.pk)
                     .order_by("-at", "-id")[:500])
        for event in trail:
            event.label = ACTION_LABELS.get(event.action, event.action)
    return render(request, "contacts/detail.html", {
        "contact": contact, "trail": trail,
        "subjects": list(contact.subjects.select_related("province", "commune", "country")),
        "topics": list(contact.topics.select_related("parent")),
        "can_edit": contact.is_editable_by(user),
    })
