"""Domain operations on cases that every workflow shares: open, link, read, search, note,
assign, restrict, close. Workflow steps (Decree 56 child protection, Law 53/2024
trafficking), deadlines and referrals live in their own modules and use
``case_lock_for_edit`` and ``case_event`` from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongdai.accounts.models import User
from tongdai.accounts.roles import CENTRE_ROLES, NONE, Perm, Reach
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.cases.models import (
    Case,
    CaseAccess,
    CaseContact,
    CaseEvent,
    CasePerson,
    CaseSequence,
    CaseStatus,
    CaseType,
    EventKind,
    PersonRole,
    Sensitivity,
    case_reach,
)
from tongdai.contacts.models import Contact
from tongdai.core.ids import safe_id as _safe_id
from tongdai.core.statements import prepared
from tongdai.core.text import fold

NOTE_LIMIT = 20_000


class CaseInvalid(Exception):
    """Input broke a rule; ``errors`` maps a field to a message for a person."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class CaseNotFound(Exception):
    """No case with that id within the user's reach (also when it exists elsewhere)."""


class CaseForbidden(Exception):
    """The user may see the case but not do this to it."""


class CaseConflict(Exception):
    """Someone else saved the case (or the item) since this editor loaded it."""


#: First workflow stage of each case type (the workflow modules define the rest).
FIRST_STAGE = {
    CaseType.CHILD_PROTECTION: "intake",
    CaseType.TRAFFICKING_VICTIM: "reception",
    CaseType.TRAFFICKING_IDENTIFYING: "reception",
    CaseType.TRAFFICKING_FOREIGN: "reception",
    CaseType.MISSING_PERSON: "open",
    CaseType.OTHER: "open",
}




def case_event(case: Case, actor, kind: str, text: str = "", **data: Any) -> CaseEvent:
    """Add a line to the case timeline (``data``: ids and codes only, no personal data)."""
    return CaseEvent.objects.create(case=case, actor=actor if getattr(actor, "pk", None) else None,
                                    kind=kind, text=text, data=data)


def _next_number(centre_id: str, year: int) -> str:
    """``HN-2026-000123``. The sequence row is locked so two counsellors opening cases at
    the same moment never get the same number."""
    for _attempt in range(3):
        seq = CaseSequence.objects.select_for_update().filter(centre_id=centre_id, year=year).first()
        if seq is None:
            try:
                with transaction.atomic():
                    seq = CaseSequence.objects.create(centre_id=centre_id, year=year, last=0)
            except IntegrityError:
                continue  # created by a concurrent opener: lock theirs
            seq = CaseSequence.objects.select_for_update().get(pk=seq.pk)
        seq.last += 1
        seq.save(update_fields=["last"])
        return f"{centre_id}-{year}-{seq.last:06d}"
    raise RuntimeError("could not allocate a case number")


@transaction.atomic
def case_open(actor, contact_ids: list, case_type: str, *, title: str = "", request=None,
              via: str = "ui") -> Case:
    """Open a case from contacts the actor can see. The case belongs to the actor's centre
    (a national administrator opens it in the centre of the first contact); its
    ``received_at`` is the earliest contact's; the contacts' subjects become the case's
    children/victims, and a caller who consented to keep their details its reporter."""
    if not actor.can(Perm.CASE_OPEN):
        raise CaseForbidden(_("Your role cannot open cases."))
    errors: dict[str, str] = {}
    if case_type not in CaseType.values:
        errors["type"] = _("Unknown case type %(type)s.") % {"type": str(case_type)[:40]}
    ids = [_safe_id(i) for i in (contact_ids if isinstance(contact_ids, list) else [None])]
    if not ids or None in ids:
        errors["contacts"] = _("Give one or more contact ids.")
    if errors:
        raise CaseInvalid(errors)
    contacts = list(Contact.objects.visible_to(actor).filter(pk__in=ids).order_by("received_at"))
    if len(contacts) != len(set(ids)):
        raise CaseInvalid({"contacts": _("Unknown contact id(s).")})
    if any(c.is_draft for c in contacts):
        raise CaseInvalid({"contacts": _("Complete the contact before opening a case from it.")})
    centre_id = actor.centre_id if actor.role in CENTRE_ROLES else contacts[0].centre_id
    now = timezone.now()
    case = Case.objects.create(
        number=_next_number(centre_id, timezone.localtime(now).year), centre_id=centre_id,
        type=case_type, stage=FIRST_STAGE[case_type], urgent=any(c.urgent for c in contacts),
        title=(title or "").strip()[:200], opened_by=actor, received_at=contacts[0].received_at,
        opened_at=now, updated_at=now,
        case_manager=actor if actor.can(Perm.CASE_EDIT) and actor.role in CENTRE_ROLES else None,
    )
    case_event(case, actor, EventKind.OPENED, type=case_type)
    for contact in contacts:
        _link(case, contact, actor)
    audit_record(actor, Action.CREATE, obj=case, request=request, via=via,
                 detail={"type": case_type, "contacts": [c.pk for c in contacts]})
    _workflow_opened(case, actor)
    return case


def _workflow_opened(case: Case, actor) -> None:
    """Start the legal clocks of the case's workflow (imported here: the workflow apps
    build on this module, so they cannot be imported at its top)."""
    if case.type == CaseType.CHILD_PROTECTION:
        from tongdai.protection.services import protection_case_opened

        protection_case_opened(case, actor)
    elif case.is_trafficking:
        from tongdai.trafficking.services import trafficking_case_opened

        trafficking_case_opened(case, actor)


def _link(case: Case, contact: Contact, actor) -> None:
    CaseContact.objects.create(case=case, contact=contact, linked_by=actor)
    for subject in contact.subjects.all():
        CasePerson.objects.create(
            case=case, role=PersonRole.CHILD_VICTIM, name=subject.name,
            name_folded=fold(subject.name), sex=subject.sex,
            age=subject.age, age_group=subject.age_group, province_id=subject.province_id,
            commune_id=subject.commune_id, country_id=subject.country_id, subject=subject)
    if contact.caller_consent_keep and not contact.caller_anonymous and contact.caller_name:
        CasePerson.objects.create(case=case, role=PersonRole.REPORTER, name=contact.caller_name,
                                  name_folded=fold(contact.caller_name),
                                  sex=contact.caller_sex, age=contact.caller_age,
                                  province_id=contact.caller_province_id,
                                  commune_id=contact.caller_commune_id)
    if contact.urgent and not case.urgent:
        case.urgent = True
        case.save(update_fields=["urgent"])
    case_event(case, actor, EventKind.CONTACT_LINKED, contact=contact.pk,
               reference=contact.reference)


def case_lock_for_edit(actor, case_id, *, version: int | None = None, perm: Perm = Perm.CASE_EDIT,
                       allow_closed: bool = False) -> Case:
    """The case locked for update inside the caller's transaction, after checking reach,
    permission, that it is open, and (if given) the version the editor loaded.

    Call it inside ``transaction.atomic``; refusals raise and the caller's
    transaction rolls back. Audit the refusal *outside* that transaction (see
    ``audited_refusal``), or it vanishes with the rollback."""
    pk = _safe_id(case_id)
    case = (Case.objects.visible_to(actor).select_for_update(of=("self",))
            .filter(pk=pk).first()) if pk else None
    if case is None:
        raise CaseNotFound()
    if not actor.can(perm):
        raise CaseForbidden(_("Your role cannot do this on a case."))
    if not allow_closed and not case.is_open:
        raise CaseInvalid({"case": _("The case is closed.")})
    if version is not None and version != case.version:
        raise CaseConflict(_("This case was changed by someone else since you opened it. "
                             "Reload to see their changes."))
    return case


def case_touch(case: Case) -> None:
    """Bump the version after a change (optimistic locking) and the change time."""
    case.version += 1
    case.updated_at = timezone.now()
    case.save(update_fields=["version", "updated_at"])


class audited_refusal:  # noqa: N801 - used as a context manager, reads as a phrase
    """Wrap a case operation: a NotFound/Forbidden refusal is audited after the
    operation's transaction rolled back, then re-raised."""

    def __init__(self, actor, case_id, attempt: str, *, request=None, via: str = "ui"):
        self.actor, self.case_id, self.attempt = actor, case_id, attempt
        self.request, self.via = request, via

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, (CaseNotFound, CaseForbidden)):
            audit_record(self.actor, Action.DENIED, object_type="case",
                         object_id=_safe_id(self.case_id), request=self.request, via=self.via,
                         detail={"attempt": self.attempt})
        return False


def case_link_contact(actor, case_id, contact_id, *, request=None, via: str = "ui") -> Case:
    """Link a later contact about the same child to an open case."""
    with audited_refusal(actor, case_id, "link_contact", request=request, via=via), transaction.atomic():
        case = case_lock_for_edit(actor, case_id, perm=Perm.CASE_OPEN)
        contact = Contact.objects.visible_to(actor).filter(pk=_safe_id(contact_id)).first()
        if contact is None:
            raise CaseInvalid({"contact": _("Unknown contact id(s).")})
        if contact.is_draft:
            raise CaseInvalid({"contact": _("Complete the contact before opening a case from it.")})
        if CaseContact.objects.filter(case=case, contact=contact).exists():
            raise CaseInvalid({"contact": _("This contact is already linked to the case.")})
        _link(case, contact, actor)
        case_touch(case)
        audit_record(actor, Action.UPDATE, obj=case, request=request, via=via, fields=["contacts"])
        return case


def case_get_for(actor, case_id, *, request=None, via: str = "ui") -> Case:
    """The case if ``actor`` may open it, audited either way; else ``CaseNotFound``."""
    pk = _safe_id(case_id)
    case = (Case.objects.visible_to(actor).select_related("centre", "case_manager", "opened_by")
            .filter(pk=pk).first()) if pk else None
    if case is None:
        audit_record(actor, Action.DENIED, object_type="case", object_id=pk, request=request,
                     via=via, detail={"attempt": "view"})
        raise CaseNotFound()
    audit_record(actor, Action.VIEW, obj=case, request=request, via=via)
    return case


@dataclass
class CaseFilter:
    q: str = ""  # case number, or a person's name (accents optional)
    status: str = ""
    type: str = ""
    stage: str = ""
    centre: str = ""
    mine: bool = False  # cases I manage
    urgent: bool | None = None


def case_search(actor, flt: CaseFilter):
    """Cases within reach matching ``flt``, newest first; bad filter values → CaseInvalid."""
    _check_filter(flt)
    return _case_query(case_reach(actor), flt, _as_given)


def _as_given(_name: str, value):
    """For ``_case_query``: compare each filter with the value given."""
    return value


def _check_filter(flt: CaseFilter) -> None:
    errors = {}
    if flt.status and flt.status not in CaseStatus.values:
        errors["status"] = _("Unknown status.")
    if flt.type and flt.type not in CaseType.values:
        errors["type"] = _("Unknown case type %(type)s.") % {"type": flt.type[:40]}
    if errors:
        raise CaseInvalid(errors)


#: The filters that compare one column with one value: (filter name, column).
_EQUAL_FILTERS = (("status", "status"), ("type", "type"), ("stage", "stage"), ("centre", "centre_id"))


def _case_query(reach: Reach, flt: CaseFilter, value):
    """The cases of ``reach`` matching ``flt``; ``value(name, given)`` gives the value each
    filter compares with: the given one, or a slot of a prepared statement (``case_list_page``)."""
    qs = Case.objects.within(reach)
    for name, column in _EQUAL_FILTERS:
        if getattr(flt, name):
            qs = qs.filter(**{column: value(name, getattr(flt, name))})
    if flt.mine:
        qs = qs.filter(case_manager_id=reach.user_id)
    if flt.urgent is not None:
        qs = qs.filter(urgent=flt.urgent)
    text = (flt.q or "").strip()
    if text:
        folded = fold(text)
        by_name = Q()
        for term in folded.split()[:8]:
            by_name &= Q(people__name_folded__contains=term) | Q(contacts__search_text__contains=term)
        qs = qs.filter(Q(number__iexact=text) | by_name).distinct()
    return qs


#: Pages of the case list served by a prepared statement (each page is its own statement:
#: the ORM writes LIMIT and OFFSET into the SQL); later pages are built each time.
PREPARED_PAGES = 5
_LIST_COLUMNS = tuple(f.attname for f in Case._meta.concrete_fields)


def case_list_page(actor, flt: CaseFilter, page: int, size: int) -> tuple[list[Case], bool]:
    """One page of the cases within ``actor``'s reach matching ``flt``, newest first, and
    whether another follows (``case_page`` of ``case_search``, with each case's manager).

    The list staff open all day is a prepared statement (``tongdai.core.statements``):
    ``_case_query`` with reach from ``Case.objects.within``, compiled once per reach scope,
    set of filters and page. A name search (``q``, matched with ``contains``) and pages
    after ``PREPARED_PAGES`` are built by the ORM each time; both give the same rows."""
    _check_filter(flt)
    reach = case_reach(actor)
    page = max(1, page)
    if reach.scope == NONE:
        return [], False
    if (flt.q or "").strip() or page > PREPARED_PAGES:
        return case_page(_case_query(reach, flt, _as_given), page, size)
    used = tuple(name for name, _column in _EQUAL_FILTERS if getattr(flt, name))

    def build(slot):
        slotted = Reach(reach.scope, slot.text("reach_centre"), slot.number("user"))
        qs = _case_query(slotted, flt, lambda name, _given: slot.text(name))
        return qs.values_list(*_LIST_COLUMNS, "case_manager__username",
                              "case_manager__full_name")[(page - 1) * size: page * size + 1]

    key = ("case_list", reach.scope, used, bool(flt.mine), flt.urgent, page, size)
    values = {name: getattr(flt, name) for name in used}
    rows = prepared(Case, key, build).rows(reach_centre=reach.centre_id, user=reach.user_id, **values)
    alias = router.db_for_read(Case)
    cases = []
    width = len(_LIST_COLUMNS)
    for row in rows[:size]:
        case = Case.from_db(alias, _LIST_COLUMNS, row[:width])
        if case.case_manager_id:
            case.case_manager = User.from_db(alias, ("id", "username", "full_name"),
                                             (case.case_manager_id, *row[width:]))
        cases.append(case)
    return cases, len(rows) > size


@transaction.atomic
def _note(actor, case_id, text, request, via) -> CaseEvent:
    case = case_lock_for_edit(actor, case_id, perm=Perm.CASE_OPEN, allow_closed=True)
    if not isinstance(text, str) or not text.strip():
        raise CaseInvalid({"text": _("Write the note first.")})
    if "\x00" in text or len(text) > NOTE_LIMIT:
        raise CaseInvalid({"text": _("At most %(limit)d characters.") % {"limit": NOTE_LIMIT}})
    event = case_event(case, actor, EventKind.NOTE, text.strip())
    case_touch(case)
    audit_record(actor, Action.UPDATE, obj=case, request=request, via=via, fields=["note"])
    return event


def case_add_note(actor, case_id, text: str, *, request=None, via: str = "ui") -> CaseEvent:
    """An internal note on the timeline (hotline staff only; never shared with partners)."""
    with audited_refusal(actor, case_id, "note", request=request, via=via):
        return _note(actor, case_id, text, request, via)


def case_assign_manager(actor, case_id, manager_id, *, request=None, via: str = "ui") -> Case:
    """Make a case manager or supervisor of the case's centre responsible for it."""
    with audited_refusal(actor, case_id, "assign", request=request, via=via), transaction.atomic():
        case = case_lock_for_edit(actor, case_id, perm=Perm.CASE_ACCESS)
        manager = User.objects.filter(pk=_safe_id(manager_id), is_active=True,
                                      centre_id=case.centre_id).first()
        if manager is None or not manager.can(Perm.CASE_EDIT):
            raise CaseInvalid({"case_manager": _("Choose an active case manager of this centre.")})
        case.case_manager = manager
        case.save(update_fields=["case_manager"])
        case_touch(case)
        case_event(case, actor, EventKind.ACCESS, manager=manager.pk)
        audit_record(actor, Action.UPDATE, obj=case, request=request, via=via, fields=["case_manager"])
        return case


def case_restrict(actor, case_id, user_ids: list, *, request=None, via: str = "ui") -> Case:
    """Make a case restricted and set who, besides its case manager, may open it.
    An empty list lifts the restriction."""
    with audited_refusal(actor, case_id, "restrict", request=request, via=via), transaction.atomic():
        case = case_lock_for_edit(actor, case_id, perm=Perm.CASE_ACCESS, allow_closed=True)
        ids = {_safe_id(i) for i in user_ids}
        users = list(User.objects.filter(pk__in=ids, is_active=True))
        if None in ids or len(users) != len(ids):
            raise CaseInvalid({"users": _("Unknown user id(s).")})
        if any(u.centre_id != case.centre_id and not u.can(Perm.CASE_ACCESS) for u in users):
            raise CaseInvalid({"users": _("Only staff of this centre can be named.")})
        CaseAccess.objects.filter(case=case).delete()
        CaseAccess.objects.bulk_create([CaseAccess(case=case, user=u, granted_by=actor) for u in users])
        if actor not in users and actor.pk != case.case_manager_id and users:
            CaseAccess.objects.create(case=case, user=actor, granted_by=actor)  # keep your own access
        case.sensitivity = Sensitivity.RESTRICTED if users else Sensitivity.NORMAL
        case.save(update_fields=["sensitivity"])
        case_touch(case)
        case_event(case, actor, EventKind.ACCESS, sensitivity=case.sensitivity,
                   users=sorted(u.pk for u in users))
        audit_record(actor, Action.UPDATE, obj=case, request=request, via=via,
                     fields=["sensitivity", "access"])
        return case


def case_close(actor, case_id, reason: str, *, version: int | None = None, request=None,
               via: str = "ui") -> Case:
    """Close a case with a reason (workflow modules call this from their last step)."""
    with audited_refusal(actor, case_id, "close", request=request, via=via), transaction.atomic():
        case = case_lock_for_edit(actor, case_id, version=version)
        if not isinstance(reason, str) or not reason.strip():
            raise CaseInvalid({"reason": _("Say why the case is closed.")})
        case.status, case.closed_at, case.closure_reason = CaseStatus.CLOSED, timezone.now(), reason.strip()[:5000]
        case.stage = "closed"
        case.save(update_fields=["status", "closed_at", "closure_reason", "stage"])
        case_touch(case)
        case_event(case, actor, EventKind.CLOSED, reason.strip()[:5000])
        audit_record(actor, Action.UPDATE, obj=case, request=request, via=via, fields=["status"])
        return case


# --------------------------------------------------------------------------- pages (casesui)


def case_page(qs, page: int, size: int) -> tuple[list[Case], bool]:
    """One page of ``qs`` and whether another follows. No COUNT(*), like ``contact_page``:
    staff page through cases, they do not count them."""
    page = max(1, page)
    rows = list(qs.select_related("centre", "case_manager")[(page - 1) * size: page * size + 1])
    return rows[:size], len(rows) > size


def case_filters_used(flt: CaseFilter) -> dict[str, Any]:
    """Which filters were set, for the audit trail. The free text may be a name: only
    its presence is recorded."""
    out: dict[str, Any] = {name: getattr(flt, name) for name in ("status", "type", "stage", "centre")
                           if getattr(flt, name)}
    if flt.mine:
        out["mine"] = True
    if flt.urgent is not None:
        out["urgent"] = flt.urgent
    if flt.q:
        out["q"] = True
    return out


def case_audit_list(actor, cases: list[Case], flt: CaseFilter, *, request=None, via: str = "ui",
                    page: int = 1) -> None:
    """Record which cases a list or search showed to ``actor``."""
    action = Action.SEARCH if flt.q else Action.LIST
    audit_record(actor, action, object_type="case", object_ids=[c.pk for c in cases],
                 request=request, via=via, detail={"filters": case_filters_used(flt), "page": page,
                                                    "shown": len(cases)})


def cases_of_contact(actor, contact: Contact) -> list[Case]:
    """The cases within ``actor``'s reach that a contact is linked to (for the contact page)."""
    return list(Case.objects.visible_to(actor).filter(contacts=contact)
                .order_by("-opened_at", "-id"))


def case_id_by_number(actor, number: str) -> int | None:
    """The id of the case with this number within ``actor``'s reach ("hn-2026-000123" and
    spaces are accepted: numbers are read out on the phone), else None."""
    text = "".join(str(number or "").split()).upper()[:20]
    if not text:
        return None
    return Case.objects.visible_to(actor).filter(number=text).values_list("pk", flat=True).first()


#: Roles a person can be added with by hand; children/victims and reporters come from contacts.
ADDABLE_ROLES = (PersonRole.PARENT_CAREGIVER, PersonRole.PERPETRATOR, PersonRole.WITNESS)


def _person_fields(data: dict) -> tuple[dict[str, Any], dict[str, str]]:
    from tongdai.contacts.models import Sex

    errors: dict[str, str] = {}
    role = data.get("role")
    if role not in ADDABLE_ROLES:
        errors["role"] = _("Choose a role.")
    name = data.get("name") or ""
    if not isinstance(name, str) or "\x00" in name or len(name.strip()) > 150:
        errors["name"] = _("At most %(limit)d characters.") % {"limit": 150}
        name = ""
    sex = data.get("sex") or Sex.UNKNOWN
    if sex not in Sex.values:
        errors["sex"] = _("Unknown value.")
    age = data.get("age")
    if age in ("", None):
        age = None
    elif isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 120:
        errors["age"] = _("Age must be a whole number between 0 and 120.")
    notes = data.get("notes") or ""
    if not isinstance(notes, str) or "\x00" in notes or len(notes) > 2000:
        errors["notes"] = _("At most %(limit)d characters.") % {"limit": 2000}
        notes = ""
    if not errors and not name.strip() and not notes.strip():
        errors["name"] = _("Give a name, an alias or a description.")
    return {"role": role, "name": name.strip(), "sex": sex, "age": age,
            "notes": notes.strip()}, errors


def case_person_add(actor, case_id, data: dict, *, request=None, via: str = "ui") -> CasePerson:
    """Add a parent/caregiver, suspected perpetrator or witness to an open case."""
    with audited_refusal(actor, case_id, "person_add", request=request, via=via), transaction.atomic():
        case = case_lock_for_edit(actor, case_id, perm=Perm.CASE_OPEN)
        fields, errors = _person_fields(data if isinstance(data, dict) else {})
        if errors:
            raise CaseInvalid(errors)
        person = CasePerson.objects.create(case=case, name_folded=fold(fields.get("name", "")),
                                           **fields)
        case_touch(case)
        case_event(case, actor, EventKind.PERSON, person=person.pk, role=person.role)
        audit_record(actor, Action.UPDATE, obj=case, request=request, via=via, fields=["people"])
        return person
