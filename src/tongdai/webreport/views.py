"""The public report pages: no login, no JavaScript needed, safe on a shared phone.

Every page of the flow is sent with ``Cache-Control: no-store`` (the back button and the
browser cache do not keep what was written). Referrer: the quick exit answers with
``Referrer-Policy: no-referrer`` and its link is ``rel="noreferrer"``, so the neutral site
never learns where the person came from. The pages themselves use ``same-origin``, which
also sends nothing to any other site: with ``no-referrer`` on the page, browsers send
``Origin: null`` (and no ``Referer``) with the page's own form posts, and CSRF protection
(rightly) refuses those.

After code + passphrase the reporter stays "in" through a signed cookie bound to that one
receipt, valid ``TONGDAI_REPORT_SESSION_MINUTES`` since the last page (no Django session,
nothing about the reporter stored server-side); leaving or the quick exit deletes it.
"""

from __future__ import annotations

import secrets
from functools import wraps

from django.conf import settings
from django.core import signing
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from tongdai.audit.services import client_ip
from tongdai.channels.models import Provider
from tongdai.webreport.forms import AddForm, ReportForm, ReturnForm
from tongdai.webreport.models import Receipt
from tongdai.webreport.services import (
    LOCKED_TEXT,
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

COOKIE = "td_report"
COOKIE_SALT = "tongdai.webreport.session"


def private(view):
    """No cache, and no referrer to other sites, on every page of the flow."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return wrapped


def _see_other(url: str) -> HttpResponseRedirect:
    """303: after a POST the browser GETs the next page (no re-post on reload)."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _render(request, template: str, context: dict, status: int = 200):
    context = {"quick_exit": reverse("report_exit"), **context}
    return render(request, template, context, status=status)


# ----------------------------------------------------------------------------- cookie


def _session_set(response, receipt: Receipt) -> None:
    value = signing.dumps({"r": receipt.pk, "c": receipt.conversation_id}, salt=COOKIE_SALT)
    response.set_cookie(COOKIE, value, path=reverse("report_form"), httponly=True,
                        samesite="Strict", secure=settings.SESSION_COOKIE_SECURE)


def _session_clear(response) -> None:
    response.delete_cookie(COOKIE, path=reverse("report_form"), samesite="Strict")


def _session_receipt(request) -> Receipt | None:
    raw = request.COOKIES.get(COOKIE)
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=COOKIE_SALT,
                             max_age=settings.TONGDAI_REPORT_SESSION_MINUTES * 60)
        return (Receipt.objects.select_related("conversation")
                .filter(pk=int(data["r"]), conversation_id=int(data["c"])).first())
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


# ----------------------------------------------------------------------------- pages


def _form_context(form) -> dict:
    return {"form": form, "submission_id": secrets.token_urlsafe(24)}


@private
@require_http_methods(["GET", "POST"])
def report_form(request):
    if request.method == "GET":
        return _render(request, "webreport/form.html", _form_context(ReportForm()))
    try:
        done = report_submit(request.POST.dict(), provider=Provider.WEB, ip=client_ip(request))
    except ReportInvalid:
        form = ReportForm(request.POST)
        form.is_valid()
        context = _form_context(form)
        return _render(request, "webreport/form.html", context, status=400)
    except ReportDuplicate:
        return _render(request, "webreport/duplicate.html", {}, status=409)
    except ReportThrottled as exc:
        return _render(request, "webreport/throttled.html", {"until": exc.until}, status=429)
    return _render(request, "webreport/receipt.html", {
        "code": done.code, "passphrase": done.passphrase, "urgent": done.receipt.urgent},
        status=201)


@private
@require_http_methods(["GET", "POST"])
def report_return(request):
    if request.method == "GET":
        if _session_receipt(request):
            return redirect("report_thread")
        return _render(request, "webreport/return.html", {"form": ReturnForm()})
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _render(request, "webreport/return.html", {"form": form}, status=400)
    try:
        receipt = receipt_unlock(form.cleaned_data["code"], form.cleaned_data["passphrase"],
                                 ip=client_ip(request))
    except ReceiptRefused as exc:
        status = 429 if exc.until else 400
        return _render(request, "webreport/return.html", {
            "form": ReturnForm(), "refused": True, "until": exc.until,
            "locked_text": LOCKED_TEXT}, status=status)
    response = _see_other(reverse("report_thread"))
    _session_set(response, receipt)
    return response


@private
@require_http_methods(["GET", "POST"])
def report_thread_view(request):
    receipt = _session_receipt(request)
    if receipt is None:
        response = redirect("report_return")
        _session_clear(response)
        return response
    form = AddForm()
    status = 200
    if request.method == "POST":
        try:
            report_add(receipt, request.POST.dict())
        except ReportInvalid:
            form, status = AddForm(request.POST), 400
            form.is_valid()
        else:
            response = _see_other(reverse("report_thread") + "?sent=1")
            _session_set(response, receipt)  # idle timeout starts again
            return response
    response = _render(request, "webreport/thread.html", {
        "code": code_display(receipt.code), "messages_": report_thread(receipt),
        "form": form, "sent": request.GET.get("sent") == "1" and status == 200},
        status=status)
    _session_set(response, receipt)
    return response


@private
@require_POST
def report_leave(request):
    response = _see_other(reverse("report_return"))
    _session_clear(response)
    return response


@private
@require_http_methods(["GET", "POST"])
def report_exit(request):
    """Quick exit: forget the report session and go to a neutral site, telling it nothing."""
    response = HttpResponseRedirect(settings.TONGDAI_QUICK_EXIT_URL)
    response["Referrer-Policy"] = "no-referrer"
    _session_clear(response)
    return response
