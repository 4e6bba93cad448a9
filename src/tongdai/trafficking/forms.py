"""HTML forms of the trafficking pages. They parse input only; the rules live in
``trafficking.services`` (which the views call with ``form_data(form)``)."""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongdai.accounts.models import Agency, AgencyType
from tongdai.geo.models import Country
from tongdai.taxonomy.models import Topic
from tongdai.trafficking import regimes
from tongdai.trafficking.models import Beneficiary, EvidenceKind, ReceptionHow, VerificationResult


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CountryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name_vi


class CountriesChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name_vi


def _countries():
    return Country.objects.order_by("name_folded")


def _agencies(*types):
    return Agency.objects.filter(active=True, type__in=types).order_by("name")


def form_data(form: forms.Form) -> dict:
    """Cleaned data as the services take it: ids instead of model instances."""
    out = {}
    for key, value in form.cleaned_data.items():
        if isinstance(value, models.Model):
            value = value.pk
        elif isinstance(value, models.QuerySet):
            value = [obj.pk for obj in value]
        out[key] = value
    return out


class VersionedForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1,
                                 max_value=2**31)


class ReceptionForm(VersionedForm):
    received_at = forms.DateTimeField(label=_("Received at"), widget=DateTimeInput())
    how = forms.ChoiceField(label=_("How the person came"), choices=ReceptionHow.choices)
    location = forms.CharField(label=_("Where received"), required=False, max_length=300)
    abroad = forms.BooleanField(label=_("The person is abroad now"), required=False)
    country = CountryChoice(label=_("Country (abroad, or returned from)"), queryset=_countries(),
                            required=False)
    mission_involved = forms.BooleanField(label=_("A Vietnamese mission abroad is involved"),
                                          required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class VerificationForm(VersionedForm):
    police = forms.ModelChoiceField(label=_("Police unit"), queryset=_agencies(AgencyType.POLICE),
                                    required=False)
    police_unit = forms.CharField(label=_("…or its name, if not in the list"), required=False,
                                  max_length=200)
    requested_at = forms.DateTimeField(label=_("Verification requested at"), widget=DateTimeInput())
    result = forms.ChoiceField(label=_("Result"), choices=VerificationResult.choices)
    verified_at = forms.DateTimeField(label=_("Result given at"), required=False, widget=DateTimeInput())
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of evidence (Art. 32)"), choices=EvidenceKind.choices)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}))
    source = forms.CharField(label=_("Source"), required=False, max_length=200)
    date = forms.DateField(label=_("Date"), required=False, widget=DateInput())


class DecisionForm(VersionedForm):
    status = forms.ChoiceField(label=_("Status"), choices=list(regimes.STATUSES.items()))
    decided_by = forms.CharField(label=_("Decided by (authority)"), max_length=200)
    decided_at = forms.DateTimeField(label=_("Decided at"), widget=DateTimeInput())
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RouteForm(VersionedForm):
    destinations = CountriesChoice(label=_("Destination countries"), queryset=_countries(),
                                   required=False)
    transits = CountriesChoice(label=_("Transit countries"), queryset=_countries(), required=False)
    border_crossing = forms.CharField(label=_("Border crossing point"), required=False, max_length=200)
    exploitation = forms.ModelChoiceField(
        label=_("Form of exploitation"), required=False,
        queryset=Topic.objects.filter(parent_id="trafficking").order_by("position", "code"))
    description = forms.CharField(label=_("Route"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))


class SupportForm(VersionedForm):
    """Offers only ``offered`` regimes: those the person's status entitles (Art. 37)."""

    regime = forms.ChoiceField(label=_("Support regime"), widget=forms.RadioSelect)
    beneficiary = forms.ChoiceField(label=_("Given to"), choices=Beneficiary.choices,
                                    initial=Beneficiary.PERSON)
    given_by = forms.ModelChoiceField(label=_("Given by (agency)"), required=False,
                                      queryset=_agencies(*AgencyType.values))
    given_by_text = forms.CharField(label=_("…or by (person or unit)"), required=False, max_length=200)
    date = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    amount = forms.IntegerField(label=_("Amount (VND)"), required=False, min_value=0, max_value=10**12)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, offered: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["regime"].choices = regimes.regime_choices(offered)


class ShelterForm(forms.Form):
    shelter = forms.ModelChoiceField(label=_("Shelter or social protection facility"),
                                     queryset=_agencies(AgencyType.SHELTER, AgencyType.SOCIAL_PROTECTION))
    start = forms.DateField(label=_("Start"), widget=DateInput())


class ShelterExtendForm(VersionedForm):
    extended_until = forms.DateField(label=_("Extend until"), widget=DateInput())
    extension_reason = forms.CharField(label=_("Reason"), max_length=2000)


class ShelterEndForm(VersionedForm):
    end = forms.DateField(label=_("End"), widget=DateInput())


class FollowUpForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    by = forms.CharField(label=_("By (person or agency)"), max_length=200)
    situation = forms.CharField(label=_("Situation"), widget=forms.Textarea(attrs={"rows": 2}))
    next_step = forms.CharField(label=_("Next step"), required=False,
                                widget=forms.Textarea(attrs={"rows": 2}))


class StageForm(VersionedForm):
    """Move the case on (reintegration) or close it; ``version`` is the case's."""

    reason = forms.CharField(label=_("Why the case is closed"), required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 2}))
