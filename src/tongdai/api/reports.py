"""Statistics for the ministry, policy makers and researchers: the standard report as JSON.

Aggregates only (counts keyed by codes): no personal data, so reads are not audited per
record; refusals are. Reach and every definition: ``tongdai.reports.services``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tongdai.api.schemas import ErrorOut
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.reports.services import (
    Period,
    ReportForbidden,
    ReportInvalid,
    parse_period,
    report_centre,
    summary_for,
)

router = Router(tags=["reports"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


class SummaryQuery(Schema):
    date_from: str = Field("", alias="from", description="First day, YYYY-MM-DD (Asia/Ho_Chi_Minh).")
    date_to: str = Field("", alias="to", description="Last day, YYYY-MM-DD, included.")
    centre: str = Field("", description="HN, DN or AG; national roles only (default: all).")


@router.get("/reports/summary", response={200: dict[str, Any], **ERRORS},
            url_name="report_summary", operation_id="report_summary",
            summary="Standard report (aggregates)")
def report_summary_view(request, params: Query[SummaryQuery]):
    """The standard report for a period: `total` completed contacts and counts under
    `by_kind`, `by_topic`, `by_channel`, `by_region`, `by_province`, `by_relation`,
    `by_centre`, `referrals_by_outcome`, `referrals_by_agency_type`, `referral_cases`,
    `people_rescued` and `people_rescued_by_case_type`, keyed by taxonomy or official
    codes. Dates are inclusive, in Asia/Ho_Chi_Minh. Supervisors and centre managers get
    their own centre (another centre: 403); national administrators and analysts any."""
    try:
        centre = report_centre(request.auth, params.centre or None)  # reach first: fails closed
        return summary_for(centre, Period(*parse_period(params.date_from, params.date_to)))
    except ReportInvalid as exc:
        return Status(422, {"message": _("Some fields are not valid."), "errors": exc.errors})
    except ReportForbidden as exc:
        audit_record(request.auth, Action.DENIED, object_type="report", request=request,
                     via="api", detail={"attempt": "summary", "centre": params.centre[:4]})
        return Status(403, {"message": str(exc)})
