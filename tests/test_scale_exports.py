"""Research dataset (k-anonymity) and Child Helpline International figures."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from tongdai.audit.models import Action, AuditEvent
from tongdai.contacts.models import Contact, Status
from tongdai.reports.services import ReportForbidden
from tongdai.scale.chi import chi_export, chi_figures
from tongdai.scale.generate import generate
from tongdai.scale.research import (
    COLUMNS,
    QUASI_IDENTIFIERS,
    ResearchForbidden,
    ResearchInvalid,
    k_anonymise,
    research_dataset,
)

IDENTIFYING = {"id", "name", "caller_name", "phone", "caller_phone", "summary", "notes",
               "actions_taken", "commune", "address", "received_at", "age", "counsellor"}


def _parse(data: bytes) -> tuple[list[str], list[list[str]]]:
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("# tongdai research dataset")
    reader = list(csv.reader(io.StringIO("\n".join(lines[1:]))))
    return reader[0], reader[1:]


# --------------------------------------------------------------------------- k-anonymity


def test_generalisation_then_suppression_by_hand(db):
    a = ("2025-03", "01", "7_12", "female", "report", "violence", "phone_111", "parent", 0, "<5", 0)
    rows = [a] * 6
    # Same region (Hà Nội 01 and Hải Phòng 31 are both Red River Delta): merged by place→region.
    rows.append(("2025-03", "31", "7_12", "female", "report", "violence", "phone_111", "parent", 1, "5-15", 0))
    released, steps, suppressed = k_anonymise(rows, 5)
    assert steps == ["place→region"]
    assert suppressed == 0 and len(released) == 7
    assert {r[1] for r in released} == {"RRD"}
    # A row that no step can merge is dropped, the rest kept.
    odd = ("2025-03", "01", "60_plus", "male", "prank", "none", "media", "anonymous", 0, "<5", 0)
    released, steps, suppressed = k_anonymise([a] * 6 + [odd], 5, [])
    assert suppressed == 1 and len(released) == 6 and odd not in released


@pytest.fixture
def dataset_db(people):
    generate(900, seed=11, years=2, batch=300)
    return people


def test_research_dataset_is_k_anonymous_and_audited(dataset_db):
    people = dataset_db
    today = timezone.localdate()
    start = today - datetime.timedelta(days=3 * 366)
    dataset = research_dataset(people.analyst, start, today, k=5)
    completed = Contact.objects.filter(status=Status.COMPLETED).count()
    assert dataset.total == completed
    assert len(dataset.rows) + dataset.suppressed == completed
    assert len(dataset.rows) >= completed * 0.9
    header, rows = _parse(dataset.csv_bytes())
    assert header == COLUMNS
    assert not IDENTIFYING & set(header)
    cells = Counter(tuple(r[: len(QUASI_IDENTIFIERS)]) for r in rows)
    assert min(cells.values()) >= 5
    names = set(Contact.objects.exclude(caller_name="").values_list("caller_name", flat=True))
    text = "\n".join(",".join(r) for r in rows)
    assert not any(re.search(r"\d{7,}", v) for r in rows for v in r)  # no phone numbers
    assert not any(name in text for name in list(names)[:200])
    # Dates coarsened: months (or quarters/years) only.
    assert all(re.fullmatch(r"\d{4}(-\d{2}|-Q\d)?", r[0]) for r in rows)
    event = AuditEvent.objects.filter(action=Action.EXPORT, object_type="research_dataset").get()
    assert event.actor == people.analyst and event.detail["k"] == 5
    assert event.detail["rows"] == len(rows)


def test_larger_k_generalises_more(dataset_db):
    people = dataset_db
    today = timezone.localdate()
    start = today - datetime.timedelta(days=3 * 366)
    small = research_dataset(people.analyst, start, today, k=2)
    large = research_dataset(people.analyst, start, today, k=25)
    assert len(large.steps) >= len(small.steps)
    cells = Counter(r[: len(QUASI_IDENTIFIERS)] for r in large.rows)
    assert min(cells.values()) >= 25


def test_research_export_refusals(people):
    today = timezone.localdate()
    with pytest.raises(ResearchForbidden):
        research_dataset(people.hn_manager, today, today)
    assert AuditEvent.objects.filter(action=Action.DENIED, object_type="research_dataset").exists()
    with pytest.raises(ResearchInvalid):
        research_dataset(people.analyst, today, today, k=1)
    with pytest.raises(ResearchInvalid):
        research_dataset(people.analyst, today, today - datetime.timedelta(days=1))


def test_research_page(client, dataset_db):
    people = dataset_db
    client.force_login(people.analyst)
    page = client.get("/research/export")
    assert page.status_code == 200 and b"research-form" in page.content
    today = timezone.localdate()
    response = client.post("/research/export", {"from": (today - datetime.timedelta(days=365)).isoformat(),
                                                "to": today.isoformat(), "k": "5"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    header, rows = _parse(response.content)
    assert header == COLUMNS and rows
    bad = client.post("/research/export", {"from": "2025-01-01", "to": "2025-12-31", "k": "abc"})
    assert bad.status_code == 400
    too_long = client.post("/research/export", {"from": "2020-01-01", "to": "2025-12-31", "k": "5"})
    assert too_long.status_code == 400
    client.force_login(people.hn)
    assert client.get("/research/export").status_code == 403


def test_command_writes_the_dataset(dataset_db, tmp_path):
    today = timezone.localdate()
    out = tmp_path / "research.csv"
    call_command("export", "research", "--as", "analyst", "--from",
                 (today - datetime.timedelta(days=800)).isoformat(), "--to", today.isoformat(),
                 "--k", "5", "--output", str(out))
    header, rows = _parse(out.read_bytes())
    assert header == COLUMNS and rows


# --------------------------------------------------------------------------- CHI


@pytest.fixture
def chi_db(people, make_contact):
    make_contact(people.hn)  # report, violence_physical, neighbour, girl aged 9
    make_contact(people.hn, kind="counselling_psychological", channel="zalo",
                 topics=["mental_health_anxiety", "peers", "mental_health_depression"], subjects=[],
                 caller={"relation": "child_self", "sex": "male", "age": 14, "phone": "0987 654 321"})
    make_contact(people.hn, kind="silent", channel="facebook", topics=[], subjects=[], caller={})
    make_contact(people.ag, kind="information", channel="web", topics=["migration_abroad"], subjects=[],
                 caller={"anonymous": True, "relation": "anonymous"})
    make_contact(people.dn, kind="referral", channel="phone_18001567", topics=["trafficking_labour"],
                 subjects=[{"name": "Lê Thị Cúc", "sex": "female", "age_group": "7_12"}],
                 caller={"relation": "victim_self", "sex": "female", "age": 16})
    make_contact(people.hn, status="draft")  # drafts are not statistics
    return people


def test_chi_figures_by_hand(chi_db):
    year = timezone.localdate().year
    figures = chi_figures(chi_db.admin, year)
    assert figures["contacts"] == {"total": 5, "counselling": 4, "other_contacts": 1}
    assert figures["mode"] == {"phone": 2, "chat_messaging": 2, "web": 1, "email": 0, "walk_in": 0, "other": 0}
    assert figures["who"] == {"child": 2, "adult": 1, "unknown": 2}
    assert figures["gender"] == {"girl": 2, "boy": 1, "other": 0, "unknown": 2}
    assert figures["age"]["7-9"] == 1 and figures["age"]["13-15"] == 1
    assert figures["age"]["7-12 (not split)"] == 1 and figures["age"]["unknown"] == 2
    reasons = figures["reason"]
    assert reasons["abuse_violence"] == 2  # physical violence, trafficking
    assert reasons["abuse_violence:physical"] == 1 and reasons["abuse_violence:trafficking"] == 1
    assert reasons["mental_health"] == 1  # two mental-health topics: one contact
    assert reasons["peer_relationships"] == 1
    assert reasons["other_not_in_chi"] == 1  # safe migration
    # Centre reach: a centre manager gets their own centre's figures.
    assert chi_figures(chi_db.hn_manager, year)["contacts"]["total"] == 3
    with pytest.raises(ReportForbidden):
        chi_figures(chi_db.hn, year)


def test_chi_download_matches_figures(client, chi_db):
    year = timezone.localdate().year
    client.force_login(chi_db.analyst)
    response = client.get("/research/chi", {"year": str(year), "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and isinstance(row[1], int)}
    figures = chi_figures(chi_db.analyst, year)
    assert values["total"] == figures["contacts"]["total"] == 5
    assert values["girl"] == 2
    csv_response = client.get("/research/chi", {"year": str(year), "format": "csv"})
    assert csv_response.status_code == 200 and b"abuse_violence" in csv_response.content
    assert client.get("/research/chi", {"year": "abc"}).status_code == 400
    assert AuditEvent.objects.filter(action=Action.EXPORT, object_type="chi_figures").count() == 2
    client.force_login(chi_db.hn)
    assert client.get("/research/chi", {"year": str(year)}).status_code == 403


def test_chi_command(chi_db, tmp_path):
    out = tmp_path / "chi.csv"
    call_command("export", "chi", "--as", "national_admin", "--year", str(timezone.localdate().year),
                 "--output", str(out))
    assert "total,5" in out.read_text(encoding="utf-8-sig")


def test_chi_exports_and_refusals_are_audited_once_with_the_centre_covered(client, chi_db):
    """The service records each CHI export with the centre it covered (a centre manager's
    own centre when none was asked; None: national) and each refusal as ``chi_figures``,
    for the command and the web page alike, once."""
    year = timezone.localdate().year
    chi_export(chi_db.hn_manager, year, "csv", via="cli")
    chi_export(chi_db.analyst, year, "csv", via="cli")
    exports = AuditEvent.objects.filter(action=Action.EXPORT, object_type="chi_figures").order_by("pk")
    assert [e.detail["centre"] for e in exports] == ["HN", None]

    with pytest.raises(ReportForbidden):
        chi_export(chi_db.hn_manager, year, "csv", centre="DN", via="cli")
    denied = AuditEvent.objects.filter(action=Action.DENIED, object_type="chi_figures")
    assert [(e.via, e.detail["centre"]) for e in denied] == [("cli", "DN")]

    client.force_login(chi_db.hn)  # a counsellor: no report reach
    assert client.get("/research/chi", {"year": str(year)}).status_code == 403
    assert AuditEvent.objects.filter(action=Action.DENIED, object_type="chi_figures").count() == 2
    assert not AuditEvent.objects.filter(object_type="research_dataset").exists()


def test_a_research_refusal_on_the_page_is_recorded_once(client, people):
    client.force_login(people.hn_manager)
    response = client.post("/research/export", {"from": "2026-01-01", "to": "2026-01-31", "k": "5"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=Action.DENIED, object_type="research_dataset").count() == 1
