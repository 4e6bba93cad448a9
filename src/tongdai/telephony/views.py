"""PBX webhooks (check the sender, store the raw event, then answer) and recording playback.

Answers: 503 when the provider's secret is not configured or the database is unavailable
(the PBX retries); 401 for a missing or wrong token/signature; 400 for a body that is not
what the provider sends. In every non-200 case nothing is stored. Payloads are never
logged.

**Generic** (``/hooks/calls``): ``Authorization: Bearer <TONGDAI_CALLS_TOKEN>`` or
``X-Tongdai-Signature: sha256=<hex HMAC-SHA256(token, raw body)>``.

**Twilio** (``/hooks/twilio/voice``): ``X-Twilio-Signature`` = base64(HMAC-SHA1(auth
token, URL + every POST parameter sorted by name, name and value concatenated)), Twilio's
documented scheme ("Webhooks security"; the official helper libraries' RequestValidator
do the same). The URL is the one Twilio called: ``TONGDAI_PUBLIC_URL`` + path + query
when set (behind a proxy), else the URL Django sees. As Twilio's libraries do, the URL is
also tried with the scheme's default port added or removed. Answers empty TwiML.

**Stringee** (``/hooks/stringee/event``): ``X-STRINGEE-SIGNATURE`` = base64(HMAC-SHA1(the
project's signing secret, raw body)), the check in Stringee's own ``event_url`` sample
(github.com/stringeecom/server-samples, ``event_url/php/event_url.php``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from tongdai.audit.models import Action
from tongdai.audit.services import audit_record

# The webhook answers shared with the messaging channels (same messages, same codes).
from tongdai.channels.views import _bad_signature, _db_unavailable, _not_configured, _parse_object
from tongdai.channels.views import _json as _message
from tongdai.core.ids import safe_id
from tongdai.core.inbox import sha256_hex
from tongdai.geo.models import Province
from tongdai.telephony import recordings
from tongdai.telephony.adapters import PayloadInvalid, generic_update
from tongdai.telephony.models import CallProvider
from tongdai.telephony.services import call_event_accept

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _json(body: dict, status: int) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _store(provider: str, event_id: str, raw: bytes | str) -> tuple[bool, JsonResponse | None]:
    """Write the event to the inbox: ``(created, None)``, or ``(False, 503 answer)`` when
    the database is unavailable (the sender retries; nothing was stored)."""
    try:
        _event, created = call_event_accept(provider, event_id, raw)
    except DatabaseError:
        return False, _db_unavailable()
    return created, None


def _accepted(created: bool) -> JsonResponse:
    return _json({"status": "accepted" if created else "duplicate"}, 200)


# --------------------------------------------------------------------------- generic


def generic_authorised(raw: bytes, headers, token: str) -> bool:
    """A bearer token equal to ``token``, or an HMAC-SHA256 of the body keyed with it."""
    auth = headers.get("Authorization", "")
    scheme, _sep, supplied = auth.partition(" ")
    if scheme.lower() == "bearer" and supplied.strip():
        return hmac.compare_digest(supplied.strip().encode(), token.encode())
    signature = headers.get("X-Tongdai-Signature", "").strip()
    algorithm, _sep, digest = signature.partition("=")
    if algorithm.lower() != "sha256" or not digest:
        return False
    expected = hmac.new(token.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(digest.strip().lower().encode(), expected.encode())


@csrf_exempt
@require_POST
def calls_hook(request):
    token = settings.TONGDAI_CALLS_TOKEN
    if not token:
        return _not_configured("TONGDAI_CALLS_TOKEN")
    raw = request.body
    if not generic_authorised(raw, request.headers, token):
        return _bad_signature()
    payload = _parse_object(raw)
    if payload is None:
        return _json({"message": _("The request body is not a JSON object."),
                      "errors": {"body": _("Must be a JSON object.")}}, 400)
    try:
        update = generic_update(payload)
        if update.province and not Province.objects.filter(pk=update.province).exists():
            raise PayloadInvalid({"province": _("Unknown province code.")})
    except PayloadInvalid as exc:
        return _json({"message": _("The call event is not valid."), "errors": exc.errors}, 400)
    except DatabaseError:
        return _db_unavailable()
    created, failure = _store(CallProvider.GENERIC, payload.get("event_id") or sha256_hex(raw), raw)
    return failure or _accepted(created)


# --------------------------------------------------------------------------- Twilio


def twilio_signature(token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's signature of a POST: base64(HMAC-SHA1(token, url + sorted name+value))."""
    data = url + "".join(f"{key}{value}" for key, value in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode("utf-8"),
                                     hashlib.sha1).digest()).decode()


def _url_variants(url: str) -> list[str]:
    """The URL as given, and with the scheme's default port added or removed."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    variants = [url]
    if parts.hostname and default:
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        if parts.port is None:
            variants.append(urlunsplit(parts._replace(netloc=f"{host}:{default}")))
        elif parts.port == default:
            variants.append(urlunsplit(parts._replace(netloc=host)))
    return variants


def public_url(request) -> str:
    """The URL the provider called: ``TONGDAI_PUBLIC_URL`` + path and query when set."""
    base = (settings.TONGDAI_PUBLIC_URL or "").rstrip("/")
    if base:
        return base + request.get_full_path()
    return request.build_absolute_uri()


def twilio_signature_valid(request, token: str) -> bool:
    supplied = request.headers.get("X-Twilio-Signature", "").strip()
    if not supplied:
        return False
    params = [(key, value) for key in request.POST for value in request.POST.getlist(key)]
    return any(hmac.compare_digest(supplied.encode(), twilio_signature(token, url, params).encode())
               for url in _url_variants(public_url(request)))


@csrf_exempt
@require_POST
def twilio_hook(request):
    token = settings.TONGDAI_TWILIO_AUTH_TOKEN
    if not token:
        return _not_configured("TONGDAI_TWILIO_AUTH_TOKEN")
    if not request.content_type == "application/x-www-form-urlencoded":
        return _bad_signature()  # Twilio signs form posts; anything else is not Twilio
    if not twilio_signature_valid(request, token):
        return _bad_signature()
    params = {key: request.POST.get(key) for key in request.POST}
    # The custom ``agent`` parameter may be on the callback URL's query string.
    if "agent" not in params and request.GET.get("agent"):
        params["agent"] = request.GET["agent"]
    if not params.get("CallSid"):
        return _message(_("The call event is not valid."), 400)
    canonical = json.dumps(params, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    _created, failure = _store(CallProvider.TWILIO, sha256_hex(canonical.encode()), canonical)
    return failure or HttpResponse(EMPTY_TWIML, content_type="text/xml; charset=utf-8")


# --------------------------------------------------------------------------- Stringee


def stringee_signature_valid(raw: bytes, header: str, secret: str) -> bool:
    supplied = header.strip()
    if not supplied:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha1).digest()).decode()
    return hmac.compare_digest(supplied.encode(), expected.encode())


@csrf_exempt
@require_POST
def stringee_hook(request):
    secret = settings.TONGDAI_STRINGEE_SIGNING_SECRET
    if not secret:
        return _not_configured("TONGDAI_STRINGEE_SIGNING_SECRET")
    raw = request.body
    if not stringee_signature_valid(raw, request.headers.get("X-Stringee-Signature", ""), secret):
        return _bad_signature()
    payload = _parse_object(raw)
    if payload is None or not payload.get("call_id"):
        return _message(_("The call event is not valid."), 400)
    _created, failure = _store(CallProvider.STRINGEE, sha256_hex(raw), raw)
    return failure or _json({"status": "ok"}, 200)


# --------------------------------------------------------------------------- playback


@login_required
@require_GET
def recording_play(request, pk: int):
    """Stream the call's recording to a RECORDING_PLAY holder within reach; 404 for anyone
    else (audited as a refusal), 502 when the PBX does not deliver it."""
    recording = recordings.recording_for(request.user, pk)
    if recording is None:
        audit_record(request.user, Action.DENIED, object_type="call", object_id=safe_id(pk),
                     request=request, via="ui", detail={"attempt": "recording_play"})
        raise Http404
    try:
        audio = recordings.recording_play(request.user, recording, request=request)
    except recordings.RecordingUnavailable:
        return HttpResponse(_("The recording cannot be fetched from the telephone system "
                              "right now. Try again later."), status=502,
                            content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(audio.chunks, content_type=audio.content_type)
    if audio.length is not None:
        response["Content-Length"] = str(audio.length)
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = f'inline; filename="call-{recording.call_id}"'
    return response
