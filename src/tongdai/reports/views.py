"""Report pages: the standard report (with its Excel, CSV and PDF exports) and the
managers' dashboard. Reach and figures come from ``tongdai.reports.services``; these
views only read parameters and draw. Aggregates only: nothing here is personal data, so
pages are not audited per view; exports and refusals are."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tongdai.accounts.models import Centre
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.geo.models import Province
from tongdai.reports import charts
from tongdai.reports.exports import FORMATS, export_filename, render_export
from tongdai.reports.services import (
    TRENDS,
    Period,
    ReportForbidden,
    ReportInvalid,
    dashboard_data,
    may_choose_centre,
    parse_period,
    report_centre,
    summary_for,
)
from tongdai.reports.tables import standard_tables


def _refuse(request, message: str, what: str):
    audit_record(request.user, Action.DENIED, object_type="report", request=request, via="ui",
                 detail={"attempt": what, "centre": _param(request, "centre")[:4]})
    return render(request, "error.html", {"status": 403, "message": message}, status=403)


def _param(request, name: str) -> str:
    value = request.GET.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """This month so far."""
    return today.replace(day=1), today


def _period(request) -> Period:
    """The period asked for, or this month so far when neither date is given."""
    raw_from, raw_to = _param(request, "from"), _param(request, "to")
    if not raw_from and not raw_to:
        return Period(*_default_period(timezone.localdate()))
    return Period(*parse_period(raw_from, raw_to))


def _centre_name(code: str | None) -> str:
    if not code:
        return _("All centres")
    centre = Centre.objects.filter(pk=code).first()
    return centre.name_vi if centre else code


def _form_context(request, period: Period | None, centre: str | None, errors: dict) -> dict:
    today = timezone.localdate()
    return {
        "nav": "reports",
        "errors": errors,
        "value_from": _param(request, "from") or (period.date_from.isoformat() if period else ""),
        "value_to": _param(request, "to") or (period.date_to.isoformat() if period else ""),
        "centre": centre,
        "choose_centre": may_choose_centre(request.user),
        "centres": Centre.objects.all(),
        "centre_name": _centre_name(centre),
        "shortcuts": _shortcuts(today),
    }


def _shortcuts(today: datetime.date) -> list[tuple[str, str, str]]:
    """Quick periods: (label, from, to)."""
    month = today.replace(day=1)
    last_month_end = month - datetime.timedelta(days=1)
    return [
        (_("This month"), month.isoformat(), today.isoformat()),
        (_("Last month"), last_month_end.replace(day=1).isoformat(), last_month_end.isoformat()),
        (_("This year"), today.replace(month=1, day=1).isoformat(), today.isoformat()),
        (_("Last year"), datetime.date(today.year - 1, 1, 1).isoformat(),
         datetime.date(today.year - 1, 12, 31).isoformat()),
    ]


def _resolve(request) -> tuple[Period | None, str | None, dict]:
    """(period, centre, errors); raises ``ReportForbidden``."""
    errors: dict[str, str] = {}
    period = centre = None
    try:
        period = _period(request)
    except ReportInvalid as exc:
        errors.update(exc.errors)
    try:
        centre = report_centre(request.user, _param(request, "centre") or None)
    except ReportInvalid as exc:
        errors.update(exc.errors)
    return period, centre, errors


@login_required
@require_GET
def standard_report(request):
    """The standard report for a period and a centre: tables and charts."""
    try:
        period, centre, errors = _resolve(request)
    except ReportForbidden as exc:
        return _refuse(request, str(exc), "standard_report")
    context = _form_context(request, period, centre, errors)
    if errors:
        return render(request, "reports/standard.html", context, status=400)
    summary = summary_for(centre, period)
    tables = standard_tables(summary)
    context.update(summary=summary, period=period,
                   tables=[(t, charts.bar_chart(t.chart_rows) if t.chart else None) for t in tables],
                   query=request.GET.urlencode())
    return render(request, "reports/standard.html", context)


@login_required
@require_GET
def report_export(request, fmt: str):
    """The standard report as .xlsx, .csv or .pdf (Vietnamese)."""
    try:
        period, centre, errors = _resolve(request)
    except ReportForbidden as exc:
        return _refuse(request, str(exc), f"export_{fmt}")
    if fmt not in FORMATS:
        errors["format"] = _("Unknown file format.")
    if errors:
        context = _form_context(request, period, centre, errors)
        return render(request, "reports/standard.html", context, status=400)
    summary = summary_for(centre, period)
    body = render_export(summary, _centre_name(centre), fmt)
    audit_record(request.user, Action.EXPORT, object_type="report", request=request, via="ui",
                 detail={"format": fmt, "from": summary["from"], "to": summary["to"],
                         "centre": centre or ""})
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{export_filename(summary, fmt)}"'
    return response


@login_required
@require_GET
def dashboard(request):
    """Live counters, figures of the period, trends and the province map."""
    raw_from, raw_to = _param(request, "from"), _param(request, "to")
    errors: dict[str, str] = {}
    try:  # reach before anything else: no form errors for someone without it
        report_centre(request.user, _param(request, "centre") or None)
    except ReportForbidden as exc:
        return _refuse(request, str(exc), "dashboard")
    except ReportInvalid as exc:
        errors.update(exc.errors)
    unit = _param(request, "unit") or None
    if unit is not None and unit not in TRENDS:
        errors["unit"] = _("Choose day, month or year.")
        unit = None
    try:
        date_from = date_to = None
        if raw_from or raw_to:
            date_from, date_to = parse_period(raw_from, raw_to)
        data = dashboard_data(request.user, date_from, date_to,
                              _param(request, "centre") or None, unit)
    except ReportForbidden as exc:
        return _refuse(request, str(exc), "dashboard")
    except ReportInvalid as exc:
        errors.update(exc.errors)
    if errors:
        return render(request, "reports/dashboard.html", _form_context(request, None, None, errors),
                      status=400)
    period = data["period"]
    context = _form_context(request, period, data["centre"], errors)
    summary = data["summary"]
    tables = {t.key: t for t in standard_tables(summary)}
    names = dict(Province.objects.values_list("code", "short_name"))
    context.update(
        data=data, summary=summary, period=period,
        **{key: (tables[key], charts.bar_chart(tables[key].chart_rows))
           for key in ("kind", "topic", "channel", "relation", "region", "referrals", "people")},
        centre_rows=_centre_rows(summary),
        agency_types=_agency_rows(summary),
        provinces=_province_rows(summary, names),
        tilemap=charts.tile_map(summary["by_province"], names),
        trend=charts.column_chart(data["trend"]),
        deadlines=_deadline_rows(data["deadlines"]),
        units=[("day", _("By day")), ("month", _("By month")), ("year", _("By year"))],
    )
    return render(request, "reports/dashboard.html", context)


def _centre_rows(summary: dict) -> list[tuple[str, int]]:
    names = {c.code: c.name_vi for c in Centre.objects.all()}
    return [(names.get(code, code), n) for code, n in summary["by_centre"].items()]


def _agency_rows(summary: dict) -> list[tuple[str, int]]:
    from tongdai.accounts.models import AgencyType

    labels = dict(AgencyType.choices)
    return [(str(labels.get(code, code)), n) for code, n in summary["referrals_by_agency_type"].items()]


def _province_rows(summary: dict, names: dict[str, str]) -> list[tuple[str, str, int]]:
    rows = [(code, names.get(code, _("Place not recorded")), n)
            for code, n in summary["by_province"].items()]
    return sorted(rows, key=lambda r: (-r[2], r[0]))


def _deadline_rows(deadlines: dict) -> list[tuple[str, dict]]:
    from tongdai.deadlines.models import DeadlineKind

    labels = dict(DeadlineKind.choices)
    return [(str(labels.get(kind, kind)), figures) for kind, figures in deadlines.items()]
