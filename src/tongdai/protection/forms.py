"""Forms of the child-protection pages. They only turn browser strings into Python
values; every rule (stages, required pairs, overall risk) lives in ``protection.services``,
whose errors (keyed by field) are put back on these forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tongdai.accounts.models import Agency
from tongdai.protection.models import Decision, ItemStatus, Risk

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
RISK_CHOICES = [("", "—"), *Risk.choices]


def _moment(label):
    return forms.DateTimeField(
        label=label, required=False, input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL))


def _text(label, *, rows=3, required=False):
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}))


class VersionedForm(forms.Form):
    """Carries the version the editor loaded (optimistic locking)."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}

    def add_service_errors(self, errors: dict[str, str]) -> None:
        for key, message in errors.items():
            self.add_error(key if key in self.fields else None, message)


class RiskCriteriaMixin(forms.Form):
    risk_harm = forms.ChoiceField(label=_("Severity of harm"), choices=RISK_CHOICES, required=False)
    risk_access = forms.ChoiceField(label=_("Abuser's access to the child"), choices=RISK_CHOICES,
                                    required=False)
    risk_care = forms.ChoiceField(label=_("Obstacles in the care setting"), choices=RISK_CHOICES,
                                  required=False)
    risk_resilience = forms.ChoiceField(label=_("Child's ability to protect themselves and recover"),
                                        choices=RISK_CHOICES, required=False)


class FirstAssessmentForm(VersionedForm, RiskCriteriaMixin):
    """Form 02 (Decree 56 Art. 26)."""

    prefix = "fa"
    assessed_at = _moment(_("Assessed at"))
    risk_level = forms.ChoiceField(
        label=_("Overall risk (leave empty to use the highest criterion)"),
        choices=RISK_CHOICES, required=False)
    risk_override_reason = _text(_("Why the overall risk differs from the highest criterion"), rows=2)
    emergency = forms.BooleanField(label=_("Emergency: the child's life, health or dignity is at serious risk"),
                                   required=False)
    emergency_action = _text(_("Emergency intervention taken"), rows=2)
    emergency_action_at = _moment(_("Intervention time"))
    separated = forms.BooleanField(label=_("Child temporarily separated from the carer"), required=False)
    separation_place = forms.CharField(label=_("Where the child is placed"), required=False, max_length=300)
    notes = _text(_("Notes"))


class NeedsAssessmentForm(VersionedForm):
    """Form 03 (Decree 56 Art. 27)."""

    prefix = "na"
    assessed_at = _moment(_("Assessed at"))
    need_safety = _text(_("Safety needs"), rows=2)
    need_health = _text(_("Health needs"), rows=2)
    need_education = _text(_("Education needs"), rows=2)
    need_psychological = _text(_("Psychological needs"), rows=2)
    need_family = _text(_("Family and care needs"), rows=2)
    need_legal = _text(_("Legal needs"), rows=2)
    need_other = _text(_("Other needs"), rows=2)
    strengths = _text(_("Strengths of the child and family"), rows=2)
    recommendations = _text(_("Recommendations"), rows=2)


class PlanForm(VersionedForm):
    prefix = "plan"
    goals = _text(_("Goals of the plan"), rows=3)


class PlanItemForm(VersionedForm):
    """One action of a plan (Form 05)."""

    prefix = "item"
    what = _text(_("What"), rows=2)
    agency = forms.ModelChoiceField(label=_("Agency"), required=False,
                                    queryset=Agency.objects.filter(active=True).order_by("name"))
    who = forms.CharField(label=_("Or a person (name or role)"), required=False, max_length=200)
    due_date = forms.DateField(label=_("Due date"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    status = forms.ChoiceField(label=_("Status"), choices=ItemStatus.choices, required=False)
    notes = _text(_("Notes"), rows=2)

    def service_data(self) -> dict:
        data = super().service_data()
        data["agency"] = data["agency"].pk if data.get("agency") else None
        return data


class PlanApproveForm(VersionedForm):
    prefix = "approve"
    approved_by_commune_chair = forms.CharField(label=_("Approved by (commune chairman: name and title)"),
                                                required=False, max_length=200)
    approved_at = _moment(_("Approved at"))


class ReviewForm(VersionedForm, RiskCriteriaMixin):
    """Form 06 (Decree 56 Art. 30)."""

    prefix = "rv"
    reviewed_at = _moment(_("Reviewed at"))
    safe_and_stable = forms.BooleanField(label=_("The child is safe and stable"), required=False)
    decision = forms.ChoiceField(label=_("Decision"), choices=[("", "—"), *Decision.choices], required=False)
    reason = _text(_("Reasons and results"), rows=3)


class SendBackForm(VersionedForm):
    prefix = "sb"
    reason = _text(_("Why is this step sent back?"), rows=2)
