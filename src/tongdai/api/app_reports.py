"""Reports from the 111 mobile app: the same receipt model as the public web form.

The app is public: no user token. ``POST /app/reports`` makes a report and answers the
receipt code and passphrase, once. Reading replies and adding information take the code
in the path and the passphrase in the ``X-Report-Passphrase`` header. A wrong passphrase
and an unknown code get the same 403 answer; failures are counted per code and per client
address and lock with 429 (``Retry-After``); new reports are limited per client address.
Everything goes through ``tongdai.webreport.services``.
"""

from __future__ import annotations

import datetime
import math
from typing import Literal

from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from tongdai.api.schemas import ErrorOut, StrictStr
from tongdai.audit.services import client_ip
from tongdai.channels.models import Provider
from tongdai.webreport.models import Affected, ContactPreference
from tongdai.webreport.services import (
    DUPLICATE_TEXT,
    LOCKED_TEXT,
    THROTTLED_TEXT,
    WRONG_TEXT,
    ReceiptRefused,
    ReportDuplicate,
    ReportInvalid,
    ReportThrottled,
    code_display,
    receipt_unlock,
    report_add,
    report_submit,
    report_thread,
)

router = Router(tags=["app reports"], auth=None)
PASSPHRASE_HEADER = "X-Report-Passphrase"
ERRORS = {403: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class ReportIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: StrictStr = Field(description="What happened (up to 5000 characters).")
    affected: Literal[tuple(Affected.values)] = Field(  # type: ignore[valid-type]
        description='"child", "self" (the reporter) or "other" (another adult).')
    province: StrictStr | None = Field("", description="Province code (GET /geo/provinces); "
                                                       "empty or null when unknown.")
    urgent: bool = Field(False, description="A child is in danger right now.")
    name: StrictStr = Field("", description="Optional; empty for an anonymous report.")
    phone: StrictStr = Field("", description="Optional; required when contact_preference "
                                             "is phone or sms.")
    contact_preference: Literal[tuple(ContactPreference.values)] = "return"  # type: ignore[valid-type]
    submission_id: StrictStr = Field("", description="Optional idempotency key chosen by the "
                                                     "app (8–64 of A-Z a-z 0-9 _ -): a retry "
                                                     "with the same key makes no second report.")


class ReceiptOut(Schema):
    code: str = Field(description="Receipt code, e.g. ABCDE-FGHJK (hyphen optional).")
    passphrase: str = Field(description="Four words; shown once, only its hash is stored.")


class AddIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: StrictStr


class ReportMessageOut(Schema):
    id: int
    direction: str = Field(description='"in" (the reporter) or "out" (a counsellor).')
    text: str
    sent_at: datetime.datetime


class ThreadOut(Schema):
    code: str
    messages: list[ReportMessageOut]


def _message(m) -> dict:
    return {"id": m.pk, "direction": m.direction, "text": m.text, "sent_at": m.sent_at}


def _error(status: int, message, errors: dict | None = None) -> JsonResponse:
    """The API's error shape (``tongdai.api.errors``): ``errors`` only on 422."""
    body = {"message": str(message)}
    if errors is not None:
        body["errors"] = errors
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _locked(until: datetime.datetime | None, message) -> JsonResponse:
    response = _error(429, message)
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds())) if until else 60
    response["Retry-After"] = str(seconds)
    return response


def _unlock(request, code: str):
    """``(receipt, None)``, or ``(None, the error response)``."""
    try:
        return receipt_unlock(code, request.headers.get(PASSPHRASE_HEADER, ""),
                              ip=client_ip(request)), None
    except ReceiptRefused as exc:
        if exc.until:
            return None, _locked(exc.until, LOCKED_TEXT)
        return None, _error(403, WRONG_TEXT)


@router.post("/app/reports", response={201: ReceiptOut, **ERRORS}, url_name="app_report_create",
             operation_id="app_report_create", summary="Submit a report from the 111 app")
def app_report_create(request, payload: ReportIn):
    """Make a report (a waiting conversation on channel `app`, routed by province). The
    answer carries the passphrase once: the app must show it and may keep it on the device."""
    try:
        data = {**payload.model_dump(), "province": payload.province or ""}
        done = report_submit(data, provider=Provider.APP, ip=client_ip(request))
    except ReportInvalid as exc:
        return _error(422, _("Some fields are not valid."), exc.errors)
    except ReportDuplicate:
        return _error(409, DUPLICATE_TEXT)
    except ReportThrottled as exc:
        return _locked(exc.until, THROTTLED_TEXT)
    return Status(201, {"code": done.code, "passphrase": done.passphrase})


@router.get("/app/reports/{code}/messages", response={200: ThreadOut, **ERRORS},
            url_name="app_report_messages", operation_id="app_report_messages",
            summary="Read a report and its replies")
def app_report_messages(request, code: str):
    """The reporter's messages and the counsellors' delivered replies, oldest first."""
    receipt, refused = _unlock(request, code)
    if refused:
        return refused
    return Status(200, {"code": code_display(receipt.code),
                        "messages": [_message(m) for m in report_thread(receipt)]})


@router.post("/app/reports/{code}/messages", response={201: ReportMessageOut, **ERRORS},
             url_name="app_report_add", operation_id="app_report_add",
             summary="Add information to a report")
def app_report_add(request, code: str, payload: AddIn):
    receipt, refused = _unlock(request, code)
    if refused:
        return refused
    try:
        message = report_add(receipt, payload.model_dump())
    except ReportInvalid as exc:
        return _error(422, _("Some fields are not valid."), exc.errors)
    return Status(201, _message(message))
