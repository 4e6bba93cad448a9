"""Domain operations on contacts. The web UI, the API, commands and jobs all call these.

Input is a plain dict shaped like the API's JSON (see docs/api.md): ``channel``, ``kind``,
``topics``, ``summary``, ``notes``, ``actions_taken``, ``urgent``, the three times, a
``caller`` dict and a ``subjects`` list. Validation of every domain rule happens here, once,
and raises ``ContactInvalid`` with messages keyed by field path (``caller.phone``,
``subjects.0.commune``); nothing is written unless everything is valid.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongdai.accounts.models import Centre, User
from tongdai.accounts.roles import NONE, Perm, Reach
from tongdai.audit.models import Action
from tongdai.audit.services import audit_event, audit_record, audit_record_all
from tongdai.contacts.models import (
    AgeGroup,
    Channel,
    Contact,
    ContactTopic,
    Sex,
    Status,
    Subject,
    contact_reach,
    contact_reference,
)
from tongdai.core.fastinsert import insert_rows
from tongdai.core.ids import safe_id as _safe_id
from tongdai.core.phones import InvalidPhone, looks_like_phone, normalize_phone
from tongdai.core.refcache import ref_codes, ref_get, ref_many
from tongdai.core.statements import prepared
from tongdai.core.text import fold, search_terms
from tongdai.geo.models import Commune, Country, Province
from tongdai.reports.rollups import contact_changed, contact_snapshot
from tongdai.taxonomy.models import CallerRelation, ContactKind, Topic

MAX_SUBJECTS = 20
MAX_TOPICS = 20
TEXT_LIMITS = {"summary": 10_000, "notes": 20_000, "actions_taken": 5_000}
NAME_LIMIT = 150
MAX_AGE = 120
CLOCK_SKEW = datetime.timedelta(minutes=5)

CALLER_KEYS = {"phone", "name", "relation", "sex", "age", "age_group", "province", "commune",
               "country", "anonymous", "consent_keep", "consent_share"}
SUBJECT_KEYS = {"name", "sex", "age", "age_estimated", "age_group", "province", "commune", "country"}
TOP_KEYS = {"status", "channel", "received_at", "answered_at", "ended_at", "kind", "topics",
            "summary", "notes", "actions_taken", "urgent", "caller", "subjects"}


class ContactInvalid(Exception):
    """Input broke a rule. ``errors`` maps a field path to a message for a person."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class ContactConflict(Exception):
    """Someone else saved the contact since this editor loaded it."""


class ContactNotFound(Exception):
    """No contact with that id within the user's reach (also raised when it exists elsewhere)."""


class ContactForbidden(Exception):
    """The user may see the contact but not do this to it."""


# --------------------------------------------------------------------------- validation


@dataclass
class _Cleaned:
    fields: dict[str, Any] = field(default_factory=dict)
    topics: list[Topic] | None = None
    subjects: list[dict[str, Any]] | None = None


class _Validator:
    """Turns an input dict into model values, collecting every error before raising."""

    def __init__(self, existing: Contact | None):
        self.existing = existing
        self.errors: dict[str, str] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, message)

    # -- scalars

    def text(self, path: str, value: Any, limit: int) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            self.fail(path, _("Must be text."))
            return ""
        if "\x00" in value:
            self.fail(path, _("Contains a forbidden control character."))
            return ""
        value = value.strip()
        if len(value) > limit:
            self.fail(path, _("At most %(limit)d characters.") % {"limit": limit})
        return value

    def boolean(self, path: str, value: Any) -> bool:
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        self.fail(path, _("Must be true or false."))
        return False

    def age(self, path: str, value: Any) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, _("Age must be a whole number."))
            return None
        if not 0 <= value <= MAX_AGE:
            self.fail(path, _("Age must be between 0 and %(max)d.") % {"max": MAX_AGE})
            return None
        return value

    def choice(self, path: str, value: Any, choices, default: str) -> str:
        if value is None or value == "":
            return default
        if value not in choices.values:
            self.fail(path, _("Unknown value %(value)s.") % {"value": _short(value)})
            return default
        return value

    def moment(self, path: str, value: Any) -> datetime.datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                value = datetime.datetime.fromisoformat(value)
            except ValueError:
                self.fail(path, _("Not a valid date and time."))
                return None
        if not isinstance(value, datetime.datetime):
            self.fail(path, _("Not a valid date and time."))
            return None
        if timezone.is_naive(value):
            value = timezone.make_aware(value)  # entered in Asia/Ho_Chi_Minh
        if value > timezone.now() + CLOCK_SKEW:
            self.fail(path, _("Cannot be in the future."))
        return value

    # -- reference data

    def term(self, path: str, model, code: Any, current_code: str | None):
        """An active term, or the retired term the record already carries."""
        if code is None or code == "":
            return None
        if not isinstance(code, str):
            self.fail(path, _("Must be a code."))
            return None
        term = ref_get(model, code)
        if term is None or (not term.active and code != current_code):
            self.fail(path, _("Unknown code %(code)s.") % {"code": _short(code)})
            return None
        return term

    def place(self, prefix: str, data: dict) -> tuple[Province | None, Commune | None, Country | None]:
        province = commune = country = None
        p_code, c_code, k_code = data.get("province"), data.get("commune"), data.get("country")
        for key, code in (("province", p_code), ("commune", c_code), ("country", k_code)):
            if code not in (None, "") and not isinstance(code, str):
                self.fail(f"{prefix}.{key}", _("Must be a code."))
                return None, None, None
        if p_code:
            province = ref_get(Province, p_code)
            if province is None:
                self.fail(f"{prefix}.province", _("Unknown province code %(code)s.") % {"code": _short(p_code)})
        if c_code:
            commune = Commune.objects.select_related("province").filter(pk=c_code).first()
            if commune is None:
                self.fail(f"{prefix}.commune", _("Unknown commune code %(code)s.") % {"code": _short(c_code)})
            elif province is not None and commune.province_id != province.pk:
                self.fail(f"{prefix}.commune",
                          _("Commune %(commune)s is not in %(province)s.")
                          % {"commune": commune.name, "province": province.name})
                commune = None
            elif province is None and not p_code:
                province = commune.province
        if k_code:
            country = ref_get(Country, str(k_code).upper())
            if country is None:
                self.fail(f"{prefix}.country", _("Unknown country code %(code)s.") % {"code": _short(k_code)})
            elif country.pk == "VN":
                country = None  # in Vietnam: the province says where
            elif province is not None:
                self.fail(f"{prefix}.country", _("Give either a place in Vietnam or a country abroad, not both."))
        return province, commune, country

    # -- whole objects

    def caller(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("caller", _("Must be an object."))
            return {}
        self.unknown_keys("caller", data, CALLER_KEYS)
        existing = self.existing
        out: dict[str, Any] = {}
        anonymous = self.boolean("caller.anonymous", data.get("anonymous"))
        name = self.text("caller.name", data.get("name"), NAME_LIMIT)
        if anonymous and name:
            self.fail("caller.name", _("An anonymous caller has no name: clear the name or untick anonymous."))
        phone = ""
        raw_phone = data.get("phone")
        if raw_phone not in (None, ""):
            if not isinstance(raw_phone, str):
                self.fail("caller.phone", _("Must be text."))
            else:
                try:
                    phone = normalize_phone(raw_phone)
                except InvalidPhone:
                    self.fail("caller.phone", _("Not a valid phone number."))
        age = self.age("caller.age", data.get("age"))
        group = self.choice("caller.age_group", data.get("age_group"), AgeGroup, AgeGroup.UNKNOWN)
        province, commune, country = self.place("caller", data)
        out.update(
            caller_anonymous=anonymous,
            caller_name="" if anonymous else name,
            caller_phone=phone,
            caller_relation=self.term("caller.relation", CallerRelation, data.get("relation"),
                                      existing.caller_relation_id if existing else None),
            caller_sex=self.choice("caller.sex", data.get("sex"), Sex, Sex.UNKNOWN),
            caller_age=age,
            caller_age_group=AgeGroup.for_age(age) if age is not None else group,
            caller_province=province,
            caller_commune=commune,
            caller_country=country,
            caller_consent_keep=self.boolean("caller.consent_keep", data.get("consent_keep")),
            caller_consent_share=self.boolean("caller.consent_share", data.get("consent_share")),
        )
        return out

    def subjects(self, data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, list):
            self.fail("subjects", _("Must be a list."))
            return []
        if len(data) > MAX_SUBJECTS:
            self.fail("subjects", _("At most %(n)d people per contact.") % {"n": MAX_SUBJECTS})
            return []
        rows = []
        for i, item in enumerate(data):
            path = f"subjects.{i}"
            if not isinstance(item, dict):
                self.fail(path, _("Must be an object."))
                continue
            self.unknown_keys(path, item, SUBJECT_KEYS)
            age = self.age(f"{path}.age", item.get("age"))
            group = self.choice(f"{path}.age_group", item.get("age_group"), AgeGroup, AgeGroup.UNKNOWN)
            province, commune, country = self.place(path, item)
            rows.append(dict(
                position=i,
                name=self.text(f"{path}.name", item.get("name"), NAME_LIMIT),
                sex=self.choice(f"{path}.sex", item.get("sex"), Sex, Sex.UNKNOWN),
                age=age,
                age_estimated=self.boolean(f"{path}.age_estimated", item.get("age_estimated")),
                age_group=AgeGroup.for_age(age) if age is not None else group,
                province=province, commune=commune, country=country,
            ))
        return rows

    def topics(self, codes: Any) -> list[Topic]:
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            self.fail("topics", _("Must be a list of topic codes."))
            return []
        codes = list(dict.fromkeys(codes))
        if len(codes) > MAX_TOPICS:
            self.fail("topics", _("At most %(n)d topics.") % {"n": MAX_TOPICS})
            return []
        current = set(self.existing.topics.values_list("code", flat=True)) if self.existing else set()
        found = ref_many(Topic, codes)
        bad = [c for c in codes if c not in found or (not found[c].active and c not in current)]
        if bad:
            self.fail("topics", _("Unknown topic code(s): %(codes)s.") % {"codes": ", ".join(_short(c) for c in bad)})
            return []
        return [found[c] for c in codes]

    def unknown_keys(self, path: str, data: dict, allowed: set[str]) -> None:
        extra = sorted(set(data) - allowed)
        if extra:
            self.fail(path, _("Unknown field(s): %(fields)s.") % {"fields": ", ".join(_short(k) for k in extra)})


def _short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _clean(data: dict, existing: Contact | None) -> _Cleaned:
    """Validate ``data`` (a full create, or the keys present in a PATCH)."""
    v = _Validator(existing)
    if not isinstance(data, dict):
        raise ContactInvalid({"body": _("Must be an object.")})
    v.unknown_keys("body", data, TOP_KEYS)
    out = _Cleaned()
    f = out.fields
    if "channel" in data:
        if data["channel"] in (None, ""):
            v.fail("channel", _("Choose a channel."))
        else:
            f["channel"] = v.choice("channel", data["channel"], Channel, Channel.PHONE_111)
    for key in ("received_at", "answered_at", "ended_at"):
        if key in data:
            f[key] = v.moment(key, data[key])
    if "received_at" in f and f["received_at"] is None:
        v.fail("received_at", _("Required."))
    if "kind" in data:
        f["kind"] = v.term("kind", ContactKind, data["kind"], existing.kind_id if existing else None)
    for key, limit in TEXT_LIMITS.items():
        if key in data:
            f[key] = v.text(key, data[key], limit)
    if "urgent" in data:
        f["urgent"] = v.boolean("urgent", data["urgent"])
    if "caller" in data:
        f.update(v.caller(data["caller"]))
    if "subjects" in data:
        out.subjects = v.subjects(data["subjects"])
    if "topics" in data:
        out.topics = v.topics(data["topics"])
    if v.errors:
        raise ContactInvalid(v.errors)
    return out


def _check_times(contact: Contact) -> dict[str, str]:
    errors = {}
    if contact.answered_at and contact.answered_at < contact.received_at:
        errors["answered_at"] = _("Cannot be before the time received.")
    if contact.ended_at and contact.ended_at < (contact.answered_at or contact.received_at):
        errors["ended_at"] = _("Cannot be before the call was answered.")
    return errors


def _check_complete(contact: Contact, topics: list[Topic]) -> dict[str, str]:
    """What a completed contact must have, beyond what a draft needs."""
    errors = {}
    if contact.kind is None:
        errors["kind"] = _("Choose the kind of contact before completing.")
    elif contact.kind.substantive and not topics:
        errors["topics"] = _("Choose at least one topic before completing.")
    return errors


# --------------------------------------------------------------------------- writes


def _apply(contact: Contact, cleaned: _Cleaned) -> set[str]:
    """Set values on ``contact``; return the names of fields whose value changed."""
    changed = set()
    for name, value in cleaned.fields.items():
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed.add(name)
    return changed


def _save_related(contact: Contact, cleaned: _Cleaned, creating: bool) -> set[str]:
    changed = set()
    if cleaned.topics is not None:
        old = set() if creating else set(contact.topics.values_list("code", flat=True))
        new = {t.code for t in cleaned.topics}
        if old != new:
            if not creating:
                ContactTopic.objects.filter(contact=contact).exclude(topic_id__in=new).delete()
            insert_rows([ContactTopic(contact=contact, topic_id=c) for c in sorted(new - old)])
            changed.add("topics")
    subjects: list[Subject] = []
    if cleaned.subjects is not None:
        old_rows = [] if creating else [_subject_key(s) for s in contact.subjects.all()]
        new_rows = [_subject_key(Subject(**row)) for row in cleaned.subjects]
        if old_rows != new_rows:
            if not creating:
                contact.subjects.all().delete()
            subjects = [Subject(contact=contact, **row) for row in cleaned.subjects]
            insert_rows(subjects, returning_pk=True)
            changed.add("subjects")
    if creating:
        _remember_related(contact, cleaned.topics or [], subjects)
    return changed


def _remember_related(contact: Contact, topics: list[Topic], subjects: list[Subject]) -> None:
    """Keep the topics and subjects just written on the new ``contact`` as if prefetched
    (Django's prefetch cache, filled the way ``prefetch_related_objects`` fills it), so
    that answering with the new contact reads nothing back. Same order as a query gives:
    topics by (position, code), subjects by position (their ids follow it)."""
    _keep_prefetched(contact, "topics", contact.topics.all(), _in_taxonomy_order(topics))
    _keep_prefetched(contact, "subjects", contact.subjects.all(), subjects)


def _keep_prefetched(contact: Contact, name: str, queryset, rows) -> None:
    """Keep ``rows`` on ``contact`` as if ``prefetch_related(name)`` had read them:
    ``queryset`` (never run) holds them, as ``prefetch_related_objects`` leaves it."""
    queryset._result_cache, queryset._prefetch_done = list(rows), True
    contact.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def _in_taxonomy_order(topics) -> list[Topic]:
    """``topics`` in the order a query gives them (``Topic.Meta.ordering``: position, code)."""
    return sorted(topics, key=lambda t: (t.position, t.code))


def _subject_key(s: Subject) -> tuple:
    return (s.name, s.sex, s.age, s.age_estimated, s.age_group, s.province_id, s.commune_id, s.country_id)


def derived_fields(caller_name: str, caller_place: tuple[str | None, str | None],
                   subjects: list[tuple[str, str | None, str | None]]) -> tuple[str, str | None, str | None]:
    """``(search_text, province_id, commune_id)`` of a contact from its caller's name and
    place and its subjects' ``(name, province_id, commune_id)`` in order. The one rule for
    these derived columns: the service applies it on every write, and the benchmark
    generator (``tongdai.scale``) applies it to the rows it bulk-loads. Places may be given
    as codes or as ``Province``/``Commune`` objects; they come back as given."""
    names = [caller_name] + [name for name, _p, _c in subjects]
    search_text = fold(" | ".join(n for n in names if n))
    located = next((s for s in subjects if s[1]), None)
    province, commune = (located[1], located[2]) if located is not None else caller_place
    return search_text, province, commune


def _refresh_derived(contact: Contact) -> None:
    """Search text and the statistical location, recomputed from caller and subjects."""
    subjects = [(s.name, s.province_id, s.commune_id) for s in contact.subjects.all()]
    contact.search_text, contact.province_id, contact.commune_id = derived_fields(
        contact.caller_name, (contact.caller_province_id, contact.caller_commune_id), subjects)


@transaction.atomic
def contact_create(actor, data: dict, *, request=None, via: str = "ui",
                   draft_form: dict | None = None) -> Contact:
    """Record a new contact for ``actor``'s centre, as a draft or completed.

    ``data["status"]`` is ``"draft"`` (default) or ``"completed"``.
    """
    if not actor.can(Perm.CONTACT_CREATE) or not actor.centre_id:
        raise ContactForbidden(_("Your role cannot record contacts."))
    status = _status_of(data)
    cleaned = _clean({k: v for k, v in data.items() if k != "status"}, existing=None)
    now = timezone.now()
    contact = Contact(centre_id=actor.centre_id, counsellor=actor, created_at=now, updated_at=now,
                      received_at=now)
    _apply(contact, cleaned)
    errors = _check_times(contact)
    if status == Status.COMPLETED:
        errors.update(_check_complete(contact, cleaned.topics or []))
    if errors:
        raise ContactInvalid(errors)
    if status == Status.COMPLETED:
        contact.status, contact.completed_at = Status.COMPLETED, now
    else:
        contact.draft_form = draft_form or {}
    # Derived columns from the cleaned values (their Province/Commune objects included, so
    # the rollup keys below need no lookup): one INSERT, no follow-up UPDATE.
    contact.search_text, contact.province, contact.commune = derived_fields(
        contact.caller_name, (contact.caller_province, contact.caller_commune),
        [(row["name"], row["province"], row["commune"]) for row in cleaned.subjects or []])
    insert_rows([contact], returning_pk=True)  # Contact.save() without its per-call compile
    _save_related(contact, cleaned, creating=True)
    contact_changed(frozenset(), contact, topics=cleaned.topics or [])
    events = [audit_event(actor, Action.CREATE, obj=contact, request=request, via=via,
                          fields=[*cleaned.fields, *(["topics"] if cleaned.topics else []),
                                  *(["subjects"] if cleaned.subjects else [])],
                          detail={"status": contact.status})]
    if contact.status == Status.COMPLETED:
        events.append(audit_event(actor, Action.COMPLETE, obj=contact, request=request, via=via))
    audit_record_all(events)
    return contact


def contact_update(actor, contact_id: int, data: dict, *, version: int | None = None,
                   request=None, via: str = "ui", draft_form: dict | None = None) -> Contact:
    """Change the keys present in ``data``; ``data["status"] = "completed"`` completes it.

    ``version`` (optional) is the version the editor loaded; a mismatch raises
    ``ContactConflict`` and changes nothing. Completed contacts cannot go back to draft.
    """
    try:
        return _contact_update(actor, contact_id, data, version=version, request=request,
                               via=via, draft_form=draft_form)
    except (ContactNotFound, ContactForbidden):
        # Recorded after the update's transaction rolled back, or the refusal would
        # vanish from the trail with it.
        audit_record(actor, Action.DENIED, object_type="contact", object_id=_safe_id(contact_id),
                     request=request, via=via, detail={"attempt": "update"})
        raise


@transaction.atomic
def _contact_update(actor, contact_id: int, data: dict, *, version: int | None,
                    request, via: str, draft_form: dict | None) -> Contact:
    contact = _locked_for_edit(actor, contact_id)
    if version is not None and version != contact.version:
        raise ContactConflict(_("This contact was changed by someone else since you opened it. "
                                "Reload to see their changes."))
    before = contact_snapshot(contact)  # where it counts in the report rollups now
    wanted = _status_of(data) if "status" in data else None
    if wanted == Status.DRAFT and contact.status == Status.COMPLETED:
        raise ContactInvalid({"status": _("A completed contact cannot become a draft again.")})
    cleaned = _clean({k: v for k, v in data.items() if k != "status"}, existing=contact)
    changed = _apply(contact, cleaned)
    errors = _check_times(contact)
    completing = wanted == Status.COMPLETED and contact.status == Status.DRAFT
    topics = cleaned.topics if cleaned.topics is not None else list(contact.topics.all())
    if completing or contact.status == Status.COMPLETED:
        errors.update(_check_complete(contact, topics))
    if errors:
        raise ContactInvalid(errors)
    changed |= _save_related(contact, cleaned, creating=False)
    _refresh_derived(contact)
    now = timezone.now()
    if completing:
        contact.status, contact.completed_at, contact.draft_form = Status.COMPLETED, now, {}
    elif contact.status == Status.DRAFT and draft_form is not None:
        contact.draft_form = draft_form
    if changed or completing or draft_form is not None:
        contact.version += 1
        contact.updated_at = now
        contact.save()
        contact_changed(before, contact)
    if changed:
        audit_record(actor, Action.UPDATE, obj=contact, request=request, via=via, fields=changed)
    if completing:
        audit_record(actor, Action.COMPLETE, obj=contact, request=request, via=via)
    return contact


def _status_of(data: dict) -> str:
    status = data.get("status") or Status.DRAFT
    if status not in Status.values:
        raise ContactInvalid({"status": _("Must be draft or completed.")})
    return status


def _locked_for_edit(actor, contact_id: int) -> Contact:
    """The contact locked for update; ``contact_update`` audits the refusals."""
    pk = _safe_id(contact_id)  # an id past 2**63 is nobody's, not a database error
    contact = (Contact.objects.visible_to(actor).select_for_update()
               .filter(pk=pk).first()) if pk is not None else None
    if contact is None:
        raise ContactNotFound()
    if not contact.is_editable_by(actor):
        raise ContactForbidden(_("You may not change this contact."))
    return contact


def contact_call_ended(contact_id: int, ended_at: datetime.datetime, *, via: str = "pbx") -> bool:
    """The PBX reports that the call this contact records has ended: set ``ended_at``.

    A system write (no actor; ``tongdai.telephony`` calls it), made only while ``ended_at``
    is empty, so a time the counsellor corrected is kept. It does not bump ``version``:
    the intake form never carries ``ended_at``, so the counsellor's open form stays valid.
    Returns True when the time was set.
    """
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
        if contact is None or contact.ended_at is not None:
            return False
        contact.ended_at = max(ended_at, contact.answered_at or contact.received_at)
        contact.save(update_fields=["ended_at"])
        audit_record(None, Action.UPDATE, obj=contact, via=via, fields=["ended_at"])
    return True


# --------------------------------------------------------------------------- reads


def contact_get_for(actor, contact_id, *, request=None, via: str = "ui") -> Contact:
    """The contact if ``actor`` may see it, audited either way; else ``ContactNotFound``."""
    pk = _safe_id(contact_id)
    contact = None
    if pk is not None:
        contact = (Contact.objects.visible_to(actor)
                   .select_related("centre", "counsellor", "kind", "caller_relation",
                                   "caller_province", "caller_commune", "caller_country",
                                   "province", "commune")
                   .filter(pk=pk).first())
    if contact is None:
        audit_record(actor, Action.DENIED, object_type="contact", object_id=pk,
                     request=request, via=via, detail={"attempt": "view"})
        raise ContactNotFound()
    audit_record(actor, Action.VIEW, obj=contact, request=request, via=via)
    return contact


@dataclass
class ContactFilter:
    """Filters of the contact list, UI and API alike. Dates are local (Asia/Ho_Chi_Minh)
    calendar days, both ends inclusive."""

    q: str = ""
    phone: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    centre: str = ""
    channel: str = ""
    kind: str = ""
    topic: str = ""
    province: str = ""
    urgent: bool | None = None
    status: str = ""

    def used(self) -> dict[str, Any]:
        """Which filters were set, for the audit trail. Free text and phone are personal
        data: only their presence is recorded."""
        out: dict[str, Any] = {}
        for name in ("centre", "channel", "kind", "topic", "province", "status"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        for name in ("date_from", "date_to"):
            if getattr(self, name):
                out[name] = getattr(self, name).isoformat()
        if self.urgent is not None:
            out["urgent"] = self.urgent
        if self.q:
            out["q"] = True
        if self.phone:
            out["phone"] = True
        return out


def _local_day_start(day: datetime.date) -> datetime.datetime:
    tz = timezone.get_default_timezone()
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def contact_search(actor, flt: ContactFilter):
    """Contacts within reach matching ``flt``, newest first. Raises ``ContactInvalid`` for
    a filter value that cannot mean anything (bad phone, unknown code)."""
    return _contact_query(contact_reach(actor), _conditions(flt), flt.urgent)


@dataclass(frozen=True)
class _ParsedFilter:
    """What ``ContactFilter`` asks for, checked: the number in E.164, the folded search
    words, the topic codes (a category and its subcategories)."""

    phone: str
    terms: tuple[str, ...]
    topics: tuple[str, ...]


#: Filters comparing one column with one code: (filter name, column).
_EQUAL_FILTERS = (("centre", "centre_id"), ("channel", "channel"), ("kind", "kind_id"),
                  ("province", "province_id"), ("status", "status"))


def _parse_filter(flt: ContactFilter) -> _ParsedFilter:
    errors: dict[str, str] = {}
    phone = flt.phone.strip()
    terms: list[str] = []
    if flt.q.strip():
        if looks_like_phone(flt.q):
            phone = phone or flt.q
        else:
            terms = search_terms(flt.q)
    if phone:
        try:
            phone = normalize_phone(phone)
        except InvalidPhone:
            errors["phone"] = _("Not a valid phone number.")
    if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
        errors["to"] = _("The end date is before the start date.")
    if flt.channel and flt.channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if flt.status and flt.status not in Status.values:
        errors["status"] = _("Unknown status.")
    if flt.kind and ref_get(ContactKind, flt.kind) is None:
        errors["kind"] = _("Unknown code %(code)s.") % {"code": _short(flt.kind)}
    if flt.province and ref_get(Province, flt.province) is None:
        errors["province"] = _("Unknown province code %(code)s.") % {"code": _short(flt.province)}
    topics: tuple[str, ...] = ()
    if flt.topic:
        if ref_get(Topic, flt.topic) is None:
            errors["topic"] = _("Unknown topic code(s): %(codes)s.") % {"codes": _short(flt.topic)}
        else:
            # A category matches its subcategories too.
            every = ref_many(Topic, ref_codes(Topic)).values()
            topics = (flt.topic, *sorted(t.code for t in every if t.parent_id == flt.topic))
    if errors:
        raise ContactInvalid(errors)
    return _ParsedFilter(phone=phone, terms=tuple(terms), topics=topics)


def _conditions(flt: ContactFilter) -> list[tuple[str, str, str, Any]]:
    """The comparisons ``flt`` asks for, checked (``ContactInvalid`` otherwise): (slot kind,
    name, lookup, value) each; the lookup "topic" gathers codes for one EXISTS."""
    parsed = _parse_filter(flt)
    out: list[tuple[str, str, str, Any]] = []
    if parsed.phone:
        out.append(("text", "phone", "caller_phone", parsed.phone))
    out += [("contains", f"term{i}", "search_text__contains", term) for i, term in enumerate(parsed.terms)]
    if flt.date_from:
        out.append(("moment", "start", "received_at__gte", _local_day_start(flt.date_from)))
    if flt.date_to:
        out.append(("moment", "end", "received_at__lt", _local_day_start(flt.date_to + datetime.timedelta(days=1))))
    out += [("text", name, column, getattr(flt, name)) for name, column in _EQUAL_FILTERS if getattr(flt, name)]
    out += [("text", f"topic{i}", "topic", code) for i, code in enumerate(parsed.topics)]
    return out


def _contact_query(reach: Reach, conditions: list[tuple[str, str, str, Any]], urgent: bool | None,
                   value=None):
    """The contacts of ``reach`` meeting ``conditions`` (``_conditions``); ``value(kind,
    name)``, if given, supplies each compared value instead: a prepared statement's slot
    (``contact_list_page``)."""
    qs = Contact.objects.within(reach)
    topics = []
    for kind, name, lookup, given in conditions:
        compared = value(kind, name) if value else given
        if lookup == "topic":
            topics.append(compared)
        else:
            qs = qs.filter(**{lookup: compared})
    if topics:
        qs = qs.filter(Exists_topic(topics))
    if urgent is not None:
        qs = qs.filter(urgent=urgent)
    return qs


def Exists_topic(codes: list[str]) -> Q:  # noqa: N802 - reads as a query term
    from django.db.models import Exists, OuterRef

    return Q(Exists(ContactTopic.objects.filter(contact=OuterRef("pk"), topic_id__in=codes)))


def contact_page(qs, page: int, size: int) -> tuple[list[Contact], bool]:
    """One page of ``qs`` and whether another follows. No COUNT(*): on ten million rows
    a count is the slowest part of a list, and counsellors page, they do not count."""
    page = max(1, page)
    rows = list(qs.select_related("centre", "counsellor", "kind", "province")
                .prefetch_related("topics")[(page - 1) * size: page * size + 1])
    return rows[:size], len(rows) > size


#: Pages of the contact list served by prepared statements (LIMIT and OFFSET are part of
#: the SQL the ORM writes, so each page is a statement); later pages are built each time.
PREPARED_PAGES = 5
_LIST_COLUMNS = tuple(f.attname for f in Contact._meta.concrete_fields)


def contact_list_page(actor, flt: ContactFilter, page: int, size: int) -> tuple[list[Contact], bool]:
    """One page of the contacts within ``actor``'s reach matching ``flt``, newest first,
    and whether another follows: ``contact_page`` of ``contact_search``, the same rows
    with the same related objects (centre, counsellor, kind, province, topics).

    The list and the search counsellors run all day are prepared statements
    (``tongdai.core.statements``): ``_contact_query`` with reach from
    ``Contact.objects.within``, compiled once per reach scope, set of filters and page;
    the related reference rows come from the reference cache. Pages after
    ``PREPARED_PAGES`` are built by the ORM each time."""
    conditions = _conditions(flt)
    reach = contact_reach(actor)
    page = max(1, page)
    if reach.scope == NONE:
        return [], False
    if page > PREPARED_PAGES:
        return contact_page(_contact_query(reach, conditions, flt.urgent), page, size)

    def build(slot):
        slotted = Reach(reach.scope, slot.text("reach_centre"), slot.number("user"))
        makers = {"text": slot.text, "contains": slot.contains, "moment": slot.moment}
        qs = _contact_query(slotted, conditions, flt.urgent, lambda kind, name: makers[kind](name))
        return qs.values_list(*_LIST_COLUMNS, "counsellor__username",
                              "counsellor__full_name")[(page - 1) * size: page * size + 1]

    shape = tuple((kind, name, lookup) for kind, name, lookup, _value in conditions)
    values = {name: given for _kind, name, _lookup, given in conditions}
    key = ("contact_list", reach.scope, shape, flt.urgent, page, size)
    rows = prepared(Contact, key, build).rows(reach_centre=reach.centre_id, user=reach.user_id, **values)
    contacts = _contacts_from_rows(rows[:size])
    return contacts, len(rows) > size


def _contacts_from_rows(rows: list[tuple]) -> list[Contact]:
    """Contacts from ``_LIST_COLUMNS`` plus the counsellor's username and name, with their
    centre, kind, province (the reference cache's shared rows), counsellor (one instance
    per person, with only id, username and name loaded) and topics in place as
    ``contact_page`` leaves them. Lists are read, never changed: do not save these related
    rows."""
    alias = router.db_for_read(Contact)
    width = len(_LIST_COLUMNS)
    topics = _topic_codes([row[0] for row in rows]) if rows else {}
    # Each contact's prefetched topics: a queryset with its rows in place, as
    # prefetch_related leaves it; they share one never-run query.
    queryset_class, query = type(Topic.objects.all()), Topic.objects.all().query
    counsellors: dict[int, User] = {}
    out = []
    for row in rows:
        contact = Contact.from_db(alias, _LIST_COLUMNS, row[:width])
        for relation, model, code in ((_CENTRE, Centre, contact.centre_id),
                                      (_KIND, ContactKind, contact.kind_id),
                                      (_PROVINCE, Province, contact.province_id)):
            relation.set_cached_value(contact, ref_get(model, code) if code else None)
        counsellor = counsellors.get(contact.counsellor_id)
        if counsellor is None:  # one instance per counsellor of the page, as read-only as the cache's
            counsellor = counsellors[contact.counsellor_id] = User.from_db(
                alias, ("id", "username", "full_name"), (contact.counsellor_id, *row[width:]))
        _COUNSELLOR.set_cached_value(contact, counsellor)
        _keep_prefetched(contact, "topics", queryset_class(model=Topic, query=query, using=alias),
                         _topic_terms(topics.get(contact.pk, ())))
        out.append(contact)
    return out


_CENTRE, _KIND, _PROVINCE, _COUNSELLOR = (Contact._meta.get_field(name)
                                          for name in ("centre", "kind", "province", "counsellor"))


def audit_list(actor, contacts: list[Contact], flt: ContactFilter, *, request=None,
               via: str = "ui", page: int = 1) -> None:
    """Record which contacts a list or search showed to ``actor``."""
    action = Action.SEARCH if (flt.q or flt.phone) else Action.LIST
    audit_record(actor, action, object_type="contact", object_ids=[c.pk for c in contacts],
                 request=request, via=via, detail={"filters": flt.used(), "page": page,
                                                    "shown": len(contacts)})


@dataclass(frozen=True)
class HistoryItem:
    """One earlier contact in the caller-history panel: what the panel shows, nothing more
    (no caller details, no summary: the counsellor opens the contact for those)."""

    pk: int
    centre_id: str
    received_at: datetime.datetime
    status: str
    urgent: bool
    kind: ContactKind | None
    topics: tuple[Topic, ...]

    @property
    def reference(self) -> str:
        return contact_reference(self.centre_id, self.pk)

    @property
    def status_label(self) -> str:
        return Status(self.status).label


_HISTORY_COLUMNS = ("id", "centre_id", "received_at", "status", "urgent", "kind_id")


def caller_history(actor, phone: str, *, exclude_id: int | None = None, limit: int = 10,
                   request=None, via: str = "ui") -> list[HistoryItem]:
    """Earlier contacts from the same number, within ``actor``'s reach, newest first.

    Runs on every number typed during a call, so it is a prepared statement
    (``tongdai.core.statements``): the ORM query below, with reach from
    ``Contact.objects.within``, compiled once per reach scope; kinds and topics come from
    the reference cache."""
    try:
        e164 = normalize_phone(phone)
    except InvalidPhone:
        return []
    reach = contact_reach(actor)
    if reach.scope == NONE:
        return []
    limit = max(1, min(int(limit), 50))

    def build(slot):
        qs = Contact.objects.within(Reach(reach.scope, slot.text("centre"), slot.number("user")))
        qs = qs.filter(caller_phone=slot.text("phone"))
        if exclude_id:
            qs = qs.exclude(pk=slot.number("exclude"))
        return qs.values_list(*_HISTORY_COLUMNS)[:limit]

    values = {"centre": reach.centre_id, "user": reach.user_id, "phone": e164}
    if exclude_id:
        values["exclude"] = int(exclude_id)
    rows = prepared(Contact, ("caller_history", reach.scope, bool(exclude_id), limit), build).rows(**values)
    if not rows:
        return []
    ids = [row[0] for row in rows]
    topics = _topic_codes(ids)
    items = [HistoryItem(pk=pk, centre_id=centre, received_at=received, status=status, urgent=urgent,
                         kind=ref_get(ContactKind, kind) if kind else None,
                         topics=_topic_terms(topics.get(pk, ())))
             for pk, centre, received, status, urgent, kind in rows]
    audit_record(actor, Action.LIST, object_type="contact", object_ids=ids,
                 request=request, via=via, detail={"caller_history": True})
    return items


def _topic_codes(contact_ids: list[int]) -> dict[int, list[str]]:
    """``{contact id: [topic code, …]}`` of a few contacts (a prepared statement per count)."""

    def build(slot):
        ids = [slot.number(f"id{i}") for i in range(len(contact_ids))]
        return ContactTopic.objects.filter(contact_id__in=ids).values_list("contact_id", "topic_id")

    out: dict[int, list[str]] = {}
    statement = prepared(ContactTopic, ("topics_of", len(contact_ids)), build)
    for contact_id, code in statement.rows(**{f"id{i}": pk for i, pk in enumerate(contact_ids)}):
        out.setdefault(contact_id, []).append(code)
    return out


def _topic_terms(codes) -> tuple[Topic, ...]:
    """The cached topics of ``codes`` in the taxonomy's order."""
    return tuple(_in_taxonomy_order(ref_many(Topic, codes).values()))
