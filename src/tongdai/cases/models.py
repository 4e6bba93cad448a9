"""Cases: a child at risk or a trafficking victim, followed until they are safe.

A case is opened from one or more contacts (a later contact about the same child is
linked to the same case). It has a number that can be read out on the phone
(``HN-2026-000123``: centre, year, sequence), a type, the people involved with their
roles, a responsible case manager, a sensitivity level, a workflow stage and a timeline.

Writes go through ``tongdai.cases.services`` (and the workflow modules beside it); reads
of case data start from ``Case.objects.visible_to(user)`` / ``cases.services.case_get_for``.
The legal deadlines of a case are computed from ``Case.received_at``: the moment the
hotline first received the information (Decree 56/2017 Art. 26.3 counts the 12 hours
"from receiving the information").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongdai.accounts.models import Centre
from tongdai.accounts.roles import ALL, CENTRE_ROLES, NO_REACH, Perm, Reach, Role
from tongdai.contacts.models import AgeGroup, Contact, Sex, Subject
from tongdai.geo.models import Commune, Country, Province


class CaseType(models.TextChoices):
    CHILD_PROTECTION = "child_protection", _("Child protection")
    TRAFFICKING_VICTIM = "trafficking_victim", _("Trafficking: victim")
    TRAFFICKING_IDENTIFYING = "trafficking_identifying", _("Trafficking: person being identified as a victim")
    TRAFFICKING_FOREIGN = "trafficking_foreign", _("Trafficking: foreign victim")
    MISSING_PERSON = "missing_person", _("Missing person")
    OTHER = "other", _("Other")

    @classmethod
    def trafficking(cls) -> frozenset[str]:
        return frozenset({cls.TRAFFICKING_VICTIM, cls.TRAFFICKING_IDENTIFYING, cls.TRAFFICKING_FOREIGN})


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Sensitivity(models.TextChoices):
    NORMAL = "normal", _("Normal")
    RESTRICTED = "restricted", _("Restricted: only named people may open it")


class PersonRole(models.TextChoices):
    CHILD_VICTIM = "child_victim", _("Child / victim")
    PARENT_CAREGIVER = "parent_caregiver", _("Parent / caregiver")
    REPORTER = "reporter", _("Reporter")
    PERPETRATOR = "perpetrator", _("Suspected perpetrator / trafficker")
    WITNESS = "witness", _("Witness")


class CaseSequence(models.Model):
    """The last number given to a case of one centre in one year (locked while numbering)."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["centre", "year"], name="case_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.centre_id}-{self.year}: {self.last}"


#: Case reach scope besides NONE and ALL: one centre's cases.
CENTRE = "centre"


def case_reach(user) -> Reach:
    """The cases ``user`` may open. Fails closed: anyone not matched here sees none.

    - centre roles (counsellor, supervisor, case manager, centre manager): their
      centre's cases;
    - national administrators: every case;
    - a **restricted** case, for everyone above, only if they are its case manager or
      named on its access list (``CaseAccess``): ``within`` and ``is_visible_to`` apply
      this with the reach's user;
    - analysts, partner-agency officers, commune workers (they see referrals, not
      cases), inactive, anonymous or unknown-role users: none.
    Tests check that ``CaseQuerySet.within`` and ``Case.is_visible_to`` agree.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_REACH
    if not user.can(Perm.CASE_VIEW):
        return NO_REACH
    if user.role == Role.NATIONAL_ADMIN:
        return Reach(ALL, None, user.pk)
    if user.role in CENTRE_ROLES and user.centre_id:
        return Reach(CENTRE, user.centre_id, user.pk)
    return NO_REACH


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> CaseQuerySet:
        """The cases ``user`` may open (``case_reach``)."""
        return self.within(case_reach(user))

    def within(self, reach: Reach) -> CaseQuerySet:
        """The cases of ``reach``; none for a scope not named here."""
        if reach.scope == ALL:
            scoped = self.all()
        elif reach.scope == CENTRE:
            scoped = self.filter(centre_id=reach.centre_id)
        else:
            return self.none()
        # Exists, not a join: no duplicate rows, so callers may lock (FOR UPDATE).
        named = Q(case_manager_id=reach.user_id) | Q(Exists(
            CaseAccess.objects.filter(case_id=OuterRef("pk"), user_id=reach.user_id)))
        return scoped.filter(Q(sensitivity=Sensitivity.NORMAL) | named)


class Case(models.Model):
    number = models.CharField(max_length=20, unique=True)
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="cases")
    type = models.CharField(max_length=30, choices=CaseType.choices)
    # Workflow step; the allowed values depend on the type (see cases.workflow).
    stage = models.CharField(max_length=30)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    sensitivity = models.CharField(max_length=12, choices=Sensitivity.choices,
                                   default=Sensitivity.NORMAL)
    urgent = models.BooleanField(default=False)  # Decree 56 Art. 26.3 emergency
    title = models.CharField(max_length=200, blank=True)
    case_manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="managed_cases")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    received_at = models.DateTimeField()  # when the hotline first received the information
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.TextField(blank=True)
    contacts = models.ManyToManyField(Contact, through="CaseContact", related_name="cases")
    version = models.PositiveIntegerField(default=1)  # optimistic locking
    updated_at = models.DateTimeField(default=timezone.now)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["centre", "status", "-opened_at"], name="case_centre_status"),
                   models.Index(fields=["case_manager", "status"], name="case_manager_status")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_trafficking(self) -> bool:
        return self.type in CaseType.trafficking()

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN

    def is_visible_to(self, user) -> bool:
        """Object twin of ``CaseQuerySet.within``: the same ``case_reach``, the same
        conditions."""
        reach = case_reach(user)
        if not (reach.scope == ALL or (reach.scope == CENTRE and self.centre_id == reach.centre_id)):
            return False
        if self.sensitivity == Sensitivity.NORMAL or self.case_manager_id == reach.user_id:
            return True
        return self.access.filter(user_id=reach.user_id).exists()

    def is_editable_by(self, user) -> bool:
        return self.is_visible_to(user) and user.can(Perm.CASE_EDIT)


class CaseContact(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT)
    linked_at = models.DateTimeField(default=timezone.now)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "contact"], name="case_contact_unique")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.contact_id}"


class CaseAccess(models.Model):
    """A person named on a restricted case's access list."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="case_access_unique")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.user_id}"


class CasePerson(models.Model):
    """Someone involved in a case, with their role. Children/victims usually come from a
    contact's subjects (``subject``); others are added by the case manager."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="people")
    role = models.CharField(max_length=20, choices=PersonRole.choices)
    name = models.CharField(max_length=150, blank=True)
    name_folded = models.CharField(max_length=150, blank=True, default="")  # for search
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    age_group = models.CharField(max_length=10, choices=AgeGroup.choices, default=AgeGroup.UNKNOWN)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["role", "id"]

    def __str__(self) -> str:
        return self.name or self.get_role_display()


class EventKind(models.TextChoices):
    OPENED = "opened", _("Case opened")
    CONTACT_LINKED = "contact_linked", _("Contact linked")
    NOTE = "note", _("Note")
    PERSON = "person", _("Person added")
    STAGE = "stage", _("Stage changed")
    SENT_BACK = "sent_back", _("Step sent back")
    ASSESSMENT = "assessment", _("Assessment recorded")
    PLAN = "plan", _("Plan changed")
    REFERRAL = "referral", _("Referral")
    SUPPORT = "support", _("Support given")
    DOCUMENT = "document", _("Document")
    DEADLINE = "deadline", _("Deadline")
    ACCESS = "access", _("Access changed")
    CLOSED = "closed", _("Case closed")
    REOPENED = "reopened", _("Case reopened")


class CaseEvent(models.Model):
    """One line of a case's timeline. ``text`` is shown to hotline staff only; ``data``
    holds ids and codes (never personal data) that link the event to its object."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              related_name="+")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "-at"], name="case_event_timeline")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
