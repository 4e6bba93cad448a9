"""Attachment pages and the PDF forms. Files are served only here, after the reach check
in ``documents.services`` (MEDIA has no static route). Outside reach is always a 404.

Downloads are sent as attachments with ``nosniff``; PDF and images may be previewed inline
(``?inline=1``) under ``Content-Security-Policy: sandbox``, so nothing in them can run
with the site's rights.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tongdai.accounts.roles import Perm
from tongdai.cases.models import CaseType
from tongdai.cases.services import CaseForbidden, CaseInvalid, CaseNotFound
from tongdai.documents.forms import AttachmentForm
from tongdai.documents.pdf import FORMS, FormUnknown
from tongdai.documents.services import (
    AttachmentInvalid,
    attachment_add,
    attachment_delete,
    attachment_list,
    attachment_open,
    download_name,
    form_pdf,
)

SANDBOX = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def ascii_filename(name: str) -> str:
    """A plain-ASCII fallback for old clients (``filename=``); ``filename*`` has the real one."""
    text = name.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in text).strip("._")
    return safe or "file"


def content_disposition(name: str, inline: bool = False) -> str:
    """RFC 6266 / RFC 5987: ASCII ``filename`` plus UTF-8 ``filename*`` for Vietnamese."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_filename(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def _protect(response: HttpResponse, name: str, inline: bool) -> HttpResponse:
    response["Content-Disposition"] = content_disposition(name, inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def case_documents(request, pk: int):
    """The case's attachments and, for those who may attach, the upload form."""
    form = AttachmentForm()
    status = 200
    if request.method == "POST":
        form = AttachmentForm(request.POST, request.FILES)
        status = _upload(request, pk, form)
        if status == 302:
            return redirect("case_documents", pk=pk)
    try:
        case, rows = attachment_list(request.user, pk, request=request)
    except CaseNotFound:
        raise Http404 from None
    return render(request, "documents/list.html", {
        "nav": "cases", "case": case, "rows": rows, "form": form,
        "can_attach": request.user.can(Perm.CASE_OPEN) and case.is_open,
        "can_edit": request.user.can(Perm.CASE_EDIT),
        "forms_pdf": sorted(FORMS.values(), key=lambda f: f.number),
        "is_child_protection": case.type == CaseType.CHILD_PROTECTION,
        "max_upload_mb": settings.MAX_UPLOAD_MB,
    }, status=status)


def _upload(request, pk: int, form: AttachmentForm) -> int:
    """Run the upload; 302 on success, else the status to answer with (errors on the form)."""
    if not form.is_valid():
        return 400
    data = form.cleaned_data
    try:
        attachment_add(request.user, pk, data.get("file"), data["kind"], data.get("description", ""),
                       request=request)
    except CaseNotFound:
        raise Http404 from None
    except CaseForbidden as exc:
        form.add_error(None, str(exc))
        return 403
    except CaseInvalid as exc:
        for key, message in exc.errors.items():
            form.add_error(key if key in form.fields else None, message)
        return exc.status if isinstance(exc, AttachmentInvalid) else 400
    messages.success(request, _("The file was added to the case."))
    return 302


@login_required
@require_GET
def attachment_download(request, pk: int):
    try:
        stream, attachment = attachment_open(request.user, pk, request=request)
    except CaseNotFound:
        raise Http404 from None
    inline = request.GET.get("inline") == "1" and attachment.previewable
    response = FileResponse(stream, content_type=attachment.content_type)
    return _protect(response, download_name(attachment), inline)


@login_required
@require_POST
def attachment_delete_view(request, pk: int):
    try:
        attachment = attachment_delete(request.user, pk, request=request)
    except CaseNotFound:
        raise Http404 from None
    except (CaseForbidden, CaseInvalid) as exc:
        message = str(exc) if isinstance(exc, CaseForbidden) else "; ".join(exc.errors.values())
        messages.error(request, message)
        case_id = request.POST.get("case")
        return redirect("case_documents", pk=int(case_id)) if str(case_id).isdigit() else redirect("home")
    messages.success(request, _("The file was removed from the case."))
    return redirect("case_documents", pk=attachment.case_id)


@login_required
@require_GET
def case_form_pdf(request, pk: int, form: str):
    try:
        pdf, name = form_pdf(request.user, pk, form, request=request)
    except (CaseNotFound, FormUnknown):
        raise Http404 from None
    response = HttpResponse(pdf, content_type="application/pdf")
    return _protect(response, name, inline=request.GET.get("inline") == "1")
