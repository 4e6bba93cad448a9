"""Attachments and generated forms: the one entry point for their writes and reads.

Who may do what (reach is always the case's: ``Case.objects.visible_to``):
- list and download attachments: anyone who can open the case (``CASE_VIEW``);
- attach a file: ``CASE_OPEN`` (counsellors attach the photo or scan a caller sends);
- delete (soft) an attachment: its uploader, or anyone with ``CASE_EDIT``;
- print a Decree 56 form as PDF: anyone who can open the case; every print is audited
  (EXPORT) and written on the timeline, because a printed form leaves the system.
Outside reach is always "not found" (404), audited as a refusal.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import uuid
from typing import IO

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongdai.accounts.roles import Perm
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.cases.models import Case, EventKind
from tongdai.cases.services import (
    CaseForbidden,
    CaseInvalid,
    CaseNotFound,
    audited_refusal,
    case_event,
    case_get_for,
    case_lock_for_edit,
)
from tongdai.core.ids import safe_id as _safe_id
from tongdai.documents.models import Attachment, AttachmentKind
from tongdai.documents.sniff import ALLOWED, sniff

logger = logging.getLogger(__name__)

NAME_LIMIT = 150
DESCRIPTION_LIMIT = 2000
# Control characters and the bidi overrides that make "gpj.exe" display as "exe.jpg".
_UNSAFE = re.compile("[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069\u200e\u200f]")


class AttachmentInvalid(CaseInvalid):
    """A refused upload; ``status`` is the HTTP status a view should answer with."""

    def __init__(self, errors: dict[str, str], status: int = 400):
        super().__init__(errors)
        self.status = status


class AttachmentNotFound(CaseNotFound):
    """No attachment with that id within the user's reach."""




def clean_name(raw) -> str:
    """The user's file name made safe to *display*: last path segment only, no control or
    bidi characters, no leading dots, at most ``NAME_LIMIT`` characters (keeping the
    extension). It never becomes part of a storage path."""
    text = unicodedata.normalize("NFC", str(raw or ""))
    text = _UNSAFE.sub("", text).replace("\\", "/").rsplit("/", 1)[-1]
    text = " ".join(text.split()).lstrip(". ")
    if len(text) > NAME_LIMIT:
        stem, dot, ext = text.rpartition(".")
        ext = ext[:10] if dot and stem else ""
        text = text[: NAME_LIMIT - len(ext) - 1].rstrip() + ("." + ext if ext else "")
    return text or "file"


def download_name(attachment: Attachment) -> str:
    """The shown name with the extension of what the file really is."""
    stem, dot, _ext = attachment.original_name.rpartition(".")
    return f"{stem if dot and stem else attachment.original_name}.{attachment.extension}"


def max_upload_bytes() -> int:
    return settings.MAX_UPLOAD_BYTES


def _too_large_message() -> str:
    return _("The file is too large: at most %(mb)d MB.") % {"mb": settings.MAX_UPLOAD_MB}


def _checked(uploaded_file, kind, description) -> tuple[dict, dict[str, str]]:
    """Validate an upload; returns the fields to store, or the errors (nothing stored)."""
    errors: dict[str, str] = {}
    if kind not in AttachmentKind.values:
        errors["kind"] = _("Choose what kind of file this is.")
    description = description if isinstance(description, str) else ""
    if "\x00" in description or len(description) > DESCRIPTION_LIMIT:
        errors["description"] = _("At most %(limit)d characters.") % {"limit": DESCRIPTION_LIMIT}
    if uploaded_file is None or not getattr(uploaded_file, "size", 0):
        errors["file"] = _("Choose a file to upload.")
        return {}, errors
    if uploaded_file.size > max_upload_bytes():
        raise AttachmentInvalid({"file": _too_large_message()}, status=413)
    file_type = sniff(uploaded_file)
    if file_type is None:
        errors["file"] = _("This type of file is not accepted. Allowed: %(types)s.") % {
            "types": ", ".join(t.extension.upper() for t in ALLOWED)}
    if errors:
        return {}, errors
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return {"kind": kind, "description": description.strip(), "size": uploaded_file.size,
            "sha256": digest.hexdigest(), "original_name": clean_name(uploaded_file.name),
            "content_type": file_type.content_type, "extension": file_type.extension}, {}


def attachment_add(actor, case_id, uploaded_file, kind: str, description: str = "", *,
                   request=None, via: str = "ui") -> Attachment:
    """Attach a file to an open case. The file is stored under a random name; if anything
    fails after it was written, it is removed again. The case version is not bumped: a file
    arriving must not invalidate someone's open edit form."""
    with audited_refusal(actor, case_id, "attachment_add", request=request, via=via):
        stored = None
        try:
            with transaction.atomic():
                case = case_lock_for_edit(actor, case_id, perm=Perm.CASE_OPEN)
                fields, errors = _checked(uploaded_file, kind, description)
                if errors:
                    raise AttachmentInvalid(errors)
                stored = default_storage.save(
                    f"cases/{case.pk}/{uuid.uuid4().hex}.{fields['extension']}", uploaded_file)
                attachment = Attachment.objects.create(case=case, stored_name=stored,
                                                       uploaded_by=actor, **fields)
                case_event(case, actor, EventKind.DOCUMENT, attachment.original_name,
                           attachment=attachment.pk, action="added", file_kind=attachment.kind)
                audit_record(actor, Action.CREATE, obj=attachment, request=request, via=via,
                             detail={"case": case.pk, "type": attachment.extension,
                                     "size": attachment.size})
                return attachment
        except BaseException:
            if stored:
                default_storage.delete(stored)
            raise


def attachment_list(actor, case_id, *, request=None, via: str = "ui") -> tuple[Case, list[Attachment]]:
    """The case (audited view, or ``CaseNotFound``) and its attachments (audited list)."""
    case = case_get_for(actor, case_id, request=request, via=via)
    rows = list(Attachment.objects.visible_to(actor).filter(case=case).select_related("uploaded_by"))
    audit_record(actor, Action.LIST, object_type="attachment", object_ids=[a.pk for a in rows],
                 request=request, via=via, detail={"case": case.pk, "shown": len(rows)})
    return case, rows


def _reachable(actor, attachment_id, attempt: str, request, via) -> Attachment:
    pk = _safe_id(attachment_id)
    attachment = (Attachment.objects.visible_to(actor).select_related("case")
                  .filter(pk=pk).first()) if pk else None
    if attachment is None:
        audit_record(actor, Action.DENIED, object_type="attachment", object_id=pk,
                     request=request, via=via, detail={"attempt": attempt})
        raise AttachmentNotFound()
    return attachment


def attachment_open(actor, attachment_id, *, request=None, via: str = "ui") -> tuple[IO[bytes], Attachment]:
    """The stored file (open for reading; the caller closes it) and its record, audited
    (VIEW). ``AttachmentNotFound`` outside reach, deleted, or missing from storage."""
    attachment = _reachable(actor, attachment_id, "download", request, via)
    try:
        stream = default_storage.open(attachment.stored_name, "rb")
    except OSError:
        logger.error("attachment %s: file missing from storage", attachment.pk)
        raise AttachmentNotFound() from None
    audit_record(actor, Action.VIEW, obj=attachment, request=request, via=via,
                 detail={"case": attachment.case_id})
    return stream, attachment


def attachment_delete(actor, attachment_id, *, request=None, via: str = "ui") -> Attachment:
    """Hide an attachment (soft delete). The file stays in storage for the retention period
    (docs/operations.md); the audit trail and timeline say who removed it and when."""
    found = _reachable(actor, attachment_id, "delete", request, via)
    with audited_refusal(actor, found.case_id, "attachment_delete", request=request, via=via), \
            transaction.atomic():
        case = case_lock_for_edit(actor, found.case_id, perm=Perm.CASE_OPEN, allow_closed=True)
        attachment = Attachment.objects.select_for_update().get(pk=found.pk)
        if attachment.deleted_at is not None:
            raise AttachmentNotFound()
        if attachment.uploaded_by_id != actor.pk and not actor.can(Perm.CASE_EDIT):
            raise CaseForbidden(_("Only the person who added this file or a case manager can remove it."))
        attachment.deleted_at, attachment.deleted_by = timezone.now(), actor
        attachment.save(update_fields=["deleted_at", "deleted_by"])
        case_event(case, actor, EventKind.DOCUMENT, attachment.original_name,
                   attachment=attachment.pk, action="deleted")
        audit_record(actor, Action.UPDATE, obj=attachment, request=request, via=via,
                     fields=["deleted_at"], detail={"case": case.pk})
        return attachment


def form_pdf(actor, case_id, code: str, *, request=None, via: str = "ui") -> tuple[bytes, str]:
    """Form ``code`` (01, 02, 03, 05, 06) of a case within reach as PDF, and a file name.
    Audited as an EXPORT and written on the timeline: a printed form leaves the system.
    ``FormUnknown`` for other codes, ``CaseNotFound`` outside reach."""
    from tongdai.documents.pdf import FORMS, FormUnknown, render_form

    if code not in FORMS:
        raise FormUnknown(code)
    pk = _safe_id(case_id)
    case = (Case.objects.visible_to(actor).select_related("centre__province")
            .filter(pk=pk).first()) if pk else None
    if case is None:
        audit_record(actor, Action.DENIED, object_type="case", object_id=pk, request=request,
                     via=via, detail={"attempt": f"form_{code}"})
        raise CaseNotFound()
    pdf = render_form(case, code)
    with transaction.atomic():
        case_event(case, actor, EventKind.DOCUMENT, form=code, action="printed")
        audit_record(actor, Action.EXPORT, obj=case, request=request, via=via,
                     detail={"form": code})
    return pdf, f"{case.number}-mau-{code}.pdf"
