"""Cases endpoints. Every read and write goes through ``tongdai.cases.services``, which
scopes to the caller's reach (404 outside it; partner agencies and analysts reach no
case) and writes the audit trail."""

from __future__ import annotations

import datetime
from typing import Literal

from django.db.models import prefetch_related_objects
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictInt

from tongdai.api.schemas import ErrorOut, SafeStr, StrictIn, StrictStr, utc
from tongdai.cases.models import Case, CaseStatus, CaseType
from tongdai.cases.services import (
    CaseFilter,
    case_add_note,
    case_audit_list,
    case_get_for,
    case_list_page,
    case_open,
)

router = Router(tags=["cases"])

VIA = "api"
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          413: ErrorOut, 422: ErrorOut}

CaseTypeCode = Literal[tuple(CaseType.values)]  # type: ignore[valid-type]
CaseStatusCode = Literal[tuple(CaseStatus.values)]  # type: ignore[valid-type]


# --------------------------------------------------------------------------- schemas


class CaseCreateIn(StrictIn):
    contacts: list[StrictInt] = Field(description="Ids of completed contacts within your reach.",
                                      min_length=1, max_length=50)
    type: CaseTypeCode
    title: StrictStr | None = Field(None, max_length=200)


class NoteIn(StrictIn):
    text: StrictStr = Field(max_length=20_000)


class CaseListQuery(Schema):
    q: SafeStr = Field("", max_length=100, description="Case number, or a name (accents optional).")
    status: SafeStr = Field("", max_length=20, description='"open" or "closed".')
    type: SafeStr = Field("", max_length=40)
    stage: SafeStr = Field("", max_length=30)
    centre: SafeStr = Field("", max_length=10, description="HN, DN or AG.")
    mine: bool = Field(False, description="Only cases you manage.")
    urgent: bool | None = None
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(25, ge=1, le=100)


class CasePersonOut(Schema):
    role: str
    name: str
    sex: str
    age: int | None
    province: str | None
    commune: str | None
    country: str | None


class CaseOut(Schema):
    id: int
    number: str = Field(description="Read out on the phone, e.g. HN-2026-000123.")
    centre: str
    type: str
    stage: str
    status: str
    sensitivity: str
    urgent: bool
    title: str
    case_manager: str | None = Field(description="Username of the responsible case manager.")
    received_at: datetime.datetime
    opened_at: datetime.datetime
    closed_at: datetime.datetime | None
    contacts: list[int]
    people: list[CasePersonOut]
    version: int


class CasePageOut(Schema):
    items: list[CaseOut]
    page: int
    page_size: int
    has_next: bool


class NoteOut(Schema):
    id: int
    at: datetime.datetime
    kind: str


# --------------------------------------------------------------------------- endpoints


@router.post("/cases", response={201: CaseOut, **ERRORS}, url_name="case_create",
             operation_id="case_create", summary="Open a case from contacts")
def case_create_view(request, payload: CaseCreateIn):
    """Open a case from one or more completed contacts within your reach."""
    case = case_open(request.auth, list(payload.contacts), payload.type,
                     title=payload.title or "", request=request, via=VIA)
    return Status(201, case_out(case))


@router.get("/cases/{int:case_id}", response={200: CaseOut, **ERRORS}, url_name="case_detail",
            operation_id="case_get", summary="Get one case")
def case_detail_view(request, case_id: int):
    """One case within your reach; 404 when it does not exist or is outside it."""
    return case_out(case_get_for(request.auth, case_id, request=request, via=VIA))


@router.get("/cases", response={200: CasePageOut, **ERRORS}, url_name="case_list",
            operation_id="case_list", summary="List and search cases")
def case_list_view(request, filters: Query[CaseListQuery]):
    """Cases within your reach, newest first, one page at a time (no total count)."""
    flt = CaseFilter(q=filters.q, status=filters.status, type=filters.type, stage=filters.stage,
                     centre=filters.centre, mine=filters.mine, urgent=filters.urgent)
    rows, has_next = case_list_page(request.auth, flt, filters.page, filters.page_size)
    case_audit_list(request.auth, rows, flt, request=request, via=VIA, page=filters.page)
    return {"items": [case_out(c) for c in _with_relations(rows)], "page": filters.page,
            "page_size": filters.page_size, "has_next": has_next}


@router.post("/cases/{int:case_id}/notes", response={201: NoteOut, **ERRORS},
             url_name="case_note", operation_id="case_note", summary="Add an internal note")
def case_note_view(request, case_id: int, payload: NoteIn):
    """An internal note on the case timeline (never shared with partner agencies)."""
    event = case_add_note(request.auth, case_id, payload.text, request=request, via=VIA)
    return Status(201, {"id": event.pk, "at": utc(event.at), "kind": event.kind})


# --------------------------------------------------------------------------- output


def _with_relations(rows: list[Case]) -> list[Case]:
    prefetch_related_objects(rows, "people", "casecontact_set")
    return rows


def case_out(c: Case) -> dict:
    """The public JSON shape of a case (``CaseOut``): codes, not labels; UTC times."""
    return {
        "id": c.pk, "number": c.number, "centre": c.centre_id, "type": c.type, "stage": c.stage,
        "status": c.status, "sensitivity": c.sensitivity, "urgent": c.urgent, "title": c.title,
        "case_manager": c.case_manager.username if c.case_manager_id else None,
        "received_at": utc(c.received_at), "opened_at": utc(c.opened_at),
        "closed_at": utc(c.closed_at),
        "contacts": sorted(link.contact_id for link in c.casecontact_set.all()),
        "people": [{"role": p.role, "name": p.name, "sex": p.sex, "age": p.age,
                    "province": p.province_id, "commune": p.commune_id, "country": p.country_id}
                   for p in c.people.all()],
        "version": c.version,
    }
