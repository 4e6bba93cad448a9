"""CSV export: scoped to reach, no direct identifiers, no formulas, audited."""

import csv
import io

import pytest

from tongdai.audit.models import AuditEvent
from tongdai.contacts.export import contact_export_csv, safe_cell
from tongdai.contacts.services import ContactFilter, ContactForbidden


def _read(text):
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_export_holds_the_centres_contacts_without_names_phones_or_text(people, make_contact):
    mine = make_contact(people.hn, summary="=HYPERLINK(\"http://x\")")
    make_contact(people.ag, caller={"phone": "0987654321", "province": "91"},
                 subjects=[{"name": "Lê Văn Tí", "province": "91"}])
    text = contact_export_csv(people.hn_super, ContactFilter(), via="test")
    rows = _read(text)
    assert [r[0] for r in rows[1:]] == [mine.reference]
    for personal in ("Nguyễn", "Đặng", "0912", "+8491", "Hàng xóm", "HYPERLINK", "Lê Văn"):
        assert personal not in text
    event = AuditEvent.objects.filter(action="export").latest("id")
    assert event.object_ids == [mine.pk] and event.actor == people.hn_super


def test_southern_supervisor_cannot_export_hanoi_contacts(people, make_contact):
    make_contact(people.hn)
    rows = _read(contact_export_csv(people.ag_super, ContactFilter(), via="test"))
    assert rows[1:] == []


@pytest.mark.parametrize("persona", ["hn", "analyst", "police", "commune", "former"])
def test_roles_without_export_permission_are_refused_and_audited(people, persona):
    with pytest.raises(ContactForbidden):
        contact_export_csv(getattr(people, persona), ContactFilter(), via="test")
    assert AuditEvent.objects.filter(action="denied", detail__attempt="export").exists()


@pytest.mark.parametrize("value", ["=1+1", "+84", "-3", "@SUM(A1)", "\tx"])
def test_cells_that_would_run_as_formulas_are_made_text(value):
    assert safe_cell(value) == "'" + value


def test_plain_cells_are_untouched():
    assert safe_cell("HN-0000001") == "HN-0000001" and safe_cell(None) == ""


def test_api_export_is_scoped_and_refused_to_counsellors(people, api, make_contact):
    mine = make_contact(people.hn)
    response = api(people.hn_super).get("/api/v1/contacts/export")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert mine.reference in response.content.decode()
    southern = api(people.ag_super).get("/api/v1/contacts/export")
    assert southern.status_code == 200 and mine.reference not in southern.content.decode()
    refused = api(people.hn).get("/api/v1/contacts/export")
    assert refused.status_code == 403 and refused.json()["message"]


def test_api_export_with_a_bad_filter_is_a_422(people, api):
    response = api(people.hn_super).get("/api/v1/contacts/export?province=99")
    assert response.status_code == 422 and "province" in response.json()["errors"]


def test_ui_export_downloads_the_filtered_list_within_reach(people, client, make_contact):
    mine = make_contact(people.hn)
    client.force_login(people.ag_super)
    southern = client.get("/contacts/export.csv")
    assert southern.status_code == 200 and mine.reference not in southern.content.decode()
    client.force_login(people.hn_super)
    page = client.get("/contacts/?urgent=0")
    assert b'id="export-csv"' in page.content
    response = client.get("/contacts/export.csv?urgent=0")
    assert response.status_code == 200 and mine.reference in response.content.decode()


def test_ui_export_is_refused_to_counsellors_and_bad_filters_are_400(people, client):
    client.force_login(people.hn)
    assert b'id="export-csv"' not in client.get("/contacts/").content
    assert client.get("/contacts/export.csv").status_code == 403
    client.force_login(people.hn_super)
    response = client.get("/contacts/export.csv?province=99")
    assert response.status_code == 400
