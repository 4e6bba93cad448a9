"""Contacts endpoints. Every read and write goes through ``tongdai.contacts.services``,
which scopes to the caller's reach (404 outside it) and writes the audit trail."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from ninja import Query, Router, Status

from tongdai.api.schemas import (
    ContactCreateIn,
    ContactListQuery,
    ContactOut,
    ContactPageOut,
    ContactPatchIn,
    ErrorOut,
    utc,
)
from tongdai.contacts.export import contact_export_csv
from tongdai.contacts.models import Contact
from tongdai.contacts.services import (
    ContactFilter,
    audit_list,
    contact_create,
    contact_get_for,
    contact_list_page,
    contact_update,
)

router = Router(tags=["contacts"])

VIA = "api"
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          413: ErrorOut, 422: ErrorOut}


@router.post("/contacts", response={201: ContactOut, **ERRORS}, url_name="contact_create",
             operation_id="contact_create", summary="Record a contact")
def contact_create_view(request, payload: ContactCreateIn):
    """Record a contact (a draft unless `status` is "completed") for your centre."""
    contact = contact_create(request.auth, payload.dict(exclude_unset=True),
                             request=request, via=VIA)
    return Status(201, contact_out(contact))


@router.get("/contacts/{int:contact_id}", response={200: ContactOut, **ERRORS},
            url_name="contact_detail",
            operation_id="contact_get", summary="Get one contact")
def contact_detail_view(request, contact_id: int):
    """One contact within your reach; 404 when it does not exist or is outside it."""
    return contact_out(contact_get_for(request.auth, contact_id, request=request, via=VIA))


@router.patch("/contacts/{int:contact_id}", response={200: ContactOut, **ERRORS},
              url_name="contact_update",
              operation_id="contact_update", summary="Change a contact")
def contact_update_view(request, contact_id: int, payload: ContactPatchIn):
    """Change the fields present; `caller`, `subjects` and `topics` are replaced whole."""
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    contact = contact_update(request.auth, contact_id, data, version=version,
                             request=request, via=VIA)
    return contact_out(contact)


@router.get("/contacts", response={200: ContactPageOut, **ERRORS}, url_name="contact_list",
            operation_id="contact_list", summary="List and search contacts")
def contact_list_view(request, filters: Query[ContactListQuery]):
    """Contacts within your reach, newest first, one page at a time (no total count)."""
    flt = _filter(filters)
    rows, has_next = contact_list_page(request.auth, flt, filters.page, filters.page_size)
    prefetch_related_objects(rows, "subjects")
    audit_list(request.auth, rows, flt, request=request, via=VIA, page=filters.page)
    return {"items": [contact_out(c) for c in rows], "page": filters.page,
            "page_size": filters.page_size, "has_next": has_next}


@router.get("/contacts/export", response={200: None, **ERRORS}, url_name="contact_export",
            operation_id="contact_export", summary="Export contacts as CSV")
def contact_export_view(request, filters: Query[ContactListQuery]):
    """The filtered contacts within your reach as CSV (UTF-8 with BOM), without names,
    phone numbers or free text. Supervisors, centre managers and national administrators
    only; each export is audited with the ids it contained. `page` is ignored."""
    text = contact_export_csv(request.auth, _filter(filters), request=request, via=VIA)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tongdai-contacts.csv"'
    return response


def _filter(filters: ContactListQuery) -> ContactFilter:
    return ContactFilter(
        q=filters.q, phone=filters.phone, date_from=filters.date_from, date_to=filters.date_to,
        centre=filters.centre, channel=filters.channel, kind=filters.kind, topic=filters.topic,
        province=filters.province, urgent=filters.urgent, status=filters.status,
    )


# --------------------------------------------------------------------------- output


def contact_out(c: Contact) -> dict:
    """The public JSON shape of a contact (``ContactOut``): codes, not labels; UTC times."""
    return {
        "id": c.pk, "reference": c.reference, "status": c.status, "version": c.version,
        "centre": c.centre_id, "counsellor": c.counsellor.username, "channel": c.channel,
        "kind": c.kind_id, "topics": [t.code for t in c.topics.all()],
        "summary": c.summary, "notes": c.notes, "actions_taken": c.actions_taken,
        "urgent": c.urgent, "received_at": utc(c.received_at),
        "answered_at": utc(c.answered_at), "ended_at": utc(c.ended_at),
        "caller": {
            "phone": c.caller_phone, "name": c.caller_name, "relation": c.caller_relation_id,
            "sex": c.caller_sex, "age": c.caller_age, "age_group": c.caller_age_group,
            "province": c.caller_province_id, "commune": c.caller_commune_id,
            "country": c.caller_country_id, "anonymous": c.caller_anonymous,
            "consent_keep": c.caller_consent_keep, "consent_share": c.caller_consent_share,
        },
        "subjects": [{
            "name": s.name, "sex": s.sex, "age": s.age, "age_estimated": s.age_estimated,
            "age_group": s.age_group, "province": s.province_id, "commune": s.commune_id,
            "country": s.country_id,
        } for s in c.subjects.all()],
        "province": c.province_id, "commune": c.commune_id,
        "created_at": utc(c.created_at), "updated_at": utc(c.updated_at),
        "completed_at": utc(c.completed_at),
    }
