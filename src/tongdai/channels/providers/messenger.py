"""Facebook Messenger replies through the Send API.

``POST {TONGDAI_MESSENGER_API_BASE}/me/messages?access_token=<TONGDAI_MESSENGER_PAGE_TOKEN>``
with ``{"recipient": {"id": <page-scoped id of the person>}, "messaging_type": "RESPONSE",
"message": {"text"}}``; Meta answers ``{"recipient_id", "message_id"}``, or an HTTP error
with ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.

Which failures are retried (the outbox's back-off) and which are final:

- HTTP 5xx, a timeout, a refused connection, an answer that is not JSON: retried;
- HTTP 4xx: final, recorded as ``messenger:<code>`` or ``messenger:<code>/<subcode>``,
  except the codes Meta documents as temporary or throttling (``TEMPORARY_CODES``: 1, 2
  "unexpected error, retry later", 4/17/32/613 rate limits, 1200 "temporary send message
  failure"), which are retried;
- **the 24-hour window**: a ``RESPONSE`` may only be sent within 24 hours of the person's
  last message. Later, Meta refuses it with code 10, subcode 2018278 ("This message is
  sent outside of allowed window"); it is final (``messenger:10/2018278``, shown in the
  workspace) because re-sending cannot succeed until the person writes again. tongdai does
  not send the ``HUMAN_AGENT`` tag (it needs Meta's Human Agent permission for the app).

The page token travels in the query string, as the Send API expects; it is never logged
(``providers.http`` logs nothing) and never stored in an error code.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings

from tongdai.channels.models import Message
from tongdai.channels.outbox import DeliveryError
from tongdai.channels.providers.http import post

TEMPORARY_CODES = frozenset({1, 2, 4, 17, 32, 613, 1200})
OUTSIDE_WINDOW = "10/2018278"


def messenger_send(message: Message) -> str:
    """Send one outbound text; returns Meta's ``message_id``."""
    token = settings.TONGDAI_MESSENGER_PAGE_TOKEN
    if not token:
        raise DeliveryError("messenger_not_configured:TONGDAI_MESSENGER_PAGE_TOKEN",
                            retryable=False)
    url = (f"{settings.TONGDAI_MESSENGER_API_BASE.rstrip('/')}/me/messages?"
           + urlencode({"access_token": token}))
    answer = post(url, json_body={
        "recipient": {"id": message.conversation.provider_user_id},
        "messaging_type": "RESPONSE",
        "message": {"text": message.text},
    }, code_prefix="messenger")
    body = answer.body
    if answer.status >= 500 or body is None:
        raise DeliveryError(f"messenger:http_{answer.status}")
    if 200 <= answer.status < 300 and body.get("message_id"):
        return str(body["message_id"])
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = error.get("code")
    if code is None:
        raise DeliveryError(f"messenger:http_{answer.status}", retryable=answer.status >= 500)
    label = f"{code}/{error['error_subcode']}" if error.get("error_subcode") else f"{code}"
    try:
        temporary = int(code) in TEMPORARY_CODES
    except (TypeError, ValueError):
        temporary = False
    raise DeliveryError(f"messenger:{label}", retryable=temporary)
