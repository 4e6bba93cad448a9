"""The intake form: one screen to record a contact, and the contact-list filters.

The intake form only turns browser strings into Python values (numbers, dates, ticks).
Every domain rule (codes exist, the commune lies in the province, the phone is dialable)
belongs to ``contacts.services``; its errors, keyed by path (``caller.phone``,
``subjects.0.commune``), are mapped back onto these fields.

Field names are stable (end-to-end tests and the autosave script rely on them):

- ``channel``, ``received_at``, ``urgent``, ``kind``, ``topics`` (several values),
  ``summary``, ``actions_taken``, ``notes``
- ``caller-phone``, ``caller-anonymous``, ``caller-name``, ``caller-relation``, ``caller-sex``,
  ``caller-age``, ``caller-age_group``, ``caller-province``, ``caller-commune``,
  ``caller-country``, ``caller-consent_keep``, ``caller-consent_share``
- ``subjects-<n>-name``, ``-sex``, ``-age``, ``-age_estimated``, ``-age_group``,
  ``-province``, ``-commune``, ``-country`` for any number ``n`` (rows may have gaps:
  the browser adds and removes rows)
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from tongdai.contacts.models import AgeGroup, Channel, Contact, Sex, Status
from tongdai.contacts.services import MAX_SUBJECTS, ContactFilter
from tongdai.core.phones import display_phone
from tongdai.core.text import fold
from tongdai.geo.models import Commune, Country, Province
from tongdai.taxonomy.models import CallerRelation, ContactKind, Topic

#: What ``<input type="datetime-local">`` sends and expects.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
SUBJECT_NAME = re.compile(r"^subjects-(\d{1,3})-([a-z_]+)$")
MAIN_FIELDS = ("channel", "received_at", "urgent", "kind", "topics", "summary",
               "actions_taken", "notes")
CALLER_FIELDS = ("phone", "anonymous", "name", "relation", "sex", "age", "age_group",
                 "province", "commune", "country", "consent_keep", "consent_share")
SUBJECT_FIELDS = ("name", "sex", "age", "age_estimated", "age_group", "province", "commune",
                  "country")
CODE_FIELDS = {"kind", "relation", "province", "commune", "country"}
AGE_ERRORS = {"invalid": gettext_lazy("Age must be a whole number.")}
#: More rows than this in one post is tampering, not typing.
MAX_SUBJECT_ROWS = MAX_SUBJECTS + 10


class CodeField(forms.ChoiceField):
    """A ``<select>`` of reference codes. The contact service decides whether a code is
    valid (one rule in one place), so any submitted value passes here."""

    def valid_value(self, value: Any) -> bool:
        return True


class CodesField(forms.MultipleChoiceField):
    """Several reference codes; checked by the contact service like ``CodeField``."""

    def valid_value(self, value: Any) -> bool:
        return True


class SearchableSelect(forms.Select):
    """A select whose options carry ``data-search`` text for the type-ahead script."""

    def __init__(self, *args, search: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.search = search or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        extra = self.search.get(str(value))
        if extra:
            option["attrs"]["data-search"] = extra
        return option


class SearchableSelectMultiple(SearchableSelect, forms.SelectMultiple):
    allow_multiple_selected = True


def _sex_choices() -> list[tuple[str, str]]:
    # "Unknown" first: a row the browser adds empty must not default to a sex.
    return [(Sex.UNKNOWN, Sex.UNKNOWN.label)] + [c for c in Sex.choices if c[0] != Sex.UNKNOWN]


def _age_group_choices() -> list[tuple[str, str]]:
    return ([(AgeGroup.UNKNOWN, AgeGroup.UNKNOWN.label)]
            + [c for c in AgeGroup.choices if c[0] != AgeGroup.UNKNOWN])


class RefChoices:
    """Reference-data choices, loaded once per request and shared by every row."""

    def __init__(self) -> None:
        english = (get_language() or "vi").startswith("en")
        self.none = ("", _("— not given —"))
        provinces = sorted(Province.objects.only("code", "short_name", "name"),
                           key=lambda p: fold(p.short_name))
        self.provinces = [self.none] + [(p.code, p.short_name) for p in provinces]
        self.province_search = {p.code: fold(f"{p.short_name} {p.name} {p.code}") for p in provinces}
        countries = Country.objects.exclude(pk="VN").only("code", "name_vi", "name_en")
        country_rows = sorted(((c.code, c.name_en if english else c.name_vi, c) for c in countries),
                              key=lambda row: fold(row[1]))
        self.countries = [self.none] + [(code, label) for code, label, _c in country_rows]
        self.country_search = {code: fold(f"{c.name_vi} {c.name_en} {code}")
                               for code, _label, c in country_rows}
        self.relations = [self.none] + [(t.code, t.label) for t in CallerRelation.objects.active()]
        self.kinds = list(ContactKind.objects.active())
        self.topic_groups, self.topic_search = self._topics()
        self._communes: dict[str, list[tuple[str, str]]] = {}

    def _topics(self):
        topics = list(Topic.objects.active().select_related("parent"))
        children: dict[str | None, list[Topic]] = {}
        for topic in topics:
            children.setdefault(topic.parent_id, []).append(topic)
        groups, search = [], {}
        for category in children.get(None, []):
            options = [(category.code, _("%(category)s — general") % {"category": category.label})]
            options += [(t.code, t.label) for t in children.get(category.code, [])]
            groups.append((category.label, options))
        for topic in topics:
            search[topic.code] = fold(f"{topic.label_vi} {topic.label_en} {topic.code}")
        return groups, search

    def communes(self, province_code: str | None) -> list[tuple[str, str]]:
        """Communes of one province (the browser loads others on demand)."""
        code = province_code or ""
        if code not in self._communes:
            rows = []
            if code and len(code) <= 2:
                rows = list(Commune.objects.filter(province_id=code)
                            .order_by("name_folded").values_list("code", "name"))
            self._communes[code] = [self.none] + rows
        return self._communes[code]


def _keep_value(field: forms.ChoiceField, values: list[str], label_for=None) -> None:
    """Add submitted values missing from the choices, so a re-rendered form shows exactly
    what was sent (a retired code on an old record, or an invalid one with its error)."""
    known = set()
    for value, label in field.choices:
        if isinstance(label, (list, tuple)):
            known.update(str(v) for v, _l in label)
        else:
            known.add(str(value))
    missing = [v for v in values if v and v not in known]
    if missing:
        extra = [(v, (label_for(v) if label_for else None) or v) for v in missing]
        field.choices = [*field.choices, *extra]


def _term_label(model):
    def label(code: str) -> str | None:
        term = model.objects.filter(pk=code).first()
        return term.label if term else None
    return label


class PlaceMixin:
    """Province → commune → country fields shared by the caller and subject rows."""

    def setup_place(self, ref: RefChoices) -> None:
        # Widgets first: a ChoiceField hands its choices to the widget it has at the time.
        province = self.fields["province"]
        province.widget = SearchableSelect(search=ref.province_search, attrs={
            "data-combobox": "", "data-commune-select": self._id("commune")})
        province.choices = ref.provinces
        bound_province = self._raw("province")
        _keep_value(province, [bound_province])
        commune = self.fields["commune"]
        commune.widget = forms.Select(attrs={"data-combobox": "", "data-commune-of": self._id("province")})
        commune.choices = ref.communes(bound_province)
        _keep_value(commune, [self._raw("commune")], self._commune_label)
        country = self.fields["country"]
        country.widget = SearchableSelect(search=ref.country_search, attrs={"data-combobox": ""})
        country.choices = ref.countries
        _keep_value(country, [self._raw("country")])

    def _id(self, name: str) -> str:
        return f"id_{self.add_prefix(name)}"

    def _raw(self, name: str) -> str:
        if not self.is_bound:
            return ""
        value = self.data.get(self.add_prefix(name), "")
        return value if isinstance(value, str) else ""

    @staticmethod
    def _commune_label(code: str) -> str | None:
        commune = Commune.objects.select_related("province").filter(pk=code).first()
        return str(commune) if commune else None


class ContactMainForm(forms.Form):
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=Channel.choices,
                                initial=Channel.PHONE_111)
    received_at = forms.DateTimeField(
        label=gettext_lazy("Received at"), required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        error_messages={"invalid": gettext_lazy("Not a valid date and time.")})
    urgent = forms.BooleanField(
        label=gettext_lazy("Urgent: the child's life, health or dignity is at serious risk"),
        required=False,
        help_text=gettext_lazy("Decree 56/2017 Art. 26: the commune must intervene within 12 hours. "
                               "Tick only for a real emergency."))
    kind = CodeField(label=gettext_lazy("Kind of contact"), required=False)
    topics = CodesField(label=gettext_lazy("Topics"), required=False)
    summary = forms.CharField(label=gettext_lazy("Summary"), required=False, strip=False,
                              widget=forms.Textarea(attrs={"rows": 5}),
                              help_text=gettext_lazy("What happened, where the child is now, what the caller asks."))
    actions_taken = forms.CharField(label=gettext_lazy("Actions taken"), required=False, strip=False,
                                    widget=forms.Textarea(attrs={"rows": 3}))
    notes = forms.CharField(label=gettext_lazy("Counsellor's notes (internal, never shared)"),
                            required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, ref: RefChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind_terms = ref.kinds
        self.fields["kind"].choices = [(k.code, k.label) for k in ref.kinds]
        topics = self.fields["topics"]
        topics.widget = SearchableSelectMultiple(search=ref.topic_search,
                                                 attrs={"data-topic-picker": "", "size": 8})
        topics.choices = ref.topic_groups
        if self.is_bound:
            _keep_value(self.fields["kind"], [self.data.get("kind", "")], _term_label(ContactKind))
            _keep_value(topics, self.data.getlist("topics"), _term_label(Topic))

    def kind_groups(self) -> list[tuple[str, list[tuple[str, str, bool]]]]:
        """Kinds as radio groups: substantive contacts first, then the rest."""
        chosen = self["kind"].value() or ""
        groups = {"substantive": (_("Substantive"), []), "non_substantive": (_("Not substantive"), [])}
        for code, label in self.fields["kind"].choices:
            term = next((k for k in self.kind_terms if k.code == code), None)
            group = term.group if term and term.group in groups else "substantive"
            groups[group][1].append((code, label, code == chosen))
        return [g for g in groups.values() if g[1]]


class CallerForm(PlaceMixin, forms.Form):
    phone = forms.CharField(label=gettext_lazy("Phone number"), required=False, max_length=40,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    anonymous = forms.BooleanField(label=gettext_lazy("Caller wants to stay anonymous"), required=False)
    name = forms.CharField(label=gettext_lazy("Caller's name"), required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    relation = CodeField(label=gettext_lazy("Relation to the child / victim"), required=False)
    sex = forms.ChoiceField(label=gettext_lazy("Sex"), required=False, choices=_sex_choices)
    age = forms.IntegerField(label=gettext_lazy("Age"), required=False, error_messages=AGE_ERRORS,
                             widget=forms.NumberInput(attrs={"min": 0, "max": 120}))
    age_group = forms.ChoiceField(label=gettext_lazy("or age group"), required=False,
                                  choices=_age_group_choices)
    province = CodeField(label=gettext_lazy("Province / city"), required=False)
    commune = CodeField(label=gettext_lazy("Commune / ward"), required=False)
    country = CodeField(label=gettext_lazy("Country (if abroad)"), required=False)
    consent_keep = forms.BooleanField(label=gettext_lazy("Agrees that we keep their details"),
                                      required=False)
    consent_share = forms.BooleanField(label=gettext_lazy("Agrees that we share their details with agencies"),
                                       required=False)

    def __init__(self, *args, ref: RefChoices, **kwargs):
        super().__init__(*args, **kwargs)
        # Earlier contacts from this number appear beside the form as it is typed.
        self.fields["phone"].widget.attrs.update({
            "hx-get": reverse("caller_history"), "hx-target": "#caller-history",
            "hx-trigger": "change, keyup changed delay:500ms", "hx-include": "#id_contact_id",
            "hx-sync": "this:replace"})
        self.fields["relation"].choices = ref.relations
        if self.is_bound:
            _keep_value(self.fields["relation"], [self._raw("relation")], _term_label(CallerRelation))
        self.setup_place(ref)


class SubjectForm(PlaceMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name or alias"), required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    sex = forms.ChoiceField(label=gettext_lazy("Sex"), required=False, choices=_sex_choices)
    age = forms.IntegerField(label=gettext_lazy("Age"), required=False, error_messages=AGE_ERRORS,
                             widget=forms.NumberInput(attrs={"min": 0, "max": 120}))
    age_estimated = forms.BooleanField(label=gettext_lazy("estimated"), required=False)
    age_group = forms.ChoiceField(label=gettext_lazy("or age group"), required=False,
                                  choices=_age_group_choices)
    province = CodeField(label=gettext_lazy("Province / city"), required=False)
    commune = CodeField(label=gettext_lazy("Commune / ward"), required=False)
    country = CodeField(label=gettext_lazy("Country (if abroad)"), required=False)

    def __init__(self, *args, ref: RefChoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_place(ref)


class SubjectRow:
    """One person row on the form: its number in the field names and its form."""

    def __init__(self, index: int, form: SubjectForm):
        self.index = index
        self.form = form


def subject_indices(data) -> list[int]:
    """The row numbers present in posted data, in order (gaps allowed)."""
    found = set()
    for key in data.keys():
        match = SUBJECT_NAME.match(key)
        if match and match.group(2) in SUBJECT_FIELDS:
            found.add(int(match.group(1)))
    return sorted(found)[:MAX_SUBJECT_ROWS]


def _is_form_field(key: str) -> bool:
    if key in MAIN_FIELDS:
        return True
    if key.startswith("caller-") and key[len("caller-"):] in CALLER_FIELDS:
        return True
    match = SUBJECT_NAME.match(key)
    return bool(match and match.group(2) in SUBJECT_FIELDS)


class IntakeForms:
    """The whole intake screen: main fields, the caller, and one or more subject rows.

    ``to_data()`` builds the contact service's input from the fields that parsed and
    returns the errors of those that did not; ``apply_errors()`` puts the service's
    errors back on the fields; ``snapshot()`` is what a draft keeps of the screen.
    """

    def __init__(self, data: QueryDict | None = None, *, add_subject: bool = False):
        self.ref = RefChoices()
        self.is_bound = data is not None
        initial = None if data is not None else {"received_at": timezone.localtime().replace(second=0, microsecond=0)}
        self.main = ContactMainForm(data, ref=self.ref, initial=initial)
        self.caller = CallerForm(data, prefix="caller", ref=self.ref)
        indices = subject_indices(data) if data is not None else []
        if not indices:
            indices = [0]
        if add_subject and len(indices) < MAX_SUBJECT_ROWS:
            indices.append(indices[-1] + 1)
        self.subjects = [SubjectRow(i, SubjectForm(data, prefix=f"subjects-{i}", ref=self.ref))
                         for i in indices]
        self.subject_template = SubjectForm(prefix="subjects-__prefix__", ref=self.ref)
        self.non_field_errors: list[str] = []
        self._positions: list[int] = []  # service position -> row number

    # -- building the service input

    def to_data(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Service input from the fields that parsed; errors (by path) of those that did not."""
        errors: dict[str, str] = {}
        data = self._main_data(errors)
        data["caller"] = self._part_data(self.caller, CALLER_FIELDS, "caller", errors)
        subjects = []
        self._positions = []
        for row in self.subjects:
            if not _row_is_empty(row.form):
                position = len(subjects)
                subjects.append(self._part_data(row.form, SUBJECT_FIELDS, f"subjects.{position}", errors))
                self._positions.append(row.index)
        data["subjects"] = subjects
        return data, errors

    def _main_data(self, errors: dict[str, str]) -> dict[str, Any]:
        form = self.main
        form.is_valid()
        data: dict[str, Any] = {}
        for name in MAIN_FIELDS:
            if name == "received_at" and name not in form.data:
                continue  # not on the page at all (a hand-made post): the service says "now"
            if name in form.errors:
                errors[name] = form.errors[name][0]
            elif name in form.cleaned_data:
                data[name] = _service_value(name, form.cleaned_data[name])
        return data

    @staticmethod
    def _part_data(form: forms.Form, names, path: str, errors: dict[str, str]) -> dict[str, Any]:
        form.is_valid()
        out: dict[str, Any] = {}
        for name in names:
            if name in form.errors:
                errors[f"{path}.{name}"] = form.errors[name][0]
            elif name in form.cleaned_data:
                out[name] = _service_value(name, form.cleaned_data[name])
        return out

    # -- errors back onto fields

    def field_name(self, path: str) -> str | None:
        """The HTML field name for a service error path, or None for a form-wide error."""
        parts = path.split(".")
        if len(parts) == 1 and parts[0] in MAIN_FIELDS:
            return parts[0]
        if len(parts) == 2 and parts[0] == "caller" and parts[1] in CALLER_FIELDS:
            return f"caller-{parts[1]}"
        if len(parts) == 3 and parts[0] == "subjects" and parts[2] in SUBJECT_FIELDS:
            try:
                return f"subjects-{self._positions[int(parts[1])]}-{parts[2]}"
            except (ValueError, IndexError):
                return None
        return None

    def names_of(self, errors: dict[str, str]) -> dict[str, str]:
        """Service errors keyed by HTML field name (``__all__``: the whole form)."""
        by_name: dict[str, str] = {}
        for path, message in errors.items():
            key = self.field_name(path) or "__all__"
            by_name[key] = f"{by_name[key]} {message}" if key in by_name else message
        return by_name

    def apply_errors(self, errors: dict[str, str]) -> None:
        """Attach service errors (keyed by path) to the fields they are about."""
        for name, message in self.names_of(errors).items():
            self.add_named_error(name, message)

    def add_named_error(self, name: str, message: str) -> None:
        target = self._form_for(name)
        if target is None:
            if message not in self.non_field_errors:
                self.non_field_errors.append(message)
            return
        form, field = target
        if field not in form.errors:
            form.add_error(field, message)

    def _form_for(self, name: str) -> tuple[forms.Form, str] | None:
        if name in MAIN_FIELDS:
            return self.main, name
        if name.startswith("caller-"):
            return self.caller, name[len("caller-"):]
        match = SUBJECT_NAME.match(name)
        if match:
            for row in self.subjects:
                if row.index == int(match.group(1)):
                    return row.form, match.group(2)
        return None

    def errors_by_name(self) -> dict[str, str]:
        """Every field error, keyed by HTML field name (for the autosave response)."""
        out: dict[str, str] = {}
        for form in [self.main, self.caller, *(r.form for r in self.subjects)]:
            for field, messages in form.errors.items():
                if field != "__all__":
                    out[form.add_prefix(field)] = " ".join(messages)
        return out

    def error_list(self) -> list[tuple[str, str, str]]:
        """(label, message, element id) for the error summary at the top of the page."""
        out = [("", message, "") for message in self.non_field_errors]
        parts = [(self.main, ""), (self.caller, _("Caller"))]
        parts += [(row.form, f"{_('Child / victim')} {n}") for n, row in enumerate(self.subjects, 1)]
        for form, part in parts:
            for name, messages in form.errors.items():
                if name == "__all__":
                    out += [(part, message, "") for message in messages]
                    continue
                field = form[name]
                label = f"{part} › {field.label}" if part else str(field.label)
                anchor = "id_kind_none" if name == "kind" else field.auto_id
                out.append((label, " ".join(messages), anchor))
        return out

    # -- drafts

    def snapshot(self, data: QueryDict, errors_by_name: dict[str, str]) -> dict[str, Any]:
        """What a draft keeps: every intake field exactly as typed, and its errors."""
        fields = {key: data.getlist(key) for key in data.keys() if _is_form_field(key)}
        return {"fields": fields, "errors": errors_by_name}

    @classmethod
    def from_snapshot(cls, snapshot: Any) -> IntakeForms | None:
        """Rebuild the screen a draft was left in, errors included; None if unusable."""
        if not isinstance(snapshot, dict) or not isinstance(snapshot.get("fields"), dict):
            return None
        data = QueryDict(mutable=True)
        for key, values in snapshot["fields"].items():
            if _is_form_field(key) and isinstance(values, list):
                data.setlist(key, [v for v in values if isinstance(v, str)])
        forms_ = cls(data)
        forms_.to_data()
        errors = snapshot.get("errors")
        if isinstance(errors, dict):
            for name, message in errors.items():
                if isinstance(name, str) and isinstance(message, str):
                    forms_.add_named_error(name, message)
        return forms_


def _service_value(name: str, value: Any) -> Any:
    if name in CODE_FIELDS:
        return value or None  # an empty select means "not given"
    return value


def _row_is_empty(form: SubjectForm) -> bool:
    """A row nobody typed into is not a person."""
    data = form.data
    for name in SUBJECT_FIELDS:
        value = data.get(form.add_prefix(name), "")
        if name in ("sex", "age_group"):
            if value not in ("", Sex.UNKNOWN, AgeGroup.UNKNOWN):
                return False
        elif value not in ("", None):
            return False
    return True


def contact_form_data(contact: Contact) -> QueryDict:
    """The intake fields as a browser would post them for a saved contact."""
    data = QueryDict(mutable=True)

    def put(key: str, value: Any) -> None:
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif value is not None:
            data[key] = str(value)

    put("channel", contact.channel)
    put("received_at", timezone.localtime(contact.received_at).strftime(DATETIME_LOCAL))
    put("urgent", contact.urgent)
    put("kind", contact.kind_id or "")
    data.setlist("topics", sorted(contact.topics.values_list("code", flat=True)))
    for key in ("summary", "actions_taken", "notes"):
        put(key, getattr(contact, key))
    put("caller-phone", display_phone(contact.caller_phone))
    for key in ("anonymous", "name", "sex", "age", "age_group", "consent_keep", "consent_share"):
        put(f"caller-{key}", getattr(contact, f"caller_{key}"))
    for key in ("relation", "province", "commune", "country"):
        put(f"caller-{key}", getattr(contact, f"caller_{key}_id") or "")
    for i, subject in enumerate(contact.subjects.all()):
        for key in ("name", "sex", "age", "age_estimated", "age_group"):
            put(f"subjects-{i}-{key}", getattr(subject, key))
        for key in ("province", "commune", "country"):
            put(f"subjects-{i}-{key}", getattr(subject, f"{key}_id") or "")
    return data


def intake_forms_for(contact: Contact) -> IntakeForms:
    """The edit screen of a contact: a draft as it was typed, else the saved values."""
    if contact.status == Status.DRAFT and contact.draft_form:
        restored = IntakeForms.from_snapshot(contact.draft_form)
        if restored is not None:
            return restored
    return IntakeForms(contact_form_data(contact))


# --------------------------------------------------------------------------- list filters


class ContactFilterForm(forms.Form):
    """The contact list's filters, read from GET parameters (bookmarkable)."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100,
                        widget=forms.SearchInput(attrs={
                            "placeholder": gettext_lazy("Name (with or without accents) or phone number"),
                            "autocomplete": "off"}))
    date_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                error_messages={"invalid": gettext_lazy("Not a valid date.")})
    date_to = forms.DateField(label=gettext_lazy("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                              error_messages={"invalid": gettext_lazy("Not a valid date.")})
    centre = CodeField(label=gettext_lazy("Centre"), required=False)
    channel = CodeField(label=gettext_lazy("Channel"), required=False)
    kind = CodeField(label=gettext_lazy("Kind"), required=False)
    topic = CodeField(label=gettext_lazy("Topic"), required=False)
    province = CodeField(label=gettext_lazy("Province"), required=False)
    urgent = forms.ChoiceField(label=gettext_lazy("Urgency"), required=False, choices=[
        ("", gettext_lazy("All")), ("1", gettext_lazy("Urgent only")), ("0", gettext_lazy("Not urgent"))])
    status = CodeField(label=gettext_lazy("Status"), required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000,
                              widget=forms.HiddenInput,
                              error_messages={"invalid": gettext_lazy("Not a valid page number."),
                                              "min_value": gettext_lazy("Not a valid page number."),
                                              "max_value": gettext_lazy("Not a valid page number.")})

    def __init__(self, *args, show_centre: bool, **kwargs):
        super().__init__(*args, **kwargs)
        from tongdai.accounts.models import Centre

        every = ("", _("All"))
        if show_centre:
            self.fields["centre"].choices = [every] + [(c.code, c.name_vi) for c in Centre.objects.all()]
        else:
            del self.fields["centre"]
        self.fields["channel"].choices = [every, *Channel.choices]
        self.fields["kind"].choices = [every] + [(k.code, k.label) for k in ContactKind.objects.all()]
        topics = list(Topic.objects.select_related("parent"))
        self.fields["topic"].choices = [every] + [
            (t.code, f"{t.parent.label} › {t.label}" if t.parent_id else t.label) for t in topics]
        provinces = sorted(Province.objects.only("code", "short_name"), key=lambda p: fold(p.short_name))
        self.fields["province"].choices = [every] + [(p.code, p.short_name) for p in provinces]
        self.fields["status"].choices = [every, *Status.choices]

    def to_filter(self) -> ContactFilter:
        data = self.cleaned_data
        urgent = {"1": True, "0": False}.get(data.get("urgent") or "")
        return ContactFilter(
            q=data.get("q") or "", date_from=data.get("date_from"), date_to=data.get("date_to"),
            centre=data.get("centre") or "", channel=data.get("channel") or "",
            kind=data.get("kind") or "", topic=data.get("topic") or "",
            province=data.get("province") or "", urgent=urgent, status=data.get("status") or "")
