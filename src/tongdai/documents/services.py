"""Attachments and generated forms: the one entry point for their writes and reads.

Who may do what (reach is always the case's: ``Case.objects.visible_to``):
- list and download attachments: anyone who can open the case (``CASE_VIEW``);
- attach a file: ``CASE_OPEN`` (counsellors attach the photo or scan a caller sends);
- delete (soft) an attachment: its uploader, or anyone with ``CASE_EDIT``;
- partners (``REFERRAL_RECEIVE``) add files through a referral they can see
  (``referral_attachment_add``) and open those, plus the case files the hotline shared
  with that referral (``referral_attachment_share``): one rule, ``Attachment.objects.visible_to``;
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
from django.db.models import Q
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


def _store(actor, case, uploaded_file, kind, description, *, referral=None, request=None,
           via: str = "ui") -> Attachment:
    """The one way a file becomes an attachment (hotline or partner upload): same checks,
    random storage name, timeline line (ids only) and audit. Call inside the caller's
    transaction, with ``case`` locked; the file is removed again if anything fails after
    it was written."""
    fields, errors = _checked(uploaded_file, kind, description)
    if errors:
        raise AttachmentInvalid(errors)
    stored = default_storage.save(f"cases/{case.pk}/{uuid.uuid4().hex}.{fields['extension']}",
                                  uploaded_file)
    try:
        attachment = Attachment.objects.create(case=case, stored_name=stored, uploaded_by=actor,
                                               referral=referral, **fields)
        via_referral = {"referral": referral.pk} if referral is not None else {}
        # The shown name stays off the timeline for partner uploads: only ids leave it.
        text = attachment.original_name if referral is None else ""
        case_event(case, actor, EventKind.DOCUMENT, text, attachment=attachment.pk,
                   action="added", file_kind=attachment.kind, **via_referral)
        audit_record(actor, Action.CREATE, obj=attachment, request=request, via=via,
                     detail={"case": case.pk, "type": attachment.extension,
                             "size": attachment.size, **via_referral})
    except BaseException:
        default_storage.delete(stored)
        raise
    return attachment


def _unstore_on_rollback(attachment_ref: list) -> None:
    """Remove a stored file whose row was rolled back (see ``attachment_add``)."""
    for attachment in attachment_ref:
        default_storage.delete(attachment.stored_name)


def attachment_add(actor, case_id, uploaded_file, kind: str, description: str = "", *,
                   request=None, via: str = "ui") -> Attachment:
    """Attach a file to an open case. The file is stored under a random name; if anything
    fails after it was written, it is removed again. The case version is not bumped: a file
    arriving must not invalidate someone's open edit form."""
    with audited_refusal(actor, case_id, "attachment_add", request=request, via=via):
        written: list[Attachment] = []
        try:
            with transaction.atomic():
                case = case_lock_for_edit(actor, case_id, perm=Perm.CASE_OPEN)
                written.append(_store(actor, case, uploaded_file, kind, description,
                                      request=request, via=via))
                return written[0]
        except BaseException:
            _unstore_on_rollback(written)
            raise


# --------------------------------------------------------------------------- referrals

#: Referral statuses in which nothing more may be uploaded or shared.
_REFERRAL_ENDED = ("revoked", "closed")


def _referral_refused(actor, referral_id, attempt, request, via) -> AttachmentNotFound:
    audit_record(actor, Action.DENIED, object_type="referral", object_id=_safe_id(referral_id),
                 request=request, via=via, detail={"attempt": attempt})
    return AttachmentNotFound()


def _referral_ended(referral) -> AttachmentInvalid:
    return AttachmentInvalid({"file": _("This referral is %(status)s; no more files.") % {
        "status": referral.get_status_display().lower()}}, status=409)


def referral_attachment_add(actor, referral_id, uploaded_file, kind: str, description: str = "",
                            *, request=None, via: str = "ui") -> Attachment:
    """A partner (``REFERRAL_RECEIVE``) adds a file to a referral of their agency that is
    neither revoked nor closed. Same checks and storage as ``attachment_add``; the file
    belongs to the referral's case, so the hotline sees it there. Outside reach: 404."""
    from tongdai.referrals.models import Referral

    pk = _safe_id(referral_id)
    written: list[Attachment] = []
    try:
        with transaction.atomic():
            referral = (Referral.objects.visible_to(actor).select_for_update(of=("self",))
                        .select_related("case").filter(pk=pk).first()) if pk else None
            if referral is None or not actor.can(Perm.REFERRAL_RECEIVE):
                raise _referral_refused(actor, referral_id, "referral_attachment_add", request, via)
            if referral.status in _REFERRAL_ENDED:
                raise _referral_ended(referral)
            written.append(_store(actor, referral.case, uploaded_file, kind, description,
                                  referral=referral, request=request, via=via))
            return written[0]
    except BaseException:
        _unstore_on_rollback(written)
        raise


def referral_attachment_share(actor, referral_id, attachment_id, *, request=None,
                              via: str = "ui"):
    """Hotline staff who may work on the case (``CASE_OPEN``, as for sending referrals)
    share one of its attachments with the referral's agency. Idempotent: sharing twice
    keeps one row. The attachment must belong to the referral's case."""
    from tongdai.referrals.models import Referral, ReferralAttachment

    pk = _safe_id(referral_id)
    found = (Referral.objects.visible_to(actor).filter(pk=pk).values_list("case_id", flat=True)
             .first()) if pk else None
    if found is None or not actor.can(Perm.CASE_VIEW):
        raise _referral_refused(actor, referral_id, "referral_attachment_share", request, via)
    with audited_refusal(actor, found, "referral_attachment_share", request=request, via=via), \
            transaction.atomic():
        case = case_lock_for_edit(actor, found, perm=Perm.CASE_OPEN, allow_closed=True)
        referral = Referral.objects.select_for_update(of=("self",)).get(pk=pk)
        if referral.status in _REFERRAL_ENDED:
            raise _referral_ended(referral)
        attachment = Attachment.objects.filter(pk=_safe_id(attachment_id), case=case,
                                               deleted_at__isnull=True).first()
        if attachment is None:
            raise AttachmentInvalid({"attachment": _("Choose a file of this case.")})
        share, created = ReferralAttachment.objects.get_or_create(
            referral=referral, attachment=attachment, defaults={"shared_by": actor})
        if created:
            case_event(case, actor, EventKind.DOCUMENT, attachment=attachment.pk,
                       referral=referral.pk, action="shared")
            audit_record(actor, Action.CREATE, obj=share, request=request, via=via,
                         detail={"case": case.pk, "referral": referral.pk,
                                 "attachment": attachment.pk})
        return share


def referral_attachments(actor, referral) -> list[Attachment]:
    """The files of a referral the actor already opened: the partner's uploads through it
    and the case files the hotline shared with it (within the actor's reach)."""
    return list(Attachment.objects.visible_to(actor)
                .filter(Q(referral=referral) | Q(shares__referral=referral))
                .select_related("uploaded_by").distinct())


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
