"""The child-protection workflow of a case (Law on Children 102/2016, Decree 56/2017).

Stages (``Case.stage`` of a ``child_protection`` case) name the step that is due next:

    intake → first_assessment → needs_assessment → planning → implementation → review → closed
                                                       ↑__________________________________|
                                                                (review decides "new plan")

Each record below is one filled-in legal form: ``FirstAssessment`` (Form 02, Art. 26),
``NeedsAssessment`` (Form 03, Art. 27), ``Plan`` + ``PlanItem`` (Forms 04/05, Art. 28;
carried out under Art. 29) and ``Review`` (Form 06, Art. 30). Records are kept when a step
is redone (after a send-back or a new plan): the latest one is the current one, the older
ones are history. Writes go through ``tongdai.protection.services`` only.

Access: these rows hang off a case. Hotline staff reach them through
``Case.objects.visible_to(user)``; partners (commune workers, agency officers) only write a
Form 02 through a referral they can see and never read these rows through the case.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongdai.accounts.models import Agency
from tongdai.cases.models import Case


class Stage(models.TextChoices):
    INTAKE = "intake", _("Intake (Form 01)")
    FIRST_ASSESSMENT = "first_assessment", _("First risk assessment (Form 02)")
    NEEDS_ASSESSMENT = "needs_assessment", _("Needs assessment (Form 03)")
    PLANNING = "planning", _("Support and intervention plan (Forms 04/05)")
    IMPLEMENTATION = "implementation", _("Implementation")
    REVIEW = "review", _("Review (Form 06)")
    CLOSED = "closed", _("Closed")


class Risk(models.TextChoices):
    """Decree 56 risk levels: Cao / Trung bình / Thấp. Order matters: see ``RISK_ORDER``."""

    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


#: Higher number = more danger (used to take the highest of the criteria).
RISK_ORDER = {Risk.LOW: 1, Risk.MEDIUM: 2, Risk.HIGH: 3}

#: The four criteria of Forms 02 and 06 (domain.md, Decree 56 Art. 26/30).
RISK_CRITERIA = ("risk_harm", "risk_access", "risk_care", "risk_resilience")


class Tracked(models.Model):
    """Who created/changed a record and when, and a version for optimistic locking."""

    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class RiskCriteria(models.Model):
    """The four Decree 56 criteria, each rated high / medium / low."""

    risk_harm = models.CharField(_("severity of harm"), max_length=10, choices=Risk.choices)
    risk_access = models.CharField(_("abuser's access to the child"), max_length=10, choices=Risk.choices)
    risk_care = models.CharField(_("obstacles in the care setting"), max_length=10, choices=Risk.choices)
    risk_resilience = models.CharField(_("child's ability to protect themselves and recover"),
                                       max_length=10, choices=Risk.choices)

    class Meta:
        abstract = True

    def criteria_risk(self) -> str:
        """The highest of the four ratings (see ``services.overall_risk`` for why)."""
        return max((getattr(self, f) for f in RISK_CRITERIA), key=lambda r: RISK_ORDER[Risk(r)])


class FirstAssessment(Tracked, RiskCriteria):
    """Form 02: the commune child-protection worker's first risk assessment (Art. 26).

    ``risk_level`` is the highest criterion unless ``risk_override_reason`` explains a
    different level. Recording it meets the 12-hour emergency deadline (Art. 26.3)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="first_assessments")
    referral_id = models.BigIntegerField(null=True, blank=True)  # recorded by a partner through it
    assessed_at = models.DateTimeField()
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    risk_level = models.CharField(max_length=10, choices=Risk.choices)
    risk_override_reason = models.TextField(blank=True)
    emergency = models.BooleanField(default=False)  # life, health or dignity at serious risk
    emergency_action = models.TextField(blank=True)
    emergency_action_at = models.DateTimeField(null=True, blank=True)
    separated = models.BooleanField(default=False)  # temporary separation from the carer
    separation_place = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Form 02 #{self.pk} ({self.case_id})"


class NeedsAssessment(Tracked):
    """Form 03: the detailed assessment of the child's needs, by domain (Art. 27)."""

    DOMAINS = ("need_safety", "need_health", "need_education", "need_psychological",
               "need_family", "need_legal", "need_other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="needs_assessments")
    assessed_at = models.DateTimeField()
    need_safety = models.TextField(_("safety"), blank=True)
    need_health = models.TextField(_("health"), blank=True)
    need_education = models.TextField(_("education"), blank=True)
    need_psychological = models.TextField(_("psychological"), blank=True)
    need_family = models.TextField(_("family and care"), blank=True)
    need_legal = models.TextField(_("legal"), blank=True)
    need_other = models.TextField(_("other"), blank=True)
    strengths = models.TextField(blank=True)
    recommendations = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Form 03 #{self.pk} ({self.case_id})"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")


class Plan(Tracked):
    """Forms 04/05: the support-and-intervention plan (Art. 28), approved by the commune
    chairman. ``number`` counts the plans of a case: a review may ask for a new one."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="plans")
    number = models.PositiveSmallIntegerField(default=1)
    goals = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+")
    approved_by_commune_chair = models.CharField(max_length=200, blank=True)  # name and title
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="protection_plan_number")]

    def __str__(self) -> str:
        return f"Plan {self.number} ({self.case_id})"


class ItemStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class PlanItem(Tracked):
    """One action of a plan: what, who (a partner agency or a named person/role), by when."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    what = models.TextField()
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    who = models.CharField(max_length=200, blank=True)  # a person's name or role, if no agency
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=ItemStatus.choices, default=ItemStatus.PLANNED)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return f"Plan item #{self.pk}"


class Decision(models.TextChoices):
    CLOSE = "close", _("Close the case: the child is safe and stable")
    NEW_PLAN = "new_plan", _("Make a new plan")


class Review(Tracked, RiskCriteria):
    """Form 06: review of the plan's results and of the risk now (Art. 30)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reviews")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews")
    reviewed_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    safe_and_stable = models.BooleanField(default=False)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Form 06 #{self.pk} ({self.case_id})"
