"""Roles and what each may do. This is the only place permissions are written down.

A user has exactly one role. Reach (which records) is decided by each model's rule
(``contact_reach``, ``case_reach``: a ``Reach`` value, applied by ``visible_to(user)``);
this table decides which actions a role may take at all.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNSELLOR = "counsellor", _("Counsellor")
    SUPERVISOR = "supervisor", _("Supervisor / shift lead")
    CASE_MANAGER = "case_manager", _("Case manager")
    CENTRE_MANAGER = "centre_manager", _("Centre manager")
    NATIONAL_ADMIN = "national_admin", _("National administrator")
    AGENCY_OFFICER = "agency_officer", _("Partner agency officer")
    COMMUNE_WORKER = "commune_worker", _("Commune child-protection worker")
    ANALYST = "analyst", _("Analyst")


class Perm(models.TextChoices):
    CONTACT_CREATE = "contact.create"
    CONTACT_VIEW = "contact.view"
    CONTACT_EDIT = "contact.edit"
    CONTACT_VIEW_AUDIT = "contact.view_audit"
    CONTACT_EXPORT = "contact.export"
    CASE_VIEW = "case.view"
    CASE_OPEN = "case.open"  # open a case from contacts, link contacts, add notes
    CASE_EDIT = "case.edit"  # workflow steps, plans, referrals, support, closing
    CASE_ACCESS = "case.access"  # assign the case manager, restrict, name who may open
    REFERRAL_RECEIVE = "referral.receive"  # partner portal: act on referrals made to you
    USER_ADMIN = "user.admin"
    QUEUE_ANSWER = "queue.answer"  # workspace: presence, pick up and answer calls and chats
    QUEUE_SUPERVISE = "queue.supervise"  # wallboard, assign/transfer others' contacts
    RECORDING_PLAY = "recording.play"  # listen to call recordings (each playback audited)
    REPORT_VIEW = "report.view"  # dashboards and standard reports (aggregates only)
    RESEARCH_EXPORT = "research.export"  # anonymised research dataset


#: Roles that work inside one hotline centre (they must have a centre).
CENTRE_ROLES = frozenset({Role.COUNSELLOR, Role.SUPERVISOR, Role.CASE_MANAGER, Role.CENTRE_MANAGER})
#: Roles whose reach is the whole country.
NATIONAL_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.ANALYST})
#: Roles outside the hotline: they will see referrals (issue 3), never contacts.
PARTNER_ROLES = frozenset({Role.AGENCY_OFFICER, Role.COMMUNE_WORKER})
#: Roles that oversee a centre's work (see drafts of others, audit trails).
OVERSIGHT_ROLES = frozenset({Role.SUPERVISOR, Role.CENTRE_MANAGER, Role.NATIONAL_ADMIN})

PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.COUNSELLOR: frozenset({Perm.CONTACT_CREATE, Perm.CONTACT_VIEW, Perm.CONTACT_EDIT,
                                Perm.CASE_VIEW, Perm.CASE_OPEN, Perm.QUEUE_ANSWER}),
    Role.SUPERVISOR: frozenset({Perm.CONTACT_CREATE, Perm.CONTACT_VIEW, Perm.CONTACT_EDIT,
                                Perm.CONTACT_VIEW_AUDIT, Perm.CONTACT_EXPORT,
                                Perm.CASE_VIEW, Perm.CASE_OPEN, Perm.CASE_EDIT, Perm.CASE_ACCESS,
                                Perm.QUEUE_ANSWER, Perm.QUEUE_SUPERVISE, Perm.RECORDING_PLAY,
                                Perm.REPORT_VIEW}),
    Role.CASE_MANAGER: frozenset({Perm.CONTACT_CREATE, Perm.CONTACT_VIEW, Perm.CONTACT_EDIT,
                                  Perm.CASE_VIEW, Perm.CASE_OPEN, Perm.CASE_EDIT}),
    Role.CENTRE_MANAGER: frozenset({Perm.CONTACT_VIEW, Perm.CONTACT_VIEW_AUDIT,
                                    Perm.CONTACT_EXPORT, Perm.CASE_VIEW, Perm.CASE_ACCESS,
                                    Perm.QUEUE_SUPERVISE, Perm.RECORDING_PLAY,
                                    Perm.REPORT_VIEW}),
    Role.NATIONAL_ADMIN: frozenset({Perm.CONTACT_VIEW, Perm.CONTACT_VIEW_AUDIT,
                                    Perm.CONTACT_EXPORT, Perm.CASE_VIEW, Perm.CASE_ACCESS,
                                    Perm.USER_ADMIN, Perm.QUEUE_SUPERVISE, Perm.RECORDING_PLAY,
                                    Perm.REPORT_VIEW}),
    # Analysts work on aggregates and anonymised exports (issue 5), not on individual records.
    Role.ANALYST: frozenset({Perm.REPORT_VIEW, Perm.RESEARCH_EXPORT}),
    # Partners see referrals made to their agency or commune, never cases or contacts.
    Role.AGENCY_OFFICER: frozenset({Perm.REFERRAL_RECEIVE}),
    Role.COMMUNE_WORKER: frozenset({Perm.REFERRAL_RECEIVE}),
}


def role_has(role: str | None, perm: Perm) -> bool:
    """Fail closed: an unknown role has no permissions."""
    try:
        return perm in PERMISSIONS[Role(role)]
    except ValueError:
        return False


class Reach(NamedTuple):
    """Which records of one kind a user reaches, as a value: decided once by the model's
    rule (``contact_reach``, ``case_reach``) and applied by its queryset (``within``) and
    its object twin (``is_visible_to``) alike, so the two cannot drift apart. A value can
    also key a compiled statement (``tongdai.core.statements``): the scope decides the
    statement's shape, the centre and the user only its parameters."""

    scope: str  # NONE, ALL, or a model's own scope names
    centre_id: str | None = None
    user_id: int | None = None


#: The scope that reaches nothing; any scope a ``within`` does not know is treated so.
NONE = "none"
#: The scope that reaches every record (national administrators).
ALL = "all"
NO_REACH = Reach(NONE)
