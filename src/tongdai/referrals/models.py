"""The referral network: the directory of partner agencies and the referrals sent to them.

An ``AgencyProfile`` extends ``accounts.Agency`` (which anchors agency officers) with what
a counsellor needs while on a call: where the agency acts (national, some provinces or some
communes), the services it offers, contact points and hours.

A ``Referral`` sends a case (or one plan item) to an agency with a reason, an urgency, the
consent of the people concerned and a **snapshot** of the few fields the sender chose to
disclose. That snapshot, frozen when the referral is sent, is the only case data a partner
ever sees. Writes go through ``tongdai.referrals.services``; reads start from
``Referral.objects.visible_to(user)``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongdai.accounts.models import Agency, AgencyType
from tongdai.accounts.roles import Perm, Role
from tongdai.cases.models import Case
from tongdai.geo.models import Commune, Province


class Service(models.TextChoices):
    RESCUE = "rescue", _("Rescue")
    INVESTIGATION = "investigation", _("Investigation")
    MISSING_SEARCH = "missing_search", _("Search for missing people")
    SHELTER = "shelter", _("Shelter")
    MEDICAL = "medical", _("Medical care")
    PSYCHOLOGICAL = "psychological", _("Psychological support")
    LEGAL_AID = "legal_aid", _("Legal aid")
    REPATRIATION = "repatriation", _("Repatriation")
    CASE_MANAGEMENT = "case_management", _("Case management")
    EDUCATION = "education", _("Education")
    VOCATIONAL = "vocational", _("Vocational training")


class Jurisdiction(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCES = "provinces", _("Provinces")
    COMMUNES = "communes", _("Communes")


class AgencyProfile(models.Model):
    """Directory entry of a partner agency. ``services`` is stored as ``,code,code,`` so a
    service filter is one indexed-friendly ``LIKE`` on SQLite and PostgreSQL alike.
    ``contact_points`` holds officials' work contacts: ``[{"name", "phone", "email"}]``."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="profile")
    jurisdiction = models.CharField(max_length=10, choices=Jurisdiction.choices,
                                    default=Jurisdiction.PROVINCES)
    provinces = models.ManyToManyField(Province, blank=True, related_name="+")
    communes = models.ManyToManyField(Commune, blank=True, related_name="+")
    # The commune a commune People's Committee serves (its commune workers' inbox).
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="committees")
    services = models.CharField(max_length=300, blank=True)
    contact_points = models.JSONField(default=list, blank=True)
    hours = models.CharField(max_length=200, blank=True)
    always_open = models.BooleanField(default=False)  # 24/7
    search_text = models.CharField(max_length=200, blank=True)  # folded name: accents optional

    def __str__(self) -> str:
        return f"{self.agency}"

    @property
    def service_codes(self) -> list[str]:
        return [s for s in self.services.split(",") if s]

    @property
    def service_labels(self) -> list[str]:
        labels = dict(Service.choices)
        return [str(labels.get(s, s)) for s in self.service_codes]

    @staticmethod
    def pack_services(codes) -> str:
        codes = [c for c in dict.fromkeys(codes) if c in Service.values]
        return f",{','.join(codes)}," if codes else ""


class WorkingGroupMember(models.Model):
    """A member of the inter-agency working group for one agency type: who is told when an
    urgent referral to an agency of that type is not acknowledged in time. Either a user
    (notified in tongdai) or a name with work phone/e-mail (called by the supervisor)."""

    agency_type = models.CharField(max_length=30, choices=AgencyType.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                             blank=True, related_name="+")
    name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["agency_type", "id"]

    def __str__(self) -> str:
        return f"{self.agency_type}: {self.name or self.user_id}"


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CLOSED = "closed", _("Closed")
    REVOKED = "revoked", _("Revoked")


#: Statuses in which the partner still has work to do.
OPEN_STATUSES = frozenset({ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED,
                           ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS})


class Outcome(models.TextChoices):
    RESCUED = "rescued", _("Rescued")
    INVESTIGATED = "investigated", _("Investigated")
    SUPPORTED = "supported", _("Supported")
    PERSON_NOT_FOUND = "person_not_found", _("Person not found")
    OTHER = "other", _("Other")


class ShareField(models.TextChoices):
    """What a sender may choose to disclose to the partner (nothing else ever leaves)."""

    CASE_TYPE = "case_type", _("Case type")
    CHILD_NAME = "child_name", _("Child's / victim's name")
    CHILD_AGE = "child_age", _("Child's / victim's age")
    CHILD_SEX = "child_sex", _("Child's / victim's sex")
    CHILD_LOCATION = "child_location", _("Where the child / victim is")
    SUMMARY = "summary", _("Summary of the report")
    REPORTER_CONTACT = "reporter_contact", _("Reporter's name and phone (if they agreed)")


class ReferralQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReferralQuerySet:
        """The referrals ``user`` may open. Fails closed.

        - hotline staff (``CASE_VIEW``): referrals of the cases they can see
          (``Case.objects.visible_to``, restricted cases included only if named);
        - partner-agency officers: referrals to their own agency, except revoked ones;
        - commune workers: referrals to the commune People's Committee whose commune is
          theirs, except revoked ones;
        - everyone else (analysts, inactive, anonymous): none.
        Object twin: ``Referral.is_visible_to``; tests check both agree.
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.can(Perm.CASE_VIEW):
            return self.filter(case__in=Case.objects.visible_to(user).values("pk"))
        if not user.can(Perm.REFERRAL_RECEIVE):
            return self.none()
        live = self.exclude(status=ReferralStatus.REVOKED)
        if user.role == Role.AGENCY_OFFICER and user.agency_id:
            return live.filter(agency_id=user.agency_id)
        if user.role == Role.COMMUNE_WORKER and user.commune_id:
            return live.filter(Q(agency__type=AgencyType.COMMUNE_COMMITTEE)
                               & Q(agency__profile__commune_id=user.commune_id))
        return self.none()


class Referral(models.Model):
    """A case (or one plan item) sent to a partner agency; see the module doc."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    # The protection app owns plan items; we keep only its id and a label.
    plan_item_id = models.PositiveIntegerField(null=True, blank=True)
    plan_item_label = models.CharField(max_length=200, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referrals")
    reason = models.TextField()
    urgent = models.BooleanField(default=False)
    # Consent (Law 91/2025 on personal data; Decree 356/2025): a child aged 7 or over and
    # their representative both agree, unless life or health is in danger.
    consent_child = models.BooleanField(default=False)
    consent_representative = models.BooleanField(default=False)
    child_age = models.PositiveSmallIntegerField(null=True, blank=True)
    emergency_exemption = models.BooleanField(default=False)
    emergency_reason = models.TextField(blank=True)
    share = models.JSONField(default=list, blank=True)  # ShareField codes chosen by the sender
    snapshot = models.JSONField(default=dict, blank=True)  # frozen values: all a partner sees
    status = models.CharField(max_length=20, choices=ReferralStatus.choices,
                              default=ReferralStatus.SENT)
    version = models.PositiveIntegerField(default=1)
    sent_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_text = models.TextField(blank=True)
    revoke_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["agency", "status", "-sent_at"], name="referral_agency_inbox"),
                   models.Index(fields=["case", "-sent_at"], name="referral_case"),
                   # The reports count referrals sent in a period (tongdai.reports.services).
                   models.Index(fields=["sent_at"], name="referral_sent")]

    def __str__(self) -> str:
        return f"referral {self.pk} of case {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_visible_to(self, user) -> bool:
        """Object twin of ``ReferralQuerySet.visible_to``; keep the two rules identical."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        if user.can(Perm.CASE_VIEW):
            return self.case.is_visible_to(user)
        if not user.can(Perm.REFERRAL_RECEIVE) or self.status == ReferralStatus.REVOKED:
            return False
        if user.role == Role.AGENCY_OFFICER and user.agency_id:
            return self.agency_id == user.agency_id
        if user.role == Role.COMMUNE_WORKER and user.commune_id:
            profile = AgencyProfile.objects.filter(agency_id=self.agency_id).first()
            return (self.agency.type == AgencyType.COMMUNE_COMMITTEE and profile is not None
                    and profile.commune_id == user.commune_id)
        return False


class ReferralStep(models.Model):
    """One step of a referral's life: who moved it to which status, when, and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(blank=True)  # decline/revoke reason, outcome text

    class Meta:
        ordering = ["at", "id"]
        # The reports look for completed steps in a period (people rescued).
        indexes = [models.Index(fields=["status", "at"], name="referralstep_status_at")]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.status}"


class ReferralMessage(models.Model):
    """A message on a referral between the hotline and the partner (both see them all)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="messages")
    at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_partner = models.BooleanField(default=False)
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk} on referral {self.referral_id}"


class ReferralNote(models.Model):
    """A progress note written by the partner on the referral (seen by both sides)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="notes")
    at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on referral {self.referral_id}"


class ReferralAttachment(models.Model):
    """A case attachment the hotline shared with the referral's agency. The partner may then
    open it (``Attachment.objects.visible_to``); nothing else of the case files leaves."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="shared_files")
    attachment = models.ForeignKey("documents.Attachment", on_delete=models.CASCADE,
                                   related_name="shares")
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["shared_at", "id"]
        constraints = [models.UniqueConstraint(fields=["referral", "attachment"],
                                               name="referral_attachment_once")]

    def __str__(self) -> str:
        return f"attachment {self.attachment_id} shared on referral {self.referral_id}"
