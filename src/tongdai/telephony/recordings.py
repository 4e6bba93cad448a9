"""Recording playback and retention.

tongdai never sends the browser to the PBX: it opens the recording itself and streams it,
so the PBX can stay on the hotline's private network and every playback is checked and
audited here. A reference is playable only if it is

- an ``http(s)`` URL starting with ``TONGDAI_RECORDINGS_BASE_URL`` (the PBX's recording
  server), or
- a path (absolute, or relative to the directory) of a file inside
  ``TONGDAI_RECORDINGS_DIR`` (a share where the PBX writes its recordings).

Anything else (another host, ``..`` out of the directory, ``file:`` URLs) is refused.
"""

from __future__ import annotations

import base64
import mimetypes
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tongdai.accounts.roles import Perm
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.core.ids import safe_id
from tongdai.telephony.models import Call, Recording

CHUNK = 64 * 1024
FETCH_TIMEOUT = 15  # seconds to reach the PBX's recording server


class RecordingUnavailable(Exception):
    """The recording exists but cannot be fetched from the PBX right now."""


@dataclass
class Audio:
    chunks: Iterator[bytes]
    content_type: str
    length: int | None


def _base_url() -> str:
    return (settings.TONGDAI_RECORDINGS_BASE_URL or "").strip()


def _base_dir() -> Path | None:
    directory = (settings.TONGDAI_RECORDINGS_DIR or "").strip()
    return Path(directory).resolve() if directory else None


def allowed_url(reference: str) -> bool:
    base = _base_url()
    parsed = urlparse(reference)
    if not base or parsed.scheme not in ("http", "https"):
        return False
    # The base ends a path segment, so https://pbx/rec does not allow https://pbx/records.
    prefix = base if base.endswith("/") else base + "/"
    return reference.startswith(prefix) and ".." not in parsed.path.split("/")


def local_path(reference: str) -> Path | None:
    """The file a reference names inside ``TONGDAI_RECORDINGS_DIR``, or None."""
    base = _base_dir()
    if base is None or "://" in reference or not reference:
        return None
    path = Path(reference)
    path = (path if path.is_absolute() else base / path).resolve()
    return path if path.is_relative_to(base) else None


def playable(reference: str) -> bool:
    return allowed_url(reference) or local_path(reference) is not None


def recording_for(user, call_id) -> Recording | None:
    """The call's latest recording if ``user`` may play it: RECORDING_PLAY, the call within
    reach, the recording not deleted. None otherwise (the view answers 404 either way)."""
    pk = safe_id(call_id)
    if pk is None or not user.can(Perm.RECORDING_PLAY):
        return None
    call = Call.objects.visible_to(user).filter(pk=pk).first()
    if call is None:
        return None
    return (call.recordings.filter(deleted_at__isnull=True)
            .order_by("-created_at", "-pk").select_related("call").first())


def recording_play(user, recording: Recording, *, request=None) -> Audio:
    """Open the recording for streaming, and audit the playback (on the call's contact
    when it has one, so it shows in the contact's trail; else on the call)."""
    audio = _open(recording.reference)
    call = recording.call
    detail = {"recording": recording.pk, "call": call.pk, "purpose": "recording_play"}
    if call.contact_id:
        audit_record(user, Action.VIEW, object_type="contact", object_id=call.contact_id,
                     request=request, via="ui", detail=detail)
    else:
        audit_record(user, Action.VIEW, obj=call, request=request, via="ui", detail=detail)
    return audio


def _open(reference: str) -> Audio:
    path = local_path(reference)
    if path is not None:
        if not path.is_file():
            raise RecordingUnavailable("file missing")
        handle = path.open("rb")
        return Audio(_file_chunks(handle), _guess_type(path.name), path.stat().st_size)
    if not allowed_url(reference):
        raise RecordingUnavailable("reference not allowed")
    try:
        response = _OPENER.open(_request(reference), timeout=FETCH_TIMEOUT)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise RecordingUnavailable(type(exc).__name__) from exc
    length = response.headers.get("Content-Length")
    content_type = response.headers.get_content_type()
    if not content_type.startswith("audio/"):
        content_type = _guess_type(urlparse(reference).path)
    return Audio(_file_chunks(response), content_type,
                 int(length) if length and length.isdigit() else None)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead outside the allowed base: refuse to follow it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, "redirect refused", headers, fp)


_OPENER = urllib.request.build_opener(_NoRedirect)


#: Twilio's recording resources: ``/2010-04-01/Accounts/<AccountSid>/Recordings/<Sid>``.
_TWILIO_RECORDING = re.compile(r"/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Recordings/")


def _request(reference: str) -> urllib.request.Request:
    """The GET for a recording. A Twilio recording URL gets HTTP basic authentication
    (account SID and ``TONGDAI_TWILIO_AUTH_TOKEN``), which Twilio requires when "HTTP
    basic authentication for media" is on and ignores otherwise."""
    request = urllib.request.Request(reference, headers={"User-Agent": "tongdai"})
    match = _TWILIO_RECORDING.search(urlparse(reference).path)
    if match and settings.TONGDAI_TWILIO_AUTH_TOKEN:
        pair = f"{match.group(1)}:{settings.TONGDAI_TWILIO_AUTH_TOKEN}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
    return request


def _file_chunks(handle) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()


def _guess_type(name: str) -> str:
    guessed, _encoding = mimetypes.guess_type(name)
    return guessed if guessed and guessed.startswith("audio/") else "application/octet-stream"


def recordings_expire(now=None) -> int:
    """Mark every recording past ``delete_after`` deleted and remove its local file (a
    recording on the PBX's own server must be removed by the PBX's retention, set to the
    same period: tongdai stops serving it). Returns how many were expired."""
    now = now or timezone.now()
    count = 0
    for recording in Recording.objects.filter(deleted_at__isnull=True, delete_after__lte=now):
        path = local_path(recording.reference)
        if path is not None:
            path.unlink(missing_ok=True)
        with transaction.atomic():
            updated = Recording.objects.filter(pk=recording.pk, deleted_at__isnull=True).update(
                deleted_at=now)
            if updated:
                audit_record(None, Action.UPDATE, obj=recording, via="job",
                             fields=["deleted_at"], detail={"call": recording.call_id,
                                                            "reason": "retention"})
                count += 1
    return count
