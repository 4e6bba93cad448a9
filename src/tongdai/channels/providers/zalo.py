"""Zalo Official Account replies: the OA message API with access-token refresh.

**Send** (a "tin tư vấn", the reply to a person who wrote to the OA):
``POST {TONGDAI_ZALO_API_BASE}/v3.0/oa/message/cs`` with header ``access_token`` and body
``{"recipient": {"user_id": <the Zalo user id of the conversation>}, "message": {"text"}}``.
Zalo answers HTTP 200 with ``{"error": 0, "message": "Success", "data": {"message_id"}}``
or with a non-zero ``error`` (e.g. ``-230``: the person has not interacted with the OA in
the last 7 days). A non-zero error is permanent (``zalo:<error>``), except the token
errors below; HTTP 5xx, an unreadable answer, a timeout or a refused connection are
retried with the outbox's back-off.

**Tokens.** The OA access token lives about 25 hours; it is refreshed with
``POST {TONGDAI_ZALO_OAUTH_BASE}/v4/oa/access_token`` (form ``app_id``,
``grant_type=refresh_token``, ``refresh_token``; header ``secret_key: <app secret key>``),
which answers ``{"access_token", "refresh_token", "expires_in"}`` (``expires_in`` in
seconds, sent as a string) or ``{"error", "error_name", "error_description"}``. The refresh
token is **single use**: the new pair replaces the old one in the ``ZaloToken`` row, in the
transaction that locked that row for the refresh, so two workers never spend the same
refresh token (the second one waits for the lock and then finds a fresh access token).
The token is refreshed when it is missing or about to expire, and once more when the API
answers a token error (``-216`` "access token is invalid", ``-220`` "access token is
expired or removed", ``-124`` as ZNS reports expiry: codes as published in Zalo's error
table and used by public integrations).

**Two different secrets.** ``TONGDAI_ZALO_APP_SECRET`` is the *app* secret key ("Khóa bí
mật của ứng dụng", Zalo for Developers → app → basic information), sent in the
``secret_key`` header of token requests. ``TONGDAI_ZALO_OA_SECRET`` is the *OA* secret key
shown on the app's Official Account settings, used only to check the webhook signature
(``X-ZEvent-Signature``). They are different values.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tongdai.channels.models import Message, ZaloToken
from tongdai.channels.outbox import DeliveryError
from tongdai.channels.providers.http import post

logger = logging.getLogger(__name__)

TOKEN_ERRORS = frozenset({-216, -220, -124})
#: Refresh this long before the access token's announced expiry.
EXPIRY_MARGIN = timedelta(minutes=5)
#: When Zalo does not say how long the token lives (it says 90000 s today).
DEFAULT_LIFETIME = timedelta(hours=1)


def zalo_send(message: Message) -> str:
    """Send one outbound text; returns Zalo's ``message_id``."""
    _require_configured()
    user_id = message.conversation.provider_user_id
    token = access_token()
    answer = _send(token, user_id, message.text)
    if _error_code(answer) in TOKEN_ERRORS:
        # Revoked or expired earlier than announced: refresh once (unless another worker
        # already did) and try again.
        token = access_token(stale=token)
        answer = _send(token, user_id, message.text)
    error = _error_code(answer)
    if error == 0:
        message_id = str((answer.get("data") or {}).get("message_id") or "")
        if message_id:
            return message_id
        raise DeliveryError("zalo:no_message_id")
    if error is None:
        raise DeliveryError("zalo:bad_answer")
    raise DeliveryError(f"zalo:{error}", retryable=False)


def _require_configured() -> None:
    missing = [name for name in ("TONGDAI_ZALO_APP_ID", "TONGDAI_ZALO_APP_SECRET")
               if not getattr(settings, name)]
    if not settings.TONGDAI_ZALO_REFRESH_TOKEN and not ZaloToken.objects.filter(
            app_id=settings.TONGDAI_ZALO_APP_ID).exclude(refresh_token="").exists():
        missing.append("TONGDAI_ZALO_REFRESH_TOKEN")
    if missing:
        raise DeliveryError("zalo_not_configured:" + ",".join(missing), retryable=False)


def _send(token: str, user_id: str, text: str) -> dict:
    answer = post(f"{settings.TONGDAI_ZALO_API_BASE.rstrip('/')}/v3.0/oa/message/cs",
                  json_body={"recipient": {"user_id": user_id}, "message": {"text": text}},
                  headers={"access_token": token}, code_prefix="zalo")
    if answer.status >= 500:
        raise DeliveryError(f"zalo:http_{answer.status}")
    if answer.body is None:
        raise DeliveryError(f"zalo:http_{answer.status}:bad_answer")
    return answer.body


def _error_code(body: dict) -> int | None:
    try:
        return int(body.get("error"))
    except (TypeError, ValueError):
        return None


# --- tokens ----------------------------------------------------------------------------


def access_token(stale: str | None = None) -> str:
    """A usable OA access token, refreshed first when needed.

    ``stale``: a token the API just refused; a stored token equal to it is refreshed even
    if its expiry has not come yet.
    """
    app_id = settings.TONGDAI_ZALO_APP_ID
    row = ZaloToken.objects.filter(app_id=app_id).first()
    if row is not None and _usable(row, stale) and not _reseeded(row):
        return row.access_token
    with transaction.atomic():
        row = _locked_row(app_id)
        if _usable(row, stale):  # another worker refreshed while we waited for the lock
            return row.access_token
        token, refused = _refresh(row)
    if refused is not None:  # raised after the commit that recorded it on the row
        raise refused
    return token


def _usable(row: ZaloToken, stale: str | None) -> bool:
    return bool(row.access_token and row.expires_at
                and row.expires_at - EXPIRY_MARGIN > timezone.now()
                and row.access_token != stale)


def _seed() -> tuple[str, str]:
    seed = settings.TONGDAI_ZALO_REFRESH_TOKEN
    return seed, hashlib.sha256(seed.encode()).hexdigest() if seed else ""


def _reseeded(row: ZaloToken) -> bool:
    """True when the operator put a new refresh token in the environment (after the chain
    broke and the OA was authorised again): it replaces the stored pair."""
    seed, digest = _seed()
    return bool(seed) and digest != row.seed_sha256


def _locked_row(app_id: str) -> ZaloToken:
    """The app's token row, locked for this transaction (created, seeded, if missing)."""
    ZaloToken.objects.get_or_create(app_id=app_id)
    row = ZaloToken.objects.select_for_update().get(app_id=app_id)
    if _reseeded(row):
        row.refresh_token, row.seed_sha256 = _seed()
        row.access_token, row.expires_at = "", None
        row.save(update_fields=["refresh_token", "seed_sha256", "access_token", "expires_at"])
    return row


def _refresh(row: ZaloToken) -> tuple[str, DeliveryError | None]:
    """Spend the stored refresh token and store the new pair (caller holds the row lock).

    Returns ``(access token, None)``, or ``("", error)`` when Zalo refused the refresh
    token (recorded on the row). Transient failures raise a retryable ``DeliveryError``.
    """
    if not row.refresh_token:
        return "", DeliveryError("zalo_not_configured:TONGDAI_ZALO_REFRESH_TOKEN",
                                 retryable=False)
    answer = post(f"{settings.TONGDAI_ZALO_OAUTH_BASE.rstrip('/')}/v4/oa/access_token",
                  form={"app_id": row.app_id, "grant_type": "refresh_token",
                        "refresh_token": row.refresh_token},
                  headers={"secret_key": settings.TONGDAI_ZALO_APP_SECRET},
                  code_prefix="zalo_oauth")
    body = answer.body or {}
    if answer.status >= 500 or answer.body is None:
        raise DeliveryError(f"zalo_oauth:http_{answer.status}")
    if not body.get("access_token") or not body.get("refresh_token"):
        # An invalid or already used refresh token: retrying will not help; an operator
        # must authorise the OA again and set TONGDAI_ZALO_REFRESH_TOKEN (docs/operations).
        code = str(body.get("error") or body.get("error_name") or f"http_{answer.status}")
        ZaloToken.objects.filter(pk=row.pk).update(last_error=code[:200])
        logger.warning("Zalo token refresh refused (error %s); replies cannot be sent", code)
        return "", DeliveryError(f"zalo_oauth:{code}", retryable=False)
    try:
        lifetime = timedelta(seconds=int(body.get("expires_in")))
    except (TypeError, ValueError):
        lifetime = DEFAULT_LIFETIME
    now = timezone.now()
    row.access_token, row.refresh_token = str(body["access_token"]), str(body["refresh_token"])
    row.expires_at, row.refreshed_at = now + lifetime, now
    row.refresh_count += 1
    row.last_error = ""
    row.save()
    return row.access_token, None
