"""Provider webhooks: verify the signature over the raw bytes, store the event in the
inbox, and only then answer 200.

Answers: 503 when the channel's secret is not configured or the database is unavailable
(the provider retries); 401 for a missing or wrong signature; 400 for a signed body that
is not JSON. In every non-200 case nothing is stored. Payloads are never logged.

**Zalo OA** (``/hooks/zalo``). Header ``X-ZEvent-Signature: mac=<hex>`` with
``hex = sha256(app_id + raw_body + timestamp + oa_secret_key)``, where ``app_id`` and
``timestamp`` are fields of the JSON body. This is the formula of Zalo's webhook
documentation ("Xác thực Webhook"); public integrations found while writing this agree —
a Python one strips an optional ``mac=`` prefix and hashes
``f"{app_id}{raw_body}{timestamp}{secret}"`` with SHA-256, a PHP one uses
``hash('sha256', $app_id . $raw_body . $timestamp . $secret_key)``, an n8n node documents
``appId + rawBody + timestamp + appSecret``. It is a plain SHA-256 over the concatenation,
not an HMAC. Payload: ``{"app_id", "event_name": "user_send_text", "sender": {"id"},
"recipient": {"id"}, "message": {"msg_id", "text", "attachments": [{"type", "payload":
{"url" | "coordinates"}}]}, "timestamp": "<ms>"}``.

**Messenger** (``/hooks/messenger``). GET ``hub.mode=subscribe`` with the configured
``hub.verify_token`` echoes ``hub.challenge``. POST: ``X-Hub-Signature-256:
sha256=<hex HMAC-SHA256(app_secret, raw body)>``, computed over ``request.body`` exactly as
received — Meta escapes non-ASCII as ``\\uXXXX``, so a re-serialised body would not match.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from tongdai.channels.models import Provider
from tongdai.channels.services import inbox_accept
from tongdai.core.inbox import sha256_hex

logger = logging.getLogger(__name__)


def _json(message: str, status: int) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


def _not_configured(names: str) -> JsonResponse:
    return _json(_("This channel is not configured on the server (%(names)s is not set).")
                 % {"names": names}, 503)


def _bad_signature() -> JsonResponse:
    return _json(_("Missing or invalid signature."), 401)


def _not_json() -> JsonResponse:
    return _json(_("The request body is not valid JSON."), 400)


def _db_unavailable() -> JsonResponse:
    logger.warning("inbox write failed; answering 503 so the provider retries", exc_info=True)
    return _json(_("Temporarily unavailable, please retry."), 503)


def _parse_object(raw: bytes) -> dict | None:
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


# --- Zalo -------------------------------------------------------------------------------


def zalo_signature_valid(raw: bytes, payload: dict, header: str, app_id: str,
                         secret: str) -> bool:
    """True when ``header`` (with or without ``mac=``) is Zalo's signature of ``raw``."""
    supplied = header.strip()
    if supplied.lower().startswith("mac="):
        supplied = supplied[4:].strip()
    timestamp = str(payload.get("timestamp") or "")
    if not supplied or not timestamp or str(payload.get("app_id") or "") != app_id:
        return False
    expected = hashlib.sha256(app_id.encode() + raw + timestamp.encode()
                              + secret.encode()).hexdigest()
    return hmac.compare_digest(supplied.lower(), expected)


def zalo_event_id(raw: bytes, payload: dict) -> str:
    message = payload.get("message")
    if isinstance(message, dict) and message.get("msg_id"):
        return str(message["msg_id"])
    return sha256_hex(raw)


@csrf_exempt
@require_POST
def zalo_hook(request):
    app_id, secret = settings.TONGDAI_ZALO_APP_ID, settings.TONGDAI_ZALO_OA_SECRET
    if not app_id or not secret:
        return _not_configured("TONGDAI_ZALO_APP_ID / TONGDAI_ZALO_OA_SECRET")
    raw = request.body
    header = request.headers.get("X-ZEvent-Signature", "")
    if not header:
        return _bad_signature()
    # The signed fields live in the body, so it is parsed first; a body that is not JSON
    # cannot carry a valid signature.
    payload = _parse_object(raw)
    if payload is None:
        return _bad_signature()
    if not zalo_signature_valid(raw, payload, header, app_id, secret):
        return _bad_signature()
    try:
        inbox_accept(Provider.ZALO, zalo_event_id(raw, payload), raw)
    except DatabaseError:
        return _db_unavailable()
    return _json("ok", 200)


# --- Messenger --------------------------------------------------------------------------


def messenger_signature_valid(raw: bytes, header: str, app_secret: str) -> bool:
    """True when ``header`` is ``sha256=<HMAC-SHA256(app_secret, raw)>``."""
    scheme, _sep, supplied = header.strip().partition("=")
    if scheme.lower() != "sha256" or not supplied:
        return False
    expected = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(supplied.lower(), expected)


def messenger_items(payload: dict) -> list[dict]:
    """The messaging items worth keeping: echoes of the page's own messages, delivery and
    read receipts are dropped (nothing to do with them yet)."""
    items = []
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        for item in entry.get("messaging") or []:
            if not isinstance(item, dict) or "delivery" in item or "read" in item:
                continue
            message = item.get("message")
            if isinstance(message, dict) and message.get("is_echo"):
                continue
            items.append(item)
    return items


def messenger_event(item: dict) -> tuple[str, str]:
    """``(event id, stored text)`` of one messaging item. The signature covered the whole
    body, already checked; the item is stored on its own, re-serialised without escaping."""
    message = item.get("message")
    canonical = json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if isinstance(message, dict) and message.get("mid"):
        return str(message["mid"]), canonical
    return sha256_hex(canonical.encode()), canonical


def _messenger_verify(request):
    token = settings.TONGDAI_MESSENGER_VERIFY_TOKEN
    if not token:
        return _not_configured("TONGDAI_MESSENGER_VERIFY_TOKEN")
    supplied = request.GET.get("hub.verify_token", "")
    if request.GET.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            supplied.encode(), token.encode()):
        return _json(_("Verification token mismatch."), 403)
    return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def messenger_hook(request):
    if request.method == "GET":
        return _messenger_verify(request)
    app_secret = settings.TONGDAI_MESSENGER_APP_SECRET
    if not app_secret:
        return _not_configured("TONGDAI_MESSENGER_APP_SECRET")
    raw = request.body
    if not messenger_signature_valid(raw, request.headers.get("X-Hub-Signature-256", ""),
                                     app_secret):
        return _bad_signature()
    payload = _parse_object(raw)
    if payload is None:
        return _not_json()
    try:
        with transaction.atomic():  # a batch is stored whole or not at all
            for item in messenger_items(payload):
                inbox_accept(Provider.MESSENGER, *messenger_event(item))
    except DatabaseError:
        return _db_unavailable()
    return _json("ok", 200)
