"""Domain operations of the referral network: directory search, sending a referral, the
partner's steps (acknowledge, accept, decline, start, complete), the hotline's (revoke,
close), messages and notes. Views, API and jobs call these; none of them write rows.

Hotline-side writes lock the case through ``case_lock_for_edit`` (reach, permission,
case open). Partner-side writes cannot see the case, so they lock the referral through
``Referral.objects.visible_to(partner)``. Every step: a ``ReferralStep``, a line on the
case timeline (ids and codes only), an audit record (field names only), a version bump.
"""

from __future__ import annotations

import datetime
import importlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tongdai.accounts.models import Agency, AgencyType, User
from tongdai.accounts.roles import Perm
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.cases.models import CasePerson, EventKind, PersonRole
from tongdai.cases.services import (
    CaseConflict,
    CaseForbidden,
    CaseInvalid,
    CaseNotFound,
    case_event,
    case_lock_for_edit,
    case_touch,
)
from tongdai.core.ids import safe_id as _safe_id
from tongdai.core.phones import display_phone
from tongdai.core.text import fold
from tongdai.geo.models import Commune
from tongdai.referrals.models import (
    AgencyProfile,
    Jurisdiction,
    Outcome,
    Referral,
    ReferralMessage,
    ReferralNote,
    ReferralStatus,
    ReferralStep,
    Service,
    ShareField,
    WorkingGroupMember,
)

log = logging.getLogger(__name__)

TEXT_LIMIT = 5_000
#: Who may send, revoke and close referrals and message partners. Counsellors refer
#: urgent cases while still on the call, so opening cases is enough (not CASE_EDIT).
SEND_PERM = Perm.CASE_OPEN
#: Age from which a child's own consent is needed (Law 91/2025 on personal data).
CHILD_CONSENT_AGE = 7
ADULT_AGE = 18
S = ReferralStatus


class ReferralInvalid(Exception):
    """Input broke a rule; ``errors`` maps a field to a message for a person."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class ReferralNotFound(Exception):
    """No referral (or case) with that id within the user's reach."""


class ReferralForbidden(Exception):
    """The user may see the referral but not do this to it."""


class ReferralConflict(Exception):
    """Stale version, or a step out of order for the referral's current status."""




def _text(value, field: str, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str) or "\x00" in value or len(value) > TEXT_LIMIT:
        raise ReferralInvalid({field: _("At most %(limit)d characters of text.") % {"limit": TEXT_LIMIT}})
    if required and not value.strip():
        raise ReferralInvalid({field: _("Required.")})
    return value.strip()


def is_partner(user) -> bool:
    """Agency officers and commune workers: they see snapshots, never cases."""
    return user.can(Perm.REFERRAL_RECEIVE) and not user.can(Perm.CASE_VIEW)


# --------------------------------------------------------------------------- directory


@dataclass
class AgencyFilter:
    province: str = ""
    commune: str = ""
    type: str = ""
    service: str = ""
    q: str = ""


def directory_allowed(user) -> bool:
    return any(user.can(p) for p in (Perm.CASE_VIEW, Perm.CONTACT_VIEW, Perm.REFERRAL_RECEIVE))


def agency_search(flt: AgencyFilter):
    """Active agencies whose jurisdiction covers the place, plus national ones.

    An agency without a directory profile counts by its ``province`` (empty = national).
    By province: national, agencies covering the province, and commune-level agencies in
    it. By commune: national, agencies covering its province or the commune itself.
    Unknown codes → ``ReferralInvalid`` (a typo must not look like "no agency")."""
    errors = {}
    if flt.type and flt.type not in AgencyType.values:
        errors["type"] = _("Unknown agency type.")
    if flt.service and flt.service not in Service.values:
        errors["service"] = _("Unknown service.")
    commune = None
    if flt.commune:
        commune = Commune.objects.filter(pk=str(flt.commune)[:5]).first()
        if commune is None:
            errors["commune"] = _("Unknown commune.")
    province = commune.province_id if commune else (flt.province or "")
    if province and not _province_exists(province):
        errors["province"] = _("Unknown province.")
    if errors:
        raise ReferralInvalid(errors)
    qs = Agency.objects.filter(active=True).select_related("profile", "province")
    if province:
        qs = qs.filter(_covers(province, commune))
    if flt.type:
        qs = qs.filter(type=flt.type)
    if flt.service:
        qs = qs.filter(profile__services__contains=f",{flt.service},")
    for term in fold(flt.q or "").split()[:6]:
        qs = qs.filter(Q(profile__search_text__contains=term) | Q(name__icontains=term))
    return qs.order_by("province_id", "type", "name")


def _province_exists(code: str) -> bool:
    from tongdai.geo.models import Province

    return Province.objects.filter(pk=str(code)[:2]).exists()


def _covers(province: str, commune) -> Q:
    national = (Q(profile__jurisdiction=Jurisdiction.NATIONAL)
                | Q(profile__isnull=True, province__isnull=True))
    by_province = Q(profile__jurisdiction=Jurisdiction.PROVINCES) & Q(Exists(
        AgencyProfile.provinces.through.objects.filter(agencyprofile_id=OuterRef("profile"),
                                                       province_id=province)))
    legacy = Q(profile__isnull=True, province_id=province)
    if commune is None:
        local = Q(province_id=province) & ~Q(profile__jurisdiction=Jurisdiction.NATIONAL)
        return national | by_province | legacy | local
    by_commune = (Q(profile__commune_id=commune.pk) | (
        Q(profile__jurisdiction=Jurisdiction.COMMUNES) & Q(Exists(
            AgencyProfile.communes.through.objects.filter(agencyprofile_id=OuterRef("profile"),
                                                          commune_id=commune.pk)))))
    return national | by_province | legacy | by_commune


def agency_profile_set(agency: Agency, *, jurisdiction: str = Jurisdiction.PROVINCES,
                       provinces=(), communes=(), commune=None, services=(),
                       contact_points=(), hours: str = "", always_open: bool = False) -> AgencyProfile:
    """Create or replace an agency's directory entry (administration, demo data, tests)."""
    profile, _created = AgencyProfile.objects.update_or_create(agency=agency, defaults={
        "jurisdiction": jurisdiction, "commune": commune, "services": AgencyProfile.pack_services(services),
        "contact_points": list(contact_points), "hours": hours, "always_open": always_open,
        "search_text": fold(agency.name)})
    profile.provinces.set(provinces)
    profile.communes.set(communes)
    return profile


# --------------------------------------------------------------------------- snapshot


def _child(case) -> CasePerson | None:
    return (CasePerson.objects.filter(case=case, role=PersonRole.CHILD_VICTIM)
            .select_related("province", "commune", "country").order_by("id").first())


def _consenting_reporters(case) -> list[dict]:
    """Callers who agreed that their details be shared with agencies."""
    return [{"name": c.caller_name, "phone": display_phone(c.caller_phone)}
            for c in case.contacts.filter(caller_consent_share=True, caller_anonymous=False)
            if c.caller_name or c.caller_phone]


def share_values(case) -> dict[str, object]:
    """Every value the sender could choose to share, by ``ShareField`` code (the preview).

    Values are what a person reads, in Vietnamese whatever the sender's own language: the
    snapshot is the record of what was disclosed to a Vietnamese agency, frozen at sending.
    """
    with translation.override("vi"):
        return _share_values(case)


def _share_values(case) -> dict[str, object]:
    child = _child(case)
    values: dict[str, object] = {ShareField.CASE_TYPE: str(case.get_type_display())}
    if child is not None:
        values[ShareField.CHILD_NAME] = child.name
        values[ShareField.CHILD_AGE] = child.age if child.age is not None else str(child.get_age_group_display())
        values[ShareField.CHILD_SEX] = str(child.get_sex_display())
        if child.country_id:
            values[ShareField.CHILD_LOCATION] = str(child.country)
        else:
            place = [p for p in (child.commune.name if child.commune else "",
                                 child.province.name if child.province else "") if p]
            values[ShareField.CHILD_LOCATION] = ", ".join(place)
    summaries = [c.summary for c in case.contacts.order_by("received_at") if c.summary]
    values[ShareField.SUMMARY] = "\n\n".join(summaries)
    reporters = _consenting_reporters(case)
    if reporters:
        values[ShareField.REPORTER_CONTACT] = reporters
    return values


def referral_preview(case, share) -> dict:
    """Exactly what the partner will see for ``share`` (the frozen snapshot, unsaved)."""
    values = share_values(case)
    fields = {code: values[code] for code in share if code in values}
    return {"case_number": case.number, "fields": fields}


def _child_age(case, given):
    if given not in (None, ""):
        try:
            age = int(given)
        except (TypeError, ValueError):
            raise ReferralInvalid({"consent.child_age": _("Must be a whole number.")}) from None
        if not 0 <= age <= 120:
            raise ReferralInvalid({"consent.child_age": _("Must be between 0 and 120.")})
        return age
    child = _child(case)
    return child.age if child is not None else None


def check_consent(age: int | None, child: bool, representative: bool, emergency: bool,
                  reason: str) -> None:
    """Consent rule (Law 91/2025; Decree 356/2025): a child aged 7 or over and their
    representative both consent; under 7 the representative; an adult themselves; an
    unknown age needs both. Waived only when life or health is in danger, with a reason."""
    if emergency:
        if not reason:
            raise ReferralInvalid({"consent.reason": _(
                "Say why life or health is in danger to send without consent.")})
        return
    if age is not None and age >= ADULT_AGE:
        needed = {"consent.child": child}
    elif age is not None and age < CHILD_CONSENT_AGE:
        needed = {"consent.representative": representative}
    else:
        needed = {"consent.child": child, "consent.representative": representative}
    missing = [k for k, ok in needed.items() if not ok]
    if missing:
        raise ReferralInvalid({k: _(
            "Consent is required: a child aged 7 or over and their representative must both "
            "agree, unless life or health is in danger (then mark the emergency exemption "
            "and say why).") for k in missing})


def _share(case, share) -> list[str]:
    if not isinstance(share, list) or not all(isinstance(s, str) for s in share):
        raise ReferralInvalid({"share": _("Must be a list of field codes.")})
    unknown = [s for s in share if s not in ShareField.values]
    if unknown:
        raise ReferralInvalid({"share": _("Unknown field(s): %(codes)s.") % {
            "codes": ", ".join(s[:30] for s in unknown[:5])}})
    if ShareField.REPORTER_CONTACT in share and not _consenting_reporters(case):
        raise ReferralInvalid({"share": _(
            "The reporter did not agree to share their details with agencies.")})
    return list(dict.fromkeys(share))


# --------------------------------------------------------------------------- sending


def _case_lock(actor, case_id, *, allow_closed=False):
    """``case_lock_for_edit`` with the case exceptions spoken as referral exceptions."""
    try:
        return case_lock_for_edit(actor, case_id, perm=SEND_PERM, allow_closed=allow_closed)
    except CaseNotFound:
        raise ReferralNotFound() from None
    except CaseForbidden as exc:
        raise ReferralForbidden(str(exc)) from None
    except CaseInvalid as exc:
        raise ReferralInvalid(exc.errors) from None
    except CaseConflict as exc:
        raise ReferralConflict(str(exc)) from None


class _audited:
    """Audit a NotFound/Forbidden refusal after the transaction rolled back."""

    def __init__(self, actor, object_type, object_id, attempt, request, via):
        self.args = (actor, object_type, _safe_id(object_id), attempt, request, via)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, (ReferralNotFound, ReferralForbidden)):
            actor, object_type, object_id, attempt, request, via = self.args
            audit_record(actor, Action.DENIED, object_type=object_type, object_id=object_id,
                         request=request, via=via, detail={"attempt": attempt})
        return False


def referral_send(actor, case_id, data: dict, *, request=None, via: str = "ui") -> Referral:
    """Send a case (or a plan item) to an agency. ``data``: agency (id), reason, urgent,
    consent {child, representative, child_age?, emergency_exemption, reason}, share
    [codes], plan_item_id?, plan_item_label?. The shared values are frozen now."""
    with _audited(actor, "case", case_id, "referral_send", request, via):
        return _send(actor, case_id, data if isinstance(data, dict) else {}, request, via)


@transaction.atomic
def _send(actor, case_id, data, request, via) -> Referral:
    case = _case_lock(actor, case_id)
    agency = Agency.objects.filter(pk=_safe_id(data.get("agency")), active=True).first()
    if agency is None:
        raise ReferralInvalid({"agency": _("Unknown agency.")})
    reason = _text(data.get("reason"), "reason", required=True)
    consent = data.get("consent") or {}
    if not isinstance(consent, dict):
        raise ReferralInvalid({"consent": _("Must be an object.")})
    age = _child_age(case, consent.get("child_age"))
    emergency = bool(consent.get("emergency_exemption"))
    emergency_reason = _text(consent.get("reason"), "consent.reason")
    check_consent(age, bool(consent.get("child")), bool(consent.get("representative")),
                  emergency, emergency_reason)
    share = _share(case, data.get("share") or [])
    plan_item = data.get("plan_item_id")
    if plan_item not in (None, "") and _safe_id(plan_item) is None:
        raise ReferralInvalid({"plan_item_id": _("Must be a whole number.")})
    now = timezone.now()
    referral = Referral.objects.create(
        case=case, agency=agency, reason=reason, urgent=bool(data.get("urgent")),
        plan_item_id=_safe_id(plan_item), plan_item_label=_text(data.get("plan_item_label"), "plan_item_label")[:200],
        consent_child=bool(consent.get("child")), consent_representative=bool(consent.get("representative")),
        child_age=age, emergency_exemption=emergency, emergency_reason=emergency_reason,
        share=share, snapshot=referral_preview(case, share), sent_at=now, sent_by=actor, updated_at=now)
    _step(referral, actor, S.SENT, now=now)
    case_touch(case)
    audit_record(actor, Action.CREATE, obj=referral, request=request, via=via,
                 fields=["agency", "reason", "urgent", "consent", *[f"share.{s}" for s in share]],
                 detail={"case": case.pk, "agency": agency.pk})
    if referral.urgent:
        _deadline("deadline_open", case, "referral_ack", start=now, actor=actor, ref=str(referral.pk))
    _notify_agency(referral)
    return referral


def _step(referral: Referral, actor, status: str, *, text: str = "", now=None) -> None:
    now = now or timezone.now()
    ReferralStep.objects.create(referral=referral, status=status, at=now, by=actor, text=text)
    case_event(referral.case, actor, EventKind.REFERRAL, f"{referral.agency.name}: {status}",
               referral=referral.pk, agency=referral.agency_id, status=status)


def _deadline(func: str, case, kind: str, **kwargs) -> None:
    """Call the deadlines app if it is installed (it is written alongside this one)."""
    try:
        from tongdai.deadlines import services as deadlines
    except ImportError:  # pragma: no cover - deadlines app missing
        return
    getattr(deadlines, func)(case, kind, **kwargs)


def referral_ack_hours() -> int:
    return int(getattr(settings, "TONGDAI_REFERRAL_ACK_HOURS", 2))


def referral_ack_due(referral: Referral) -> datetime.datetime:
    return referral.sent_at + datetime.timedelta(hours=referral_ack_hours())


# --------------------------------------------------------------------------- notifications


def agency_users(agency: Agency) -> list[User]:
    """The people who receive an agency's referrals: its officers, and for a commune
    committee the commune's child-protection workers."""
    users = Q(agency=agency)
    profile = AgencyProfile.objects.filter(agency=agency).first()
    if agency.type == AgencyType.COMMUNE_COMMITTEE and profile and profile.commune_id:
        users |= Q(commune_id=profile.commune_id)
    return [u for u in User.objects.filter(users, is_active=True) if u.can(Perm.REFERRAL_RECEIVE)]


def _notify_agency(referral: Referral) -> None:
    """Tell the agency (portal + e-mail): case number and agency only, no personal data."""
    text = _("New referral: case %(number)s to %(agency)s.") % {
        "number": referral.case.number, "agency": referral.agency.name}
    recipients = agency_users(referral.agency)
    if recipients:
        notify_users(recipients, text, _portal_url(referral))


def _portal_url(referral: Referral) -> str:
    from django.urls import reverse

    return reverse("portal_referral", args=[referral.pk])


def notify_users(users: list, text: str, url: str) -> None:
    """Through the notifications app when present; otherwise e-mail only."""
    for module in ("tongdai.notifications.services", "tongdai.deadlines.services"):
        try:
            notify = importlib.import_module(module).notify
        except (ImportError, AttributeError):
            continue
        notify(users, text, url)
        return
    emails = [u.email for u in users if u.email]
    if emails:
        transaction.on_commit(lambda: _mail(text, url, emails))


def _mail(text: str, url: str, emails: list[str]) -> None:
    try:
        send_mail(text, f"{text}\n{url}", None, emails, fail_silently=False)
    except OSError:
        log.warning("referral e-mail could not be sent")


def working_group_recipients(referral: Referral) -> list[User]:
    """Inter-agency working group members (as users) for the referral's agency type:
    told when an urgent referral is not acknowledged in time."""
    members = (WorkingGroupMember.objects.filter(agency_type=referral.agency.type, active=True,
                                                 user__is_active=True).select_related("user"))
    return list(dict.fromkeys(m.user for m in members))


def escalation_recipients(deadline) -> list[User]:
    """Hook for the deadlines escalation job: for a ``referral_ack`` deadline, the working
    group members of the agency's type; nothing for other kinds."""
    if getattr(deadline, "kind", "") != "referral_ack":
        return []
    referral = Referral.objects.filter(pk=_safe_id(getattr(deadline, "ref", ""))).select_related("agency").first()
    return working_group_recipients(referral) if referral else []


# --------------------------------------------------------------------------- partner steps

#: step → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset, str]] = {
    "acknowledge": (frozenset({S.SENT}), S.ACKNOWLEDGED),
    "accept": (frozenset({S.ACKNOWLEDGED}), S.ACCEPTED),
    "decline": (frozenset({S.SENT, S.ACKNOWLEDGED}), S.DECLINED),
    "start": (frozenset({S.ACCEPTED}), S.IN_PROGRESS),
    "complete": (frozenset({S.ACCEPTED, S.IN_PROGRESS}), S.COMPLETED),
    "revoke": (frozenset({S.SENT, S.ACKNOWLEDGED, S.ACCEPTED, S.IN_PROGRESS}), S.REVOKED),
    "close": (frozenset({S.COMPLETED, S.DECLINED}), S.CLOSED),
}
PARTNER_STEPS = frozenset({"acknowledge", "accept", "decline", "start", "complete"})
HOTLINE_STEPS = frozenset({"revoke", "close"})


def _lock_for_partner(actor, referral_id, version) -> Referral:
    if not actor.can(Perm.REFERRAL_RECEIVE):
        if Referral.objects.visible_to(actor).filter(pk=_safe_id(referral_id)).exists():
            raise ReferralForbidden(_("Only the agency the case was referred to can do this."))
        raise ReferralNotFound()
    pk = _safe_id(referral_id)
    referral = (Referral.objects.visible_to(actor).select_for_update(of=("self",))
                .select_related("agency", "case").filter(pk=pk).first()) if pk else None
    if referral is None:
        raise ReferralNotFound()
    _check_version(referral, version)
    return referral


def _lock_for_hotline(actor, referral_id, version) -> Referral:
    pk = _safe_id(referral_id)
    found = Referral.objects.visible_to(actor).filter(pk=pk).values_list("case_id", flat=True).first() if pk else None
    if found is None or not actor.can(Perm.CASE_VIEW):
        if found is not None:
            raise ReferralForbidden(_("Only the hotline can do this."))
        raise ReferralNotFound()
    _case_lock(actor, found, allow_closed=True)
    referral = (Referral.objects.select_for_update(of=("self",)).select_related("agency", "case")
                .get(pk=pk))
    _check_version(referral, version)
    return referral


def _check_version(referral: Referral, version) -> None:
    if version not in (None, "") and _safe_id(version) != referral.version:
        raise ReferralConflict(_("This referral was changed by someone else since you opened "
                                 "it. Reload to see their changes."))


def _move(referral: Referral, step: str) -> str:
    sources, target = TRANSITIONS[step]
    if referral.status not in sources:
        raise ReferralConflict(_("This referral is %(status)s; it cannot be %(step)s now.") % {
            "status": referral.get_status_display().lower(), "step": _step_label(step)})
    return target


def _step_label(step: str) -> str:
    return {"acknowledge": _("acknowledged"), "accept": _("accepted"), "decline": _("declined"),
            "start": _("started"), "complete": _("completed"), "revoke": _("revoked"),
            "close": _("closed")}[step]


def referral_step(actor, referral_id, step: str, *, version=None, reason: str = "",
                  outcome: str = "", text: str = "", request=None, via: str = "ui") -> Referral:
    """Move a referral one step. Partners: acknowledge, accept, decline (reason),
    start, complete (outcome + text). Hotline: revoke (until completed), close."""
    if step not in TRANSITIONS:
        raise ReferralInvalid({"step": _("Unknown step.")})
    with _audited(actor, "referral", referral_id, step, request, via), transaction.atomic():
        if step in PARTNER_STEPS:
            referral = _lock_for_partner(actor, referral_id, version)
        else:
            referral = _lock_for_hotline(actor, referral_id, version)
        target = _move(referral, step)
        fields = ["status"]
        detail_text = ""
        if step == "decline":
            referral.decline_reason = detail_text = _text(reason, "reason", required=True)
            fields.append("decline_reason")
        elif step == "revoke":
            referral.revoke_reason = detail_text = _text(reason, "reason")
            fields.append("revoke_reason")
        elif step == "complete":
            if outcome not in Outcome.values:
                raise ReferralInvalid({"outcome": _("Choose an outcome.")})
            referral.outcome, referral.outcome_text = outcome, _text(text, "text")
            detail_text = referral.outcome_text
            fields += ["outcome", "outcome_text"]
        now = timezone.now()
        if step == "acknowledge":
            referral.acknowledged_at = now
            fields.append("acknowledged_at")
        referral.status = target
        referral.version += 1
        referral.updated_at = now
        referral.save(update_fields=[*fields, "version", "updated_at"])
        _step(referral, actor, target, text=detail_text, now=now)
        audit_record(actor, Action.UPDATE, obj=referral, request=request, via=via, fields=fields,
                     detail={"step": step, "case": referral.case_id})
        if step in ("acknowledge", "decline"):
            _deadline("deadline_meet", referral.case, "referral_ack", at=now, actor=actor,
                      ref=str(referral.pk))
        elif step == "revoke":
            _deadline("deadline_cancel", referral.case, "referral_ack", actor=actor,
                      ref=str(referral.pk))
        return referral


# --------------------------------------------------------------------------- messages, notes


def referral_message(actor, referral_id, text: str, *, request=None, via: str = "ui") -> ReferralMessage:
    """A message on the referral, from the partner or from the hotline."""
    with _audited(actor, "referral", referral_id, "message", request, via), transaction.atomic():
        partner = is_partner(actor)
        if partner:
            referral = _lock_for_partner(actor, referral_id, None)
        else:
            referral = _lock_for_hotline(actor, referral_id, None)
        body = _text(text, "text", required=True)
        message = ReferralMessage.objects.create(referral=referral, author=actor,
                                                 from_partner=partner, text=body)
        case_event(referral.case, actor, EventKind.REFERRAL, referral=referral.pk,
                   message=message.pk, from_partner=partner)
        audit_record(actor, Action.CREATE, obj=message, request=request, via=via, fields=["text"],
                     detail={"referral": referral.pk})
        return message


def referral_note(actor, referral_id, text: str, *, request=None, via: str = "ui") -> ReferralNote:
    """A progress note by the partner (while the referral is theirs to work on)."""
    with _audited(actor, "referral", referral_id, "note", request, via), transaction.atomic():
        referral = _lock_for_partner(actor, referral_id, None)
        if referral.status in (S.DECLINED, S.CLOSED):
            raise ReferralConflict(_("This referral is %(status)s; no more notes.") % {
                "status": referral.get_status_display().lower()})
        note = ReferralNote.objects.create(referral=referral, author=actor,
                                           text=_text(text, "text", required=True))
        case_event(referral.case, actor, EventKind.REFERRAL, referral=referral.pk, note=note.pk)
        audit_record(actor, Action.CREATE, obj=note, request=request, via=via, fields=["text"],
                     detail={"referral": referral.pk})
        return note


# --------------------------------------------------------------------------- reads


def referral_get_for(actor, referral_id, *, request=None, via: str = "ui") -> Referral:
    """The referral if ``actor`` may open it, audited either way; else ``ReferralNotFound``."""
    pk = _safe_id(referral_id)
    referral = (Referral.objects.visible_to(actor).select_related("agency", "case", "sent_by")
                .filter(pk=pk).first()) if pk else None
    if referral is None:
        audit_record(actor, Action.DENIED, object_type="referral", object_id=pk, request=request,
                     via=via, detail={"attempt": "view"})
        raise ReferralNotFound()
    audit_record(actor, Action.VIEW, obj=referral, request=request, via=via)
    return referral


INBOX_BOXES = {"new": [S.SENT], "open": [S.ACKNOWLEDGED, S.ACCEPTED, S.IN_PROGRESS],
               "closed": [S.DECLINED, S.COMPLETED, S.CLOSED]}


def referral_list(actor, *, box: str = "", status: str = ""):
    """Referrals within reach, newest first; ``box`` = new/open/closed (partner inbox)."""
    qs = Referral.objects.visible_to(actor).select_related("agency", "case")
    if box:
        if box not in INBOX_BOXES:
            raise ReferralInvalid({"box": _("Unknown inbox.")})
        qs = qs.filter(status__in=INBOX_BOXES[box])
    if status:
        if status not in ReferralStatus.values:
            raise ReferralInvalid({"status": _("Unknown status.")})
        qs = qs.filter(status=status)
    return qs


def referrals_of_case(actor, case) -> list[Referral]:
    """The referrals of a case the actor already opened (hotline page)."""
    return list(Referral.objects.visible_to(actor).filter(case=case)
                .select_related("agency", "sent_by").prefetch_related("steps__by", "messages__author",
                                                                      "notes__author"))


def audit_list(actor, rows, *, request=None, via: str = "ui") -> None:
    if rows:
        audit_record(actor, Action.LIST, object_type="referral", object_ids=[r.pk for r in rows],
                     request=request, via=via, detail={"list": True})
