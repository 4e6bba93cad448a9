"""The analysts' export page: the anonymised research dataset and the CHI figures.
Figures and reach come from ``tongdai.scale.research`` and ``tongdai.scale.chi``; every
download and every refusal is audited there or here."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tongdai.accounts.roles import Perm
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.reports.services import ReportForbidden, ReportInvalid
from tongdai.scale.chi import FORMATS, chi_export
from tongdai.scale.research import DEFAULT_K, ResearchForbidden, ResearchInvalid, research_dataset

#: The web page exports at most this many days at once; longer periods: ``tongdai export``.
MAX_WEB_DAYS = 366


def _refuse(request, what: str, object_type: str = "research_dataset", *, audited: bool = False):
    """403; the refusal is recorded unless the service that refused already did."""
    if not audited:
        audit_record(request.user, Action.DENIED, object_type=object_type, request=request,
                     via="ui", detail={"attempt": what})
    return render(request, "error.html", {"status": 403,
                                          "message": _("Your role cannot export research data.")},
                  status=403)


def _context(request, errors: dict, values: dict) -> dict:
    today = timezone.localdate()
    return {"nav": "research", "errors": errors, "values": values, "default_k": DEFAULT_K,
            "years": list(range(today.year, today.year - 11, -1)), "max_days": MAX_WEB_DAYS}


def _field(data, name: str) -> str:
    value = data.get(name, "")
    return value.strip()[:40] if isinstance(value, str) else ""


@login_required
@require_http_methods(["GET", "POST"])
def research_export(request):
    """GET: the form. POST: the CSV download (or the form again with the errors, 400)."""
    if not request.user.can(Perm.RESEARCH_EXPORT):
        return _refuse(request, "research_page")
    today = timezone.localdate()
    values = {"from": today.replace(month=1, day=1).isoformat(), "to": today.isoformat(),
              "k": str(DEFAULT_K)}
    if request.method == "GET":
        return render(request, "scale/research.html", _context(request, {}, values))
    values = {name: _field(request.POST, name) for name in ("from", "to", "k")}
    errors = {}
    try:
        date_from = datetime.date.fromisoformat(values["from"])
    except ValueError:
        errors["from"] = _("Enter a date as YYYY-MM-DD.")
    try:
        date_to = datetime.date.fromisoformat(values["to"])
    except ValueError:
        errors["to"] = _("Enter a date as YYYY-MM-DD.")
    try:
        k = int(values["k"])
    except ValueError:
        errors["k"] = _("k must be a whole number from 2 to 1000.")
    if not errors and (date_to - date_from).days + 1 > MAX_WEB_DAYS:
        errors["to"] = _("At most %(days)d days at once here; use the tongdai export command "
                         "for longer periods.") % {"days": MAX_WEB_DAYS}
    if not errors:
        try:
            dataset = research_dataset(request.user, date_from, date_to, k=k, request=request)
        except ResearchInvalid as exc:
            errors = exc.errors
        except ResearchForbidden:  # research_dataset recorded the refusal
            return _refuse(request, "research_export", audited=True)
    if errors:
        return render(request, "scale/research.html", _context(request, errors, values), status=400)
    response = HttpResponse(dataset.csv_bytes(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dataset.filename()}"'
    return response


@login_required
@require_GET
def chi_download(request):
    year_raw, fmt = _field(request.GET, "year"), _field(request.GET, "format") or "xlsx"
    today = timezone.localdate()
    errors = {}
    try:
        year = int(year_raw)
        if not 2000 <= year <= today.year:
            raise ValueError
    except ValueError:
        errors["year"] = _("Choose a year from 2000 to this year.")
    if fmt not in FORMATS:
        errors["format"] = _("Choose CSV or Excel.")
    if not request.user.can(Perm.RESEARCH_EXPORT) and not request.user.can(Perm.REPORT_VIEW):
        return _refuse(request, "chi_export", "chi_figures")
    if errors:
        return render(request, "scale/research.html",
                      _context(request, errors, {"k": str(DEFAULT_K)}), status=400)
    try:
        data, name, content_type = chi_export(request.user, year, fmt, request=request)
    except ReportForbidden:  # chi_export recorded the refusal
        return _refuse(request, "chi_export", "chi_figures", audited=True)
    except ReportInvalid as exc:
        return render(request, "scale/research.html",
                      _context(request, exc.errors, {"k": str(DEFAULT_K)}), status=400)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
