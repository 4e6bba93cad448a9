"""The Decree 56/2017 forms as printable, signable A4 PDF, in Vietnamese, from case data.

Form 01 (intake report) comes from the case's first contact; Forms 02, 03, 05 and 06 from
the latest record of the child-protection workflow (``tongdai.protection``). A form whose
step has not been recorded yet prints with blank dotted lines, to be filled in by hand.

The wording is fixed Vietnamese (these are legal forms, not UI) and follows the titles of
the Decree's appendix; labels of choices are spelled out here rather than translated at
run time, so a form never comes out half in English. Rendering uses WeasyPrint with the
Noto fonts (Debian ``fonts-noto-core``); it never fetches anything (no URLs in templates,
and a fetcher that refuses every request).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from tongdai.cases.models import Case, PersonRole

SEX_VI = {"female": "Nữ", "male": "Nam", "other": "Khác", "unknown": "Không rõ"}
RISK_VI = {"high": "Cao", "medium": "Trung bình", "low": "Thấp"}
RISK_CRITERIA_VI = (
    ("risk_harm", "Mức độ nghiêm trọng của tổn hại"),
    ("risk_access", "Khả năng tiếp cận trẻ em của người xâm hại"),
    ("risk_care", "Trở ngại trong môi trường chăm sóc trẻ em"),
    ("risk_resilience", "Khả năng tự bảo vệ và phục hồi của trẻ em"),
)
NEEDS_VI = (
    ("need_safety", "An toàn"), ("need_health", "Sức khỏe"), ("need_education", "Giáo dục"),
    ("need_psychological", "Tâm lý"), ("need_family", "Gia đình và chăm sóc"),
    ("need_legal", "Pháp lý"), ("need_other", "Nhu cầu khác"),
)
ITEM_STATUS_VI = {"planned": "Chưa thực hiện", "in_progress": "Đang thực hiện",
                  "done": "Đã hoàn thành", "cancelled": "Đã hủy"}
DECISION_VI = {"close": "Đóng hồ sơ: trẻ em đã an toàn, ổn định",
               "new_plan": "Xây dựng kế hoạch hỗ trợ, can thiệp mới"}


@dataclass(frozen=True)
class FormSpec:
    number: str
    title: str
    subtitle: str
    template: str
    context: Callable[[Case], dict[str, Any]]


class FormUnknown(Exception):
    """Not one of the forms this system prints."""


class _NoFetch(Exception):
    pass


def _no_fetch(url: str, *args, **kwargs):
    """A form is self-contained: refuse every URL (no file://, no network)."""
    raise _NoFetch(url)


def _local(dt):
    return timezone.localtime(dt) if dt else None


def _place(commune=None, province=None, country=None) -> str:
    if country is not None:
        return country.name_vi
    parts = [p.name for p in (commune, province) if p is not None]
    return ", ".join(parts)


def _age(person) -> str:
    if person.age is not None:
        estimated = bool(person.subject_id and person.subject and person.subject.age_estimated)
        return f"{person.age} tuổi" + (" (ước tính)" if estimated else "")
    if person.age_group and person.age_group != "unknown":
        return f"khoảng {person.get_age_group_display()} tuổi"
    return ""


def _person(person) -> dict[str, str]:
    return {"name": person.name, "sex": SEX_VI.get(person.sex, ""), "age": _age(person),
            "place": _place(person.commune, person.province, person.country),
            "notes": person.notes}


def _people(case: Case, role: str) -> list[dict[str, str]]:
    rows = (case.people.filter(role=role)
            .select_related("province", "commune", "country", "subject").order_by("id"))
    return [_person(p) for p in rows]


def _reporter(contact) -> dict[str, str] | None:
    """The caller's details, only when they agreed both to keep them and to share them:
    Form 01 leaves the hotline (it goes to the commune People's Committee, Art. 26.1)."""
    if (contact is None or contact.caller_anonymous or not contact.caller_consent_keep
            or not contact.caller_consent_share):
        return None
    from tongdai.core.phones import display_phone

    return {"name": contact.caller_name, "phone": display_phone(contact.caller_phone),
            "relation": contact.caller_relation.label if contact.caller_relation else "",
            "place": _place(contact.caller_commune, contact.caller_province, contact.caller_country)}


def _child_commune(case: Case):
    child = (case.people.filter(role=PersonRole.CHILD_VICTIM, commune__isnull=False)
             .select_related("commune", "province").order_by("id").first())
    return child.commune if child else None


def _form01(case: Case) -> dict[str, Any]:
    contact = (case.contacts.select_related("counsellor", "province", "commune", "caller_relation",
                                            "caller_province", "caller_commune", "caller_country")
               .order_by("received_at", "id").first())
    return {
        "contact": contact,
        "received_at": _local(contact.received_at if contact else case.received_at),
        "channel": contact.get_channel_display() if contact else "",
        "happened_at": _place(contact.commune, contact.province) if contact else "",
        "children": _people(case, PersonRole.CHILD_VICTIM),
        "parents": _people(case, PersonRole.PARENT_CAREGIVER),
        "reporter": _reporter(contact),
        "anonymous": bool(contact and contact.caller_anonymous),
        "signer": contact.counsellor.display_name if contact else "",
        "date": _local(contact.received_at if contact else case.received_at),
        "place": case.centre.province.short_name,
    }


def _risks(record) -> list[tuple[str, str]]:
    return [(label, RISK_VI.get(getattr(record, field, ""), "")) for field, label in RISK_CRITERIA_VI]


def _commune_place(case: Case) -> dict[str, Any]:
    commune = _child_commune(case)
    return {"commune": commune, "place": commune.short_name if commune else ""}


def _form02(case: Case) -> dict[str, Any]:
    record = case.first_assessments.select_related("assessed_by").first()
    return {**_commune_place(case), "record": record, "children": _people(case, PersonRole.CHILD_VICTIM),
            "risks": _risks(record) if record else [(label, "") for _f, label in RISK_CRITERIA_VI],
            "risk_level": RISK_VI.get(record.risk_level, "") if record else "",
            "signer": record.assessed_by.display_name if record else "",
            "date": _local(record.assessed_at) if record else None}


def _form03(case: Case) -> dict[str, Any]:
    record = case.needs_assessments.select_related("created_by").first()
    return {**_commune_place(case), "record": record, "children": _people(case, PersonRole.CHILD_VICTIM),
            "needs": [(label, getattr(record, field, "") if record else "") for field, label in NEEDS_VI],
            "signer": record.created_by.display_name if record else "",
            "date": _local(record.assessed_at) if record else None}


def _form05(case: Case) -> dict[str, Any]:
    plan = case.plans.select_related("created_by").order_by("-number").first()
    items = []
    if plan is not None:
        for item in plan.items.select_related("agency").order_by("due_date", "id"):
            items.append({"what": item.what, "who": item.agency.name if item.agency else item.who,
                          "due": item.due_date, "status": ITEM_STATUS_VI.get(item.status, "")})
    return {**_commune_place(case), "record": plan, "items": items,
            "children": _people(case, PersonRole.CHILD_VICTIM),
            "signer": plan.created_by.display_name if plan else "",
            "date": _local(plan.submitted_at or plan.created_at) if plan else None}


def _form06(case: Case) -> dict[str, Any]:
    record = case.reviews.select_related("reviewed_by", "plan").first()
    return {**_commune_place(case), "record": record, "children": _people(case, PersonRole.CHILD_VICTIM),
            "risks": _risks(record) if record else [(label, "") for _f, label in RISK_CRITERIA_VI],
            "decision": DECISION_VI.get(record.decision, "") if record else "",
            "signer": record.reviewed_by.display_name if record else "",
            "date": _local(record.reviewed_at) if record else None}


FORMS: dict[str, FormSpec] = {
    "01": FormSpec("01", "BÁO CÁO TIẾP NHẬN THÔNG TIN",
                   "Thông báo, tố giác về hành vi xâm hại trẻ em hoặc trẻ em có nguy cơ "
                   "bị bạo lực, bóc lột, bỏ rơi", "forms/form01.html", _form01),
    "02": FormSpec("02", "BÁO CÁO ĐÁNH GIÁ BAN ĐẦU VỀ NGUY CƠ",
                   "Đối với trẻ em bị xâm hại hoặc có nguy cơ bị xâm hại",
                   "forms/form02.html", _form02),
    "03": FormSpec("03", "BÁO CÁO ĐÁNH GIÁ NHU CẦU HỖ TRỢ, CAN THIỆP",
                   "Đối với trẻ em bị xâm hại hoặc có nguy cơ bị xâm hại",
                   "forms/form03.html", _form03),
    "05": FormSpec("05", "KẾ HOẠCH HỖ TRỢ, CAN THIỆP",
                   "Đối với trẻ em bị xâm hại hoặc có nguy cơ bị xâm hại",
                   "forms/form05.html", _form05),
    "06": FormSpec("06", "BÁO CÁO ĐÁNH GIÁ KẾT QUẢ THỰC HIỆN KẾ HOẠCH HỖ TRỢ, CAN THIỆP",
                   "Đối với trẻ em bị xâm hại hoặc có nguy cơ bị xâm hại",
                   "forms/form06.html", _form06),
}


def render_form(case: Case, code: str) -> bytes:
    """The PDF bytes of form ``code`` for ``case`` (no access check: callers do that)."""
    spec = FORMS.get(code)
    if spec is None:
        raise FormUnknown(code)
    with translation.override("vi"):
        html = render_to_string(spec.template, {"case": case, "form": spec, **spec.context(case)})
    return html_to_pdf(html)


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of a self-contained HTML page (inline CSS and SVG; every URL refused).
    Shared by the forms and the standard reports (``tongdai.reports.exports``)."""
    from weasyprint import HTML  # heavy import (Pango, fonts): only when printing

    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()
