"""Records of the trafficking workflow (Law 53/2024/QH15; Decree 162/2025/NĐ-CP).

A trafficking case (``Case.type`` one of ``trafficking_*``) moves through the stages in
``STAGES``: reception → verification with police (Art. 27, within 3 days) →
identification (evidence per Art. 32, then a status decision) → support (Art. 37 regimes,
temporary shelter up to 120 days, Decree 162 Art. 17) → reintegration follow-up → closed.

These rows hang off a case and are read only through a case the user can see
(``Case.objects.visible_to``); every write goes through ``trafficking.services``.
Editable rows carry ``version`` for optimistic locking. Free text here is sensitive
personal data (Law 91/2025): never log it.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongdai.accounts.models import Agency
from tongdai.cases.models import Case
from tongdai.geo.models import Country
from tongdai.taxonomy.models import Topic
from tongdai.trafficking import regimes

#: Workflow stages of a trafficking case, in order (``Case.stage``).
STAGES = ("reception", "verification", "identification", "support", "reintegration", "closed")
STAGE_LABELS = {
    "reception": _("Reception"), "verification": _("Verification with police"),
    "identification": _("Identification"), "support": _("Support"),
    "reintegration": _("Reintegration"), "closed": _("Closed"),
}
#: Decree 162/2025 Art. 17: temporary shelter up to 120 days from the start (extendable).
SHELTER_DAYS = 120


class ReceptionHow(models.TextChoices):
    SELF_REPORT = "self_report", _("Self-report")
    RESCUED = "rescued", _("Rescued")
    RETURNED = "returned", _("Returned from abroad")
    REFERRED = "referred", _("Referred by an agency")
    HOTLINE = "hotline", _("Hotline")


class Reception(models.Model):
    """How and where the person was received (one per case). ``abroad`` says where the
    person is now; it decides the regimes of a person being identified (Art. 37)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="trafficking_reception")
    received_at = models.DateTimeField()
    how = models.CharField(max_length=20, choices=ReceptionHow.choices)
    location = models.CharField(max_length=300, blank=True)
    abroad = models.BooleanField(default=False)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")  # where abroad, or returned from
    mission_involved = models.BooleanField(default=False)  # Vietnamese mission abroad (Art. 28)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"reception {self.case_id}"


class VerificationResult(models.TextChoices):
    PENDING = "pending", _("Waiting for the police")
    CONFIRMED = "confirmed", _("Signs of trafficking confirmed")
    NOT_CONFIRMED = "not_confirmed", _("Not confirmed")


class Verification(models.Model):
    """The first information checked with the police (Law 53/2024 Art. 27: within 3 days)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="trafficking_verifications")
    police = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    police_unit = models.CharField(max_length=200, blank=True)  # when not in the directory
    requested_at = models.DateTimeField()
    result = models.CharField(max_length=20, choices=VerificationResult.choices,
                              default=VerificationResult.PENDING)
    verified_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"verification {self.pk}"

    @property
    def unit_name(self) -> str:
        return self.police.name if self.police_id else self.police_unit


class EvidenceKind(models.TextChoices):
    """Identification evidence (Law 53/2024 Art. 32)."""

    PROSECUTION = "prosecution", _("Evidence from prosecuting agencies")
    RESCUERS = "rescuers", _("Evidence from rescuers")
    MISSION = "mission", _("Evidence from a Vietnamese mission abroad")
    FOREIGN_AUTHORITY = "foreign_authority", _("Evidence from foreign authorities")
    STATEMENT_PERSON = "statement_person", _("Statement of the person")
    STATEMENT_RELATIVE = "statement_relative", _("Statement of a relative")
    STATEMENT_TRAFFICKER = "statement_trafficker", _("Statement of the trafficker")
    STATEMENT_VICTIM = "statement_victim", _("Statement of another victim")
    STATEMENT_WITNESS = "statement_witness", _("Statement of a witness")
    SECONDARY_SIGNS = "secondary_signs", _("Secondary signs (evidence insufficient)")


class Identification(models.Model):
    """The identification decision (one per case): the person's status, by whom, when.
    The status is mirrored on ``Case.type`` by the service."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="trafficking_identification")
    status = models.CharField(max_length=20, choices=list(regimes.STATUSES.items()))
    decided_by = models.CharField(max_length=200)  # the authority that identified the person
    decided_at = models.DateTimeField()
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"identification {self.case_id}: {self.status}"


class Evidence(models.Model):
    """One item of identification evidence (Art. 32)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="trafficking_evidence")
    kind = models.CharField(max_length=30, choices=EvidenceKind.choices)
    description = models.TextField()
    source = models.CharField(max_length=200, blank=True)
    date = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"evidence {self.pk}: {self.kind}"


class Route(models.Model):
    """The trafficking route: countries, border crossing, form of exploitation (one per case)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="trafficking_route")
    destinations = models.ManyToManyField(Country, related_name="+", blank=True)
    transits = models.ManyToManyField(Country, related_name="+", blank=True)
    border_crossing = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    # A subcategory of the taxonomy's "trafficking" branch.
    exploitation = models.ForeignKey(Topic, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"route {self.case_id}"


class Beneficiary(models.TextChoices):
    PERSON = "person", _("The person")
    ACCOMPANYING_CHILD = "accompanying_child", _("A child under 18 travelling with them")


class SupportGiven(models.Model):
    """One support regime given (Art. 37), by whom, with dates and amount.
    ``status``/``abroad`` keep the entitlement the regime was checked against."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="trafficking_support")
    regime = models.CharField(max_length=2, choices=[(c, v[2]) for c, v in regimes.REGIMES.items()])
    beneficiary = models.CharField(max_length=20, choices=Beneficiary.choices, default=Beneficiary.PERSON)
    status = models.CharField(max_length=20, choices=list(regimes.STATUSES.items()))
    abroad = models.BooleanField(default=False)
    given_by = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    given_by_text = models.CharField(max_length=200, blank=True)
    date = models.DateField(null=True, blank=True)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    amount = models.PositiveBigIntegerField(null=True, blank=True)  # VND
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"support {self.pk}: {self.regime}"

    @property
    def regime_label(self) -> str:
        return regimes.regime_label(self.regime)

    @property
    def giver(self) -> str:
        return self.given_by.name if self.given_by_id else self.given_by_text


class ShelterStay(models.Model):
    """A stay in a shelter or social protection facility. Up to 120 days from ``start``
    (Decree 162/2025 Art. 17), or until ``extended_until`` when extended."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="trafficking_shelter_stays")
    shelter = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)  # empty while ongoing
    extended_until = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["start", "id"]

    def __str__(self) -> str:
        return f"shelter stay {self.pk}"

    @property
    def limit_date(self) -> datetime.date:
        """The last day allowed: start + 120 days, or the extension."""
        return self.extended_until or (self.start + datetime.timedelta(days=SHELTER_DAYS))

    def days_used(self, today: datetime.date | None = None) -> int:
        """Days from the start to the end (or to today while ongoing)."""
        until = self.end or today or timezone.localdate()
        return max(0, (until - self.start).days)

    def days_remaining(self, today: datetime.date | None = None) -> int:
        """Days left before the limit (negative when overdue)."""
        return (self.limit_date - (self.end or today or timezone.localdate())).days

    @property
    def ongoing(self) -> bool:
        return self.end is None


class FollowUp(models.Model):
    """A reintegration follow-up visit or call: the situation and the next step."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="trafficking_followups")
    date = models.DateField()
    by = models.CharField(max_length=200)  # who followed up (person or agency)
    situation = models.TextField()
    next_step = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"follow-up {self.pk}"
