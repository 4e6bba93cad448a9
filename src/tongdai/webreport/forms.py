"""Validation of a report and of added information: one set of rules for the web form and
the 111 app API (the API passes its JSON object to the same forms)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from tongdai.core.phones import InvalidPhone, normalize_phone
from tongdai.core.text import fold
from tongdai.geo.models import Province
from tongdai.webreport.models import Affected, ContactPreference

MAX_TEXT = 5000
SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class ReportForm(forms.Form):
    text = forms.CharField(label=_("What happened?"), max_length=MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 6}))
    affected = forms.ChoiceField(label=_("Who is affected?"), choices=Affected.choices,
                                 widget=forms.RadioSelect)
    province = forms.ChoiceField(label=_("Province or city"), required=False)
    urgent = forms.BooleanField(label=_("A child is in danger right now"), required=False)
    name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Your phone number"), max_length=32, required=False)
    contact_preference = forms.ChoiceField(
        label=_("How should we reach you?"), choices=ContactPreference.choices,
        required=False, initial=ContactPreference.RETURN, widget=forms.RadioSelect)
    submission_id = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        provinces = sorted(Province.objects.all(), key=lambda p: fold(p.short_name))
        self.fields["province"].choices = [("", _("I don't know / I prefer not to say"))] + [
            (p.code, p.short_name) for p in provinces]

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        try:
            return normalize_phone(raw)
        except InvalidPhone:
            raise forms.ValidationError(
                _("This is not a phone number we can call (e.g. 0912 345 678).")) from None

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data.get("name", "").split())

    def clean_contact_preference(self) -> str:
        return self.cleaned_data.get("contact_preference") or ContactPreference.RETURN

    def clean_submission_id(self) -> str:
        value = self.cleaned_data.get("submission_id", "")
        if value and not SUBMISSION_ID.fullmatch(value):
            raise forms.ValidationError(_("Invalid form token: reload the page."))
        return value

    def clean(self):
        data = super().clean()
        wants_contact = data.get("contact_preference") in (ContactPreference.PHONE,
                                                           ContactPreference.SMS)
        if wants_contact and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("Enter a phone number so that we can call or text you."))
        return data


class AddForm(forms.Form):
    text = forms.CharField(label=_("Add information"), max_length=MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 4}))


class ReturnForm(forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=40)
    passphrase = forms.CharField(label=_("Secret words"), max_length=200)
