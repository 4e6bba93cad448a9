"""Referrals and the agencies directory. Every read and write goes through
``tongdai.referrals.services``: reach is ``Referral.objects.visible_to`` (404 outside it),
and a partner client (agency officer, commune worker) only ever gets the frozen snapshot
of what the sender chose to share, never the case."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.conf import settings
from ninja import Field, Query, Router, Schema, Status

from tongdai.api.schemas import ErrorOut, SafeStr, StrictIn, StrictStr, utc
from tongdai.referrals.models import Outcome, Referral, ShareField
from tongdai.referrals.services import (
    AgencyFilter,
    ReferralForbidden,
    agency_search,
    audit_list,
    directory_allowed,
    is_partner,
    referral_get_for,
    referral_list,
    referral_send,
    referral_step,
)

router = Router(tags=["referrals"])

VIA = "api"
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          413: ErrorOut, 422: ErrorOut}
ShareCode = Literal[tuple(ShareField.values)]  # type: ignore[valid-type]
OutcomeCode = Literal[tuple(Outcome.values)]  # type: ignore[valid-type]


class ConsentIn(StrictIn):
    child: bool = Field(False, description="The child (or adult victim) agreed.")
    representative: bool = Field(False, description="The child's representative agreed.")
    child_age: int | None = Field(None, description="Age at sending; default: the case's child.")
    emergency_exemption: bool = Field(False, description="Life or health in danger: send "
                                      "without consent (give `reason`).")
    reason: StrictStr = ""


class ReferralCreateIn(StrictIn):
    agency: int = Field(description="Agency id (see /agencies).")
    reason: StrictStr
    urgent: bool = False
    consent: ConsentIn = Field(default_factory=ConsentIn)
    share: list[ShareCode] = Field(default_factory=list, description=(
        "The fields the partner will see, frozen now. reporter_contact only if the caller "
        "agreed to share their details."))
    plan_item_id: int | None = None
    plan_item_label: StrictStr = ""


class StepIn(StrictIn):
    version: int | None = Field(None, description="The version you loaded; 409 if stale.")


class DeclineIn(StepIn):
    reason: StrictStr


class CompleteIn(StepIn):
    outcome: OutcomeCode
    text: StrictStr = ""


class RevokeIn(StepIn):
    reason: StrictStr = ""


class AgencyBrief(Schema):
    id: int
    name: str
    type: str


class StepOut(Schema):
    status: str
    at: datetime.datetime
    by: str | None = None
    text: str = ""


class MessageOut(Schema):
    at: datetime.datetime
    from_partner: bool
    text: str


class NoteOut(Schema):
    at: datetime.datetime
    text: str


class ReferralOut(Schema):
    id: int
    case: int | None = Field(None, description="Hotline clients only.")
    case_number: str
    agency: AgencyBrief
    status: str
    version: int
    urgent: bool
    reason: str
    plan_item_label: str
    snapshot: dict[str, Any] = Field(description="All the case data the partner sees.")
    share: list[str]
    consent: dict[str, Any] | None = Field(None, description="Hotline clients only.")
    sent_at: datetime.datetime
    acknowledged_at: datetime.datetime | None
    decline_reason: str
    outcome: str
    outcome_text: str
    steps: list[StepOut]
    messages: list[MessageOut]
    notes: list[NoteOut]


class ReferralPageOut(Schema):
    items: list[ReferralOut]
    page: int
    page_size: int
    has_next: bool


class ReferralListQuery(Schema):
    status: SafeStr = ""
    box: SafeStr = Field("", description="new, open or closed (partner inbox).")
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(min(settings.CONTACT_PAGE_SIZE, 100), ge=1, le=100)


class AgencyQuery(Schema):
    province: SafeStr = Field("", description="2-digit province code.")
    commune: SafeStr = Field("", description="5-digit commune code.")
    type: SafeStr = ""
    service: SafeStr = ""
    q: SafeStr = Field("", description="Part of the name, accents optional.")


class ContactPointOut(Schema):
    name: str = ""
    phone: str = ""
    email: str = ""


class AgencyOut(Schema):
    id: int
    name: str
    type: str
    province: str | None
    jurisdiction: str
    provinces: list[str]
    communes: list[str]
    commune: str | None
    services: list[str]
    contact_points: list[ContactPointOut]
    hours: str
    always_open: bool


class AgencyListOut(Schema):
    items: list[AgencyOut]


# --------------------------------------------------------------------------- endpoints


@router.post("/cases/{int:case_id}/referrals", response={201: ReferralOut, **ERRORS},
             url_name="referral_create", operation_id="referral_create", summary="Refer a case")
def referral_create_view(request, case_id: int, payload: ReferralCreateIn):
    """Send a case within your reach to an agency with the consent record and the
    fields to share. 422 for an unknown agency, missing consent, a closed case."""
    referral = referral_send(request.auth, case_id, payload.dict(), request=request, via=VIA)
    return Status(201, referral_out(referral, request.auth))


@router.get("/referrals", response={200: ReferralPageOut, **ERRORS}, url_name="referral_list",
            operation_id="referral_list", summary="List referrals")
def referral_list_view(request, filters: Query[ReferralListQuery]):
    """Referrals within your reach, newest first (partners: only those made to them)."""
    qs = referral_list(request.auth, box=filters.box, status=filters.status)
    size = filters.page_size
    rows = list(qs.prefetch_related("steps__by", "messages", "notes")
                [(filters.page - 1) * size: filters.page * size + 1])
    audit_list(request.auth, rows[:size], request=request, via=VIA)
    return {"items": [referral_out(r, request.auth) for r in rows[:size]], "page": filters.page,
            "page_size": size, "has_next": len(rows) > size}


@router.get("/referrals/{int:referral_id}", response={200: ReferralOut, **ERRORS},
            url_name="referral_detail", operation_id="referral_get", summary="Get one referral")
def referral_detail_view(request, referral_id: int):
    """One referral within your reach; partners see the snapshot only."""
    return referral_out(referral_get_for(request.auth, referral_id, request=request, via=VIA),
                        request.auth)


def _step_view(request, referral_id: int, step: str, **kwargs):
    referral = referral_step(request.auth, referral_id, step, request=request, via=VIA, **kwargs)
    return referral_out(referral, request.auth)


@router.post("/referrals/{int:referral_id}/acknowledge", response={200: ReferralOut, **ERRORS},
             operation_id="referral_acknowledge", summary="Acknowledge a referral (partner)")
def referral_acknowledge_view(request, referral_id: int, payload: StepIn | None = None):
    return _step_view(request, referral_id, "acknowledge", version=_v(payload))


@router.post("/referrals/{int:referral_id}/accept", response={200: ReferralOut, **ERRORS},
             operation_id="referral_accept", summary="Accept a referral (partner)")
def referral_accept_view(request, referral_id: int, payload: StepIn | None = None):
    return _step_view(request, referral_id, "accept", version=_v(payload))


@router.post("/referrals/{int:referral_id}/decline", response={200: ReferralOut, **ERRORS},
             operation_id="referral_decline", summary="Decline a referral with a reason (partner)")
def referral_decline_view(request, referral_id: int, payload: DeclineIn):
    return _step_view(request, referral_id, "decline", version=payload.version, reason=payload.reason)


@router.post("/referrals/{int:referral_id}/start", response={200: ReferralOut, **ERRORS},
             operation_id="referral_start", summary="Start work on a referral (partner)")
def referral_start_view(request, referral_id: int, payload: StepIn | None = None):
    return _step_view(request, referral_id, "start", version=_v(payload))


@router.post("/referrals/{int:referral_id}/complete", response={200: ReferralOut, **ERRORS},
             operation_id="referral_complete", summary="Complete a referral with its outcome (partner)")
def referral_complete_view(request, referral_id: int, payload: CompleteIn):
    return _step_view(request, referral_id, "complete", version=payload.version,
                      outcome=payload.outcome, text=payload.text)


@router.post("/referrals/{int:referral_id}/revoke", response={200: ReferralOut, **ERRORS},
             operation_id="referral_revoke", summary="Revoke a referral (hotline, until completed)")
def referral_revoke_view(request, referral_id: int, payload: RevokeIn | None = None):
    return _step_view(request, referral_id, "revoke", version=_v(payload),
                      reason=payload.reason if payload else "")


@router.get("/agencies", response={200: AgencyListOut, **ERRORS}, url_name="agency_list",
            operation_id="agency_list", summary="Search the agencies directory")
def agency_list_view(request, filters: Query[AgencyQuery]):
    """Active agencies whose jurisdiction covers the province/commune, plus national ones,
    filtered by type and service (at most 200)."""
    if not directory_allowed(request.auth):
        raise ReferralForbidden()
    flt = AgencyFilter(province=filters.province, commune=filters.commune, type=filters.type,
                       service=filters.service, q=filters.q)
    rows = list(agency_search(flt).prefetch_related("profile__provinces", "profile__communes")[:200])
    return {"items": [agency_out(a) for a in rows]}


# --------------------------------------------------------------------------- output


def _v(payload) -> int | None:
    return payload.version if payload is not None else None


def referral_out(r: Referral, user) -> dict:
    """The JSON shape of a referral; a partner gets the snapshot, never the case."""
    partner = is_partner(user)
    out = {
        "id": r.pk, "case": None if partner else r.case_id,
        "case_number": r.snapshot.get("case_number", ""),
        "agency": {"id": r.agency_id, "name": r.agency.name, "type": r.agency.type},
        "status": r.status, "version": r.version, "urgent": r.urgent, "reason": r.reason,
        "plan_item_label": r.plan_item_label, "snapshot": r.snapshot.get("fields", {}),
        "share": list(r.share), "sent_at": utc(r.sent_at),
        "acknowledged_at": utc(r.acknowledged_at), "decline_reason": r.decline_reason,
        "outcome": r.outcome, "outcome_text": r.outcome_text,
        "steps": [{"status": s.status, "at": utc(s.at), "text": s.text,
                   "by": None if partner else s.by.username} for s in r.steps.all()],
        "messages": [{"at": utc(m.at), "from_partner": m.from_partner, "text": m.text}
                     for m in r.messages.all()],
        "notes": [{"at": utc(n.at), "text": n.text} for n in r.notes.all()],
        "consent": None,
    }
    if not partner:
        out["consent"] = {"child": r.consent_child, "representative": r.consent_representative,
                          "child_age": r.child_age, "emergency_exemption": r.emergency_exemption,
                          "reason": r.emergency_reason}
    return out


def agency_out(a) -> dict:
    profile = getattr(a, "profile", None)
    return {
        "id": a.pk, "name": a.name, "type": a.type, "province": a.province_id,
        "jurisdiction": profile.jurisdiction if profile else ("provinces" if a.province_id else "national"),
        "provinces": [p.code for p in profile.provinces.all()] if profile else
        ([a.province_id] if a.province_id else []),
        "communes": [c.code for c in profile.communes.all()] if profile else [],
        "commune": profile.commune_id if profile else None,
        "services": profile.service_codes if profile else [],
        "contact_points": [{k: str(p.get(k, "")) for k in ("name", "phone", "email")}
                           for p in (profile.contact_points if profile else []) if isinstance(p, dict)],
        "hours": profile.hours if profile else "", "always_open": bool(profile and profile.always_open),
    }
