"""Legal deadlines of a case, and the public-holiday calendar they are counted on.

A ``Deadline`` is one due time set by law on one case (Decree 56/2017, Law 53/2024,
Decree 162/2025), computed from the moment the hotline received the information
(``Case.received_at``) or from the start of the step it measures (a shelter stay, a
referral). Writes go through ``tongdai.deadlines.services``; reads of deadlines with
case data start from ``Case.objects.visible_to(user)`` (see ``Deadline.objects.visible_to``).

``Holiday`` rows are the days off (and the Saturdays made working days) announced each
year by the government; see ``tongdai.deadlines.calendar`` and ``tongdai.deadlines.holidays_vn``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongdai.cases.models import Case, CaseStatus


class HolidayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday")
    COMPENSATORY = "compensatory", _("Compensatory or swapped day off")
    WORKING_SATURDAY = "working_saturday", _("Weekend day worked in exchange for a day off")


class Holiday(models.Model):
    """A date that is not an ordinary Monday–Friday working day or weekend day.

    ``holiday`` and ``compensatory`` dates are days off even on a weekday;
    ``working_saturday`` marks a weekend date that is worked (a swap announced with a
    bridge day off). Administrators load each year's official announcement
    (``tongdai holidays load`` / ``tongdai holidays add``).
    """

    date = models.DateField(unique=True)
    name_vi = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=HolidayKind.choices, default=HolidayKind.HOLIDAY)
    source = models.CharField(max_length=200, blank=True)  # the legal act or announcement

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name_en} ({self.kind})"

    @property
    def is_day_off(self) -> bool:
        return self.kind != HolidayKind.WORKING_SATURDAY


class DeadlineKind(models.TextChoices):
    EMERGENCY_12H = "emergency_12h", _("Emergency intervention within 12 hours")
    PLAN_5WD = "plan_5wd", _("Support plan within 5 working days")
    VERIFICATION_3D = "verification_3d", _("Verification with police within 3 days")
    SHELTER_120D = "shelter_120d", _("Temporary shelter up to 120 days")
    REFERRAL_ACK = "referral_ack", _("Urgent referral acknowledged")


class EscalationLevel(models.IntegerChoices):
    NONE = 0, _("Not escalated")
    SUPERVISOR = 1, _("Escalated to the supervisor")
    MANAGER = 2, _("Escalated to the centre manager")


class DeadlineQuerySet(models.QuerySet):
    def open(self) -> DeadlineQuerySet:
        """Neither met nor cancelled."""
        return self.filter(met_at__isnull=True, cancelled_at__isnull=True)

    def visible_to(self, user) -> DeadlineQuerySet:
        """Deadlines of the cases ``user`` may open (``Case.objects.visible_to``): the case
        rule is the only rule, so a restricted case's deadlines stay restricted too."""
        return self.filter(case__in=Case.objects.visible_to(user))

    def of_open_cases(self) -> DeadlineQuerySet:
        return self.filter(case__status=CaseStatus.OPEN)


class Deadline(models.Model):
    """One legal due time on one case. ``ref`` tells apart deadlines of the same kind on one
    case (a shelter stay id, a referral id); at most one is open per (case, kind, ref)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(max_length=20, choices=DeadlineKind.choices)
    ref = models.CharField(max_length=40, blank=True, default="")
    start_at = models.DateTimeField()
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    met_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(choices=EscalationLevel.choices,
                                                        default=EscalationLevel.NONE)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "ref"],
                condition=Q(met_at__isnull=True, cancelled_at__isnull=True),
                name="deadline_one_open_per_case_kind_ref",
            )
        ]
        indexes = [models.Index(fields=["due_at"], name="deadline_open_due",
                                condition=Q(met_at__isnull=True, cancelled_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.ref} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.met_at is None and self.cancelled_at is None

    def is_overdue(self, now=None) -> bool:
        return self.is_open and self.due_at <= (now or timezone.now())

    def overdue_by(self, now=None):
        """How long past due (a timedelta; zero or negative when not yet due)."""
        return (now or timezone.now()) - self.due_at
