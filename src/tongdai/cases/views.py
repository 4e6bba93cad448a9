"""Case pages: the list, the case page with its small forms, and opening a case from a
contact. Every read and write goes through ``cases.services``; these views only turn
requests into service calls. A case outside the user's reach is a 404, never a 403.

The forms work without JavaScript: each POST either redirects back to the case page
(POST/redirect/GET) or shows the case page again with the refused form and a 4xx status.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tongdai.accounts.roles import NATIONAL_ROLES, Perm
from tongdai.cases.forms import (
    AssignForm,
    CaseFilterForm,
    CaseLinkForm,
    CaseOpenForm,
    CloseForm,
    NoteForm,
    PersonForm,
    RestrictForm,
)
from tongdai.cases.models import Case, CaseType, PersonRole
from tongdai.cases.services import (
    CaseConflict,
    CaseForbidden,
    CaseInvalid,
    CaseNotFound,
    case_add_note,
    case_assign_manager,
    case_audit_list,
    case_close,
    case_get_for,
    case_id_by_number,
    case_link_contact,
    case_list_page,
    case_open,
    case_person_add,
    case_restrict,
)

#: Stage codes as people read them. Workflow modules may add stages; an unknown code is
#: shown as it is.
STAGE_LABELS = {
    "intake": gettext_lazy("Intake"), "reception": gettext_lazy("Reception"),
    "open": gettext_lazy("Open"), "closed": gettext_lazy("Closed"),
}
TIMELINE_LIMIT = 300


def _case_or_404(request, pk) -> Case:
    try:
        return case_get_for(request.user, pk, request=request)
    except CaseNotFound:
        raise Http404 from None


# --------------------------------------------------------------------------- list


@login_required
@require_GET
def case_list(request):
    user = request.user
    if not user.can(Perm.CASE_VIEW):
        raise PermissionDenied
    show_centre = user.role in NATIONAL_ROLES
    form = CaseFilterForm(request.GET.copy(), show_centre=show_centre)
    rows: list[Case] = []
    has_next, page, status = False, 1, 200
    if form.is_valid():
        flt = form.to_filter()
        page = form.cleaned_data.get("page") or 1
        try:
            rows, has_next = case_list_page(user, flt, page, settings.CONTACT_PAGE_SIZE)
        except CaseInvalid as exc:
            for key, message in exc.errors.items():
                form.add_error(key if key in form.fields else None, message)
            status = 400
        else:
            case_audit_list(user, rows, flt, request=request, page=page)
    else:
        status = 400
    for case in rows:
        case.stage_label = STAGE_LABELS.get(case.stage, case.stage)
    return render(request, "cases/list.html", {
        "nav": "cases", "form": form, "rows": rows, "page": page, "has_next": has_next,
        "show_centre": show_centre,
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
    }, status=status)


# --------------------------------------------------------------------------- detail


@login_required
@require_GET
def case_detail(request, pk: int):
    return _render_detail(request, _case_or_404(request, pk))


def _render_detail(request, case: Case, status: int = 200, **forms_):
    """The case page; ``forms_`` replaces a blank form with a refused one (errors shown)."""
    user = request.user
    can_access = user.can(Perm.CASE_ACCESS)
    can_open = user.can(Perm.CASE_OPEN) and case.is_open
    can_edit = user.can(Perm.CASE_EDIT) and case.is_open
    events = list(case.events.select_related("actor")[:TIMELINE_LIMIT])
    for event in events:
        event.role_label = PersonRole(event.data["role"]).label if event.data.get("role") in PersonRole.values else ""
    context = {
        "nav": "cases", "case": case, "events": events,
        "stage_label": STAGE_LABELS.get(case.stage, case.stage),
        "people": list(case.people.select_related("province", "commune", "country")),
        "contacts": list(case.contacts.order_by("received_at", "id")),
        "named": list(case.access.select_related("user").order_by("user__full_name")),
        "is_child_protection": case.type == CaseType.CHILD_PROTECTION,
        "can_open": can_open, "can_edit": can_edit, "can_access": can_access,
        "note_form": forms_.get("note_form") or (NoteForm() if user.can(Perm.CASE_OPEN) else None),
        "person_form": forms_.get("person_form") or (PersonForm() if can_open else None),
        "assign_form": forms_.get("assign_form") or (AssignForm(case=case) if can_access and case.is_open else None),
        "restrict_form": forms_.get("restrict_form") or (RestrictForm(case=case) if can_access else None),
        "close_form": forms_.get("close_form") or (CloseForm(initial={"version": case.version}) if can_edit else None),
    }
    return render(request, "cases/detail.html", context, status=status)


def _refused(request, pk, form, name: str, exc: Exception):
    """Show the case page again with ``form`` carrying the service's refusal."""
    if isinstance(exc, CaseNotFound):
        raise Http404
    if isinstance(exc, CaseForbidden):
        raise PermissionDenied
    if isinstance(exc, CaseInvalid):
        for key, message in exc.errors.items():
            form.add_error(key if key in form.fields else None, message)
        status = 400
    else:
        form.add_error(None, str(exc))
        status = 409
    return _render_detail(request, _case_or_404(request, pk), status=status, **{name: form})


def _invalid(request, pk, form, name: str):
    return _render_detail(request, _case_or_404(request, pk), status=400, **{name: form})


#: What a case service may refuse with; ``_refused`` turns each into the right answer.
CASE_REFUSALS = (CaseInvalid, CaseNotFound, CaseForbidden, CaseConflict)


def _act(request, pk: int, form, name: str, run, success: str, then=None):
    """One case-page form: validate ``form``, call the service (``run(cleaned_data)``),
    say ``success`` and go back to the case (or to ``then(result)``). A refusal shows the
    case page again with the form and the service's message."""
    if not form.is_valid():
        return _invalid(request, pk, form, name)
    try:
        result = run(form.cleaned_data)
    except CASE_REFUSALS as exc:
        return _refused(request, pk, form, name, exc)
    messages.success(request, success)
    return then(result) if then else redirect("case_detail", pk)


@login_required
@require_POST
def case_note(request, pk: int):
    return _act(request, pk, NoteForm(request.POST), "note_form",
                lambda d: case_add_note(request.user, pk, d["text"], request=request),
                _("Note added."))


@login_required
@require_POST
def case_person(request, pk: int):
    return _act(request, pk, PersonForm(request.POST), "person_form",
                lambda d: case_person_add(request.user, pk, d, request=request),
                _("Person added."))


@login_required
@require_POST
def case_assign(request, pk: int):
    form = AssignForm(request.POST, case=_case_or_404(request, pk))
    return _act(request, pk, form, "assign_form",
                lambda d: case_assign_manager(request.user, pk, d["case_manager"], request=request),
                _("Case manager changed."))


@login_required
@require_POST
def case_access(request, pk: int):
    form = RestrictForm(request.POST, case=_case_or_404(request, pk))

    def then(case):  # named others, not yourself: the page is gone for you
        return redirect("case_detail", pk) if case.is_visible_to(request.user) else redirect("case_list")

    return _act(request, pk, form, "restrict_form",
                lambda d: case_restrict(request.user, pk, d["users"], request=request),
                _("Access to the case changed."), then=then)


@login_required
@require_POST
def case_close_view(request, pk: int):
    return _act(request, pk, CloseForm(request.POST), "close_form",
                lambda d: case_close(request.user, pk, d["reason"], version=d["version"],
                                     request=request),
                _("Case closed."))


# --------------------------------------------------------------------------- from a contact


@login_required
@require_POST
def case_open_view(request):
    """Open a case from the contact page; refusals go back to that page as a message."""
    form = CaseOpenForm(request.POST)
    if not request.user.can(Perm.CASE_OPEN):
        raise PermissionDenied
    if not form.is_valid():
        return _back_to_contact(request, form, status=400)
    try:
        case = case_open(request.user, [form.cleaned_data["contact"]], form.cleaned_data["type"],
                         title=form.cleaned_data["title"], request=request)
    except CaseForbidden:
        raise PermissionDenied from None
    except CaseInvalid as exc:
        return _back_to_contact(request, form, status=400, errors=exc.errors)
    messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
    return redirect("case_detail", case.pk)


@login_required
@require_POST
def case_link_view(request):
    """Link the contact to an existing case by its number."""
    form = CaseLinkForm(request.POST)
    if not request.user.can(Perm.CASE_OPEN):
        raise PermissionDenied
    if not form.is_valid():
        return _back_to_contact(request, form, status=400)
    case_id = case_id_by_number(request.user, form.cleaned_data["number"])
    try:
        case = case_link_contact(request.user, case_id, form.cleaned_data["contact"], request=request)
    except CaseNotFound:
        return _back_to_contact(request, form, status=404,
                                errors={"number": _("No open case with this number within your reach.")})
    except CaseForbidden:
        raise PermissionDenied from None
    except CaseInvalid as exc:
        return _back_to_contact(request, form, status=400, errors=exc.errors)
    messages.success(request, _("Contact linked to case %(number)s.") % {"number": case.number})
    return redirect("case_detail", case.pk)


def _back_to_contact(request, form, *, status: int, errors: dict[str, str] | None = None):
    """A refused open/link form: a small page that says why and links back to the contact
    (the contact page itself belongs to the contacts app)."""
    contact_id = getattr(form, "cleaned_data", {}).get("contact")
    for key, message in (errors or {}).items():
        form.add_error(key if key in form.fields else None, message)
    return render(request, "cases/open.html", {"form": form, "contact_id": contact_id},
                  status=status)
