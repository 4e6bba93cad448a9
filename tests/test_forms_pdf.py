"""The Decree 56 forms as PDF: content from the case, reach, audit and timeline."""

import datetime
import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from tongdai.audit.models import AuditEvent
from tongdai.cases.models import CaseEvent, CasePerson, EventKind, PersonRole
from tongdai.cases.services import case_open, case_restrict
from tongdai.documents.pdf import FORMS, render_form

HAS_PDFTOTEXT = shutil.which("pdftotext") is not None


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    return " ".join(text.split())  # table cells wrap: compare words, not lines


@pytest.fixture
def hn_case(people, make_contact):
    contact = make_contact(
        people.hn, urgent=True, actions_taken="Đã gọi công an xã.",
        caller={"phone": "0912 345 678", "name": "Nguyễn Văn Ấn", "relation": "neighbour_witness",
                "province": "01", "anonymous": False, "consent_keep": True, "consent_share": True})
    case = case_open(people.hn_casemgr, [contact.pk], "child_protection", via="test")
    CasePerson.objects.create(case=case, role=PersonRole.PARENT_CAREGIVER, name="Đặng Văn Cường",
                              age=38, notes="Làm ruộng")
    return case


def test_form_01_is_a_pdf_with_the_title_child_parent_and_reporter(client, people, hn_case, tmp_path):
    client.force_login(people.hn)
    response = client.get(reverse("case_form_pdf", args=[hn_case.pk, "01"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith(f'attachment; filename="{hn_case.number}-mau-01.pdf"')
    (tmp_path / "form01.pdf").write_bytes(response.content)
    if not HAS_PDFTOTEXT:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = pdf_text(response.content, tmp_path)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "Mẫu số 01", "BÁO CÁO TIẾP NHẬN THÔNG TIN", "Đặng Thị Bình",
                     "Đặng Văn Cường", "Nguyễn Văn Ấn", "Đã gọi công an xã.",
                     "Người báo cáo", "(Ký, ghi rõ họ tên)", hn_case.number):
        assert expected in text, expected


@pytest.mark.skipif(not HAS_PDFTOTEXT, reason="pdftotext (poppler-utils) is not installed")
@pytest.mark.parametrize("keep,share,shown", [(True, True, True), (True, False, False),
                                              (False, False, False)])
def test_form_01_shows_the_reporter_only_with_consent(people, make_contact, tmp_path, keep, share, shown):
    contact = make_contact(people.hn, caller={
        "phone": "0912 345 678", "name": "Trần Thị Gấm", "province": "01", "anonymous": False,
        "consent_keep": keep, "consent_share": share})
    case = case_open(people.hn, [contact.pk], "child_protection", via="test")
    text = pdf_text(render_form(case, "01"), tmp_path)
    assert ("Trần Thị Gấm" in text) is shown
    assert ("0912 345 678" in text) is shown


def test_every_form_renders_and_is_audited_and_on_the_timeline(client, people, hn_case):
    client.force_login(people.hn_casemgr)
    for code in FORMS:
        response = client.get(reverse("case_form_pdf", args=[hn_case.pk, code]))
        assert response.status_code == 200 and response.content.startswith(b"%PDF"), code
    assert AuditEvent.objects.filter(action="export", object_type="case", object_id=hn_case.pk).count() == 5
    printed = CaseEvent.objects.filter(case=hn_case, kind=EventKind.DOCUMENT, data__action="printed")
    assert sorted(printed.values_list("data__form", flat=True)) == ["01", "02", "03", "05", "06"]


@pytest.mark.skipif(not HAS_PDFTOTEXT, reason="pdftotext (poppler-utils) is not installed")
def test_forms_02_to_06_carry_the_recorded_workflow(people, hn_case, tmp_path):
    from tongdai.protection.models import FirstAssessment, NeedsAssessment, Plan, PlanItem, Review

    now = timezone.now()
    who = {"created_by": people.hn_casemgr, "updated_by": people.hn_casemgr}
    risks = {"risk_harm": "high", "risk_access": "medium", "risk_care": "low", "risk_resilience": "low"}
    FirstAssessment.objects.create(case=hn_case, assessed_at=now, assessed_by=people.hn_casemgr,
                                   risk_level="high", emergency=True,
                                   emergency_action="Đưa trẻ đến nhà bà ngoại.", **risks, **who)
    NeedsAssessment.objects.create(case=hn_case, assessed_at=now, need_health="Khám vết thương.", **who)
    plan = Plan.objects.create(case=hn_case, goals="Trẻ được an toàn tại nhà.", **who)
    PlanItem.objects.create(plan=plan, what="Tư vấn tâm lý cho trẻ", who="Cán bộ xã",
                            due_date=datetime.date(2026, 12, 1), **who)
    Review.objects.create(case=hn_case, plan=plan, reviewed_at=now, reviewed_by=people.hn_casemgr,
                          safe_and_stable=True, decision="close", reason="Trẻ đã ổn định.", **risks, **who)
    expected = {"02": ["BÁO CÁO ĐÁNH GIÁ BAN ĐẦU VỀ NGUY CƠ", "Đưa trẻ đến nhà bà ngoại."],
                "03": ["NHU CẦU HỖ TRỢ, CAN THIỆP", "Khám vết thương."],
                "05": ["KẾ HOẠCH HỖ TRỢ, CAN THIỆP", "Tư vấn tâm lý cho trẻ", "01/12/2026"],
                "06": ["KẾT QUẢ THỰC HIỆN KẾ HOẠCH", "Trẻ đã ổn định.", "Đóng hồ sơ"]}
    for code, needles in expected.items():
        text = pdf_text(render_form(hn_case, code), tmp_path)
        for needle in needles + ["Đặng Thị Bình", f"Mẫu số {code}"]:
            assert needle in text, (code, needle)


@pytest.mark.parametrize("persona", ["ag", "police", "commune", "analyst", "dn"])
def test_outsiders_get_404_for_the_pdf(client, people, hn_case, persona):
    client.force_login(getattr(people, persona))
    assert client.get(reverse("case_form_pdf", args=[hn_case.pk, "01"])).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()
    assert AuditEvent.objects.filter(action="denied", object_type="case", object_id=hn_case.pk).exists()


def test_restricted_case_forms_only_for_named_users(client, people, hn_case):
    case_restrict(people.hn_super, hn_case.pk, [people.hn.pk], via="test")
    client.force_login(people.hn2)
    assert client.get(reverse("case_form_pdf", args=[hn_case.pk, "01"])).status_code == 404
    client.force_login(people.hn)
    assert client.get(reverse("case_form_pdf", args=[hn_case.pk, "01"])).status_code == 200


@pytest.mark.parametrize("code", ["04", "07", "1", "01x", "..", "%2e%2e"])
def test_unknown_forms_are_404(client, people, hn_case, code):
    client.force_login(people.hn)
    assert client.get(f"/cases/{hn_case.pk}/forms/{code}.pdf").status_code == 404
