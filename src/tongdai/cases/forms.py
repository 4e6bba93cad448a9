"""Forms of the case pages. They turn browser strings into Python values; every rule
(reach, permission, who may be case manager, versions) is checked by ``cases.services``,
whose errors, keyed by field name, are shown on these forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from tongdai.accounts.models import Centre, User
from tongdai.accounts.roles import CENTRE_ROLES, Perm
from tongdai.cases.models import Case, CaseStatus, CaseType
from tongdai.cases.services import ADDABLE_ROLES, CaseFilter
from tongdai.contacts.models import Sex
from tongdai.core.ids import MAX_ID

EVERY = ("", gettext_lazy("All"))
NUMBER_ERRORS = {"invalid": gettext_lazy("Not a valid number."),
                 "min_value": gettext_lazy("Not a valid number."),
                 "max_value": gettext_lazy("Not a valid number.")}


def _id_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(min_value=1, max_value=MAX_ID, error_messages=NUMBER_ERRORS,
                              widget=forms.HiddenInput, **kwargs)


class CaseOpenForm(forms.Form):
    """Open a case from the contact page."""

    contact = _id_field()
    type = forms.ChoiceField(label=gettext_lazy("Case type"), choices=CaseType.choices)
    title = forms.CharField(label=gettext_lazy("Title (optional)"), required=False, max_length=200,
                            strip=True)


class CaseLinkForm(forms.Form):
    """Link the contact on screen to an existing case, by the number read out on the phone."""

    contact = _id_field()
    number = forms.CharField(label=gettext_lazy("Case number"), max_length=30,
                             widget=forms.TextInput(attrs={"placeholder": "HN-2026-000123",
                                                           "autocomplete": "off"}))


class CaseFilterForm(forms.Form):
    """The case list's filters, read from GET parameters (bookmarkable)."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100,
                        widget=forms.SearchInput(attrs={
                            "placeholder": gettext_lazy("Case number or name (with or without accents)"),
                            "autocomplete": "off"}))
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=[EVERY, *CaseStatus.choices])
    type = forms.ChoiceField(label=gettext_lazy("Case type"), required=False,
                             choices=[EVERY, *CaseType.choices])
    stage = forms.CharField(label=gettext_lazy("Stage"), required=False, max_length=30)
    centre = forms.ChoiceField(label=gettext_lazy("Centre"), required=False)
    urgent = forms.ChoiceField(label=gettext_lazy("Urgency"), required=False, choices=[
        EVERY, ("1", gettext_lazy("Urgent only")), ("0", gettext_lazy("Not urgent"))])
    mine = forms.BooleanField(label=gettext_lazy("Only cases I manage"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000,
                              widget=forms.HiddenInput,
                              error_messages={"invalid": gettext_lazy("Not a valid page number."),
                                              "min_value": gettext_lazy("Not a valid page number."),
                                              "max_value": gettext_lazy("Not a valid page number.")})

    def __init__(self, *args, show_centre: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if show_centre:
            self.fields["centre"].choices = [EVERY] + [(c.code, c.name_vi) for c in Centre.objects.all()]
        else:
            del self.fields["centre"]

    def to_filter(self) -> CaseFilter:
        data = self.cleaned_data
        return CaseFilter(
            q=data.get("q") or "", status=data.get("status") or "", type=data.get("type") or "",
            stage=data.get("stage") or "", centre=data.get("centre") or "",
            mine=bool(data.get("mine")), urgent={"1": True, "0": False}.get(data.get("urgent") or ""))


class NoteForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Note (internal, never shared with partners)"),
                           max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}))


def _staff(case: Case):
    return User.objects.filter(is_active=True, centre_id=case.centre_id).order_by("full_name", "username")


class AssignForm(forms.Form):
    """Choose the case manager among active staff of the case's centre who may edit cases."""

    case_manager = forms.ChoiceField(label=gettext_lazy("Case manager"))

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_manager"].choices = [("", "—")] + [
            (u.pk, u.display_name) for u in _staff(case) if u.can(Perm.CASE_EDIT)]
        self.initial.setdefault("case_manager", case.case_manager_id or "")


class RestrictForm(forms.Form):
    """Name who, besides the case manager, may open the case. Nobody ticked: not restricted."""

    users = forms.MultipleChoiceField(label=gettext_lazy("People who may open this case"),
                                      required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].choices = [(u.pk, f"{u.display_name} ({u.get_role_display()})")
                                        for u in _staff(case) if u.role in CENTRE_ROLES]
        self.initial.setdefault("users", [str(pk) for pk in case.access.values_list("user_id", flat=True)])


class CloseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why is the case closed?"), max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31,
                                 error_messages=NUMBER_ERRORS)


class PersonForm(forms.Form):
    """Add a parent/caregiver, suspected perpetrator or witness to the case."""

    role = forms.ChoiceField(label=gettext_lazy("Role"),
                             choices=[(r.value, r.label) for r in ADDABLE_ROLES])
    name = forms.CharField(label=gettext_lazy("Name or alias"), required=False, max_length=150)
    sex = forms.ChoiceField(label=gettext_lazy("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    age = forms.IntegerField(label=gettext_lazy("Age"), required=False, min_value=0, max_value=120,
                             error_messages={"invalid": gettext_lazy("Age must be a whole number."),
                                             "min_value": gettext_lazy("Age must be a whole number between 0 and 120."),
                                             "max_value": gettext_lazy("Age must be a whole number between 0 and 120.")})
    notes = forms.CharField(label=gettext_lazy("Description"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}))
