"""One error shape for every API failure: ``{"message": ..., "errors": {path: message}}``.

``message`` is for a person (Vietnamese by default, English with ``Accept-Language: en``;
``LocaleMiddleware`` picks the language). ``errors`` appears on 422 only and maps field
paths in the request (``caller.phone``, ``subjects.0.commune``, ``from``) to messages.
Messages never echo the submitted values of free-text fields (they may be personal data).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tongdai.cases.services import CaseConflict, CaseForbidden, CaseInvalid, CaseNotFound
from tongdai.channels.lifecycle import ConversationInvalid, ConversationNotFound
from tongdai.contacts.services import (
    ContactConflict,
    ContactForbidden,
    ContactInvalid,
    ContactNotFound,
)
from tongdai.referrals.services import (
    ReferralConflict,
    ReferralForbidden,
    ReferralInvalid,
    ReferralNotFound,
)

# Where ninja says the value came from; our paths name the field only.
_SOURCES = {"body", "query", "path", "payload", "filters", "header", "cookie"}


def error_response(api: NinjaAPI, request: HttpRequest, status: int, message: str,
                   errors: dict[str, str] | None = None) -> HttpResponse:
    body: dict[str, Any] = {"message": message}
    if errors is not None:
        body["errors"] = errors
    return api.create_response(request, body, status=status)


def field_path(loc: tuple | list) -> str:
    """``("body", "payload", "subjects", 0, "age")`` → ``"subjects.0.age"``."""
    parts = list(loc)
    while parts and isinstance(parts[0], str) and parts[0] in _SOURCES:
        parts.pop(0)
    return ".".join(str(p) for p in parts) or "body"


def pydantic_message(error: dict[str, Any]) -> str:
    """A translated sentence for one pydantic error (its English ``msg`` is for developers)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages = {
        "missing": _("Required."),
        "extra_forbidden": _("Unknown field."),
        "string_type": _("Must be text."),
        "bool_type": _("Must be true or false."),
        "bool_parsing": _("Must be true or false."),
        "int_type": _("Must be a whole number."),
        "int_parsing": _("Must be a whole number."),
        "int_from_float": _("Must be a whole number."),
        "list_type": _("Must be a list."),
        "dict_type": _("Must be an object."),
        "model_type": _("Must be an object."),
        "model_attributes_type": _("Must be an object."),
        "nul_character": _("Contains a forbidden control character."),
        "unencodable_text": _("Contains characters that cannot be stored."),
        "date_type": _("Must be a date (YYYY-MM-DD)."),
        "date_parsing": _("Must be a date (YYYY-MM-DD)."),
        "date_from_datetime_parsing": _("Must be a date (YYYY-MM-DD)."),
        "date_from_datetime_inexact": _("Must be a date (YYYY-MM-DD)."),
    }
    if kind in messages:
        return messages[kind]
    if kind in ("literal_error", "enum"):
        return _("Must be one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind == "greater_than_equal":
        return _("Must be at least %(min)s.") % {"min": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("Must be at most %(max)s.") % {"max": ctx.get("le")}
    return _("Invalid value.")


def validation_errors(raw: list[dict[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for error in raw:
        out.setdefault(field_path(error.get("loc", ())), pydantic_message(error))
    return out


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api`` (replacing ninja's ``{"detail": ...}`` defaults)."""

    def on_invalid(request, exc: ContactInvalid):
        return error_response(api, request, 422, _("Some fields are not valid."), exc.errors)

    def on_schema_invalid(request, exc: ValidationError):
        return error_response(api, request, 422, _("Some fields are not valid."),
                              validation_errors(exc.errors))

    def on_not_found(request, exc: Exception):
        return error_response(api, request, 404, _("Not found."))

    def on_forbidden(request, exc: ContactForbidden):
        return error_response(api, request, 403,
                              str(exc) or _("You do not have access to this page."))

    def on_conflict(request, exc: ContactConflict):
        return error_response(api, request, 409, str(exc))

    def on_unauthenticated(request, exc: AuthenticationError):
        response = error_response(api, request, 401, _(
            "Authentication required: send a valid API token as "
            "'Authorization: Bearer <token>'."))
        challenge = 'Bearer realm="tongdai"'
        if request.headers.get("Authorization"):
            challenge += ', error="invalid_token"'  # RFC 6750 §3.1
        response["WWW-Authenticate"] = challenge
        return response

    def on_http_error(request, exc: HttpError):
        message = exc.message
        if exc.status_code == 400 and exc.__cause__ is not None:
            # ninja wraps any failure of the JSON parser; say it in the user's language.
            message = _("The request body is not valid JSON.")
        return error_response(api, request, exc.status_code, message)

    def on_too_big(request, exc: RequestDataTooBig):
        # A body without Content-Length (chunked) that turned out to be over the limit:
        # Django stopped reading at the limit and raised this.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return error_response(api, request, 413, _(
            "Request body too large (limit %(limit)d bytes).") % {"limit": limit})

    api.add_exception_handler(ContactInvalid, on_invalid)
    api.add_exception_handler(ValidationError, on_schema_invalid)
    api.add_exception_handler(ContactNotFound, on_not_found)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(ContactForbidden, on_forbidden)
    api.add_exception_handler(ContactConflict, on_conflict)
    api.add_exception_handler(AuthenticationError, on_unauthenticated)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(RequestDataTooBig, on_too_big)
    api.add_exception_handler(CaseInvalid, on_invalid)
    api.add_exception_handler(CaseNotFound, on_not_found)
    api.add_exception_handler(CaseForbidden, on_forbidden)
    api.add_exception_handler(CaseConflict, on_conflict)
    api.add_exception_handler(ReferralInvalid, on_invalid)
    api.add_exception_handler(ReferralNotFound, on_not_found)
    api.add_exception_handler(ReferralForbidden, on_forbidden)
    api.add_exception_handler(ReferralConflict, on_conflict)
    api.add_exception_handler(ConversationInvalid, on_invalid)
    api.add_exception_handler(ConversationNotFound, on_not_found)
