"""The intake screen: recording a call with and without JavaScript, validation, autosave."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tongdai.audit.models import Action, AuditEvent
from tongdai.contacts.models import Contact, Status
from tongdai.geo.models import Commune

pytestmark = pytest.mark.django_db


def intake_post(**overrides):
    """What a browser posts for a simple, valid report about one child in Hà Nội."""
    commune = Commune.objects.filter(province_id="01").order_by("code").first()
    data = {
        "channel": "phone_111",
        "received_at": "",
        "kind": "report",
        "topics": ["violence_physical"],
        "summary": "Hàng xóm báo trẻ bị đánh.",
        "actions_taken": "",
        "notes": "",
        "caller-phone": "0912 345 678",
        "caller-name": "Nguyễn Văn Ấn",
        "caller-relation": "neighbour_witness",
        "caller-sex": "male",
        "caller-age": "",
        "caller-age_group": "unknown",
        "caller-province": "01",
        "caller-commune": commune.code,
        "caller-country": "",
        "subjects-0-name": "Đặng Thị Bình",
        "subjects-0-sex": "female",
        "subjects-0-age": "9",
        "subjects-0-age_group": "unknown",
        "subjects-0-province": "01",
        "subjects-0-commune": "",
        "subjects-0-country": "",
        "action": "complete",
    }
    data.update(overrides)
    if data.get("received_at") == "":
        data.pop("received_at")
    return {k: v for k, v in data.items() if v is not None}


def test_intake_page_speaks_vietnamese_by_default(client, people):
    client.force_login(people.hn)
    response = client.get(reverse("contact_new"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="vi"' in html
    assert "Hoàn tất" in html and "Lưu nháp" in html
    assert 'name="caller-phone"' in html and 'id="btn-complete"' in html
    assert 'id="autosave-status"' in html


def test_intake_page_has_no_inline_script_or_style(client, people):
    client.force_login(people.hn)
    html = client.get(reverse("contact_new")).content.decode()
    assert "<script>" not in html and " style=" not in html and "onclick" not in html


def test_posting_the_form_without_javascript_records_a_completed_contact(client, people):
    client.force_login(people.hn)
    response = client.post(reverse("contact_new"), intake_post())
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contact_detail", args=[contact.pk])
    assert contact.status == Status.COMPLETED
    assert contact.caller_phone == "+84912345678"
    assert contact.caller_commune.province_id == "01"
    assert [s.name for s in contact.subjects.all()] == ["Đặng Thị Bình"]
    assert list(contact.topics.values_list("code", flat=True)) == ["violence_physical"]
    assert contact.centre_id == "HN" and contact.counsellor == people.hn
    page = client.get(response["Location"]).content.decode()
    assert contact.reference in page


def test_empty_extra_subject_rows_are_not_people(client, people):
    client.force_login(people.hn)
    client.post(reverse("contact_new"), intake_post(**{"subjects-3-name": "", "subjects-3-sex": "unknown"}))
    assert Contact.objects.get().subjects.count() == 1


@pytest.mark.parametrize("overrides, field, message", [
    ({"caller-province": "99", "caller-commune": ""}, "caller-province", "Mã tỉnh"),
    ({"subjects-0-province": "79", "subjects-0-commune": "__hn__"}, "subjects-0-commune", "không thuộc"),
    ({"caller-phone": "12"}, "caller-phone", "Số điện thoại không hợp lệ"),
    ({"subjects-0-age": "chín"}, "subjects-0-age", "Tuổi phải là số nguyên"),
    ({"kind": ""}, "kind", "Chọn loại cuộc gọi"),
])
def test_invalid_input_is_shown_in_vietnamese_beside_the_field_and_nothing_is_stored(
        client, people, overrides, field, message):
    hn_commune = Commune.objects.filter(province_id="01").order_by("code").first().code
    overrides = {k: (hn_commune if v == "__hn__" else v) for k, v in overrides.items()}
    client.force_login(people.hn)
    response = client.post(reverse("contact_new"), intake_post(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert f'id="id_{field}_error"' in html
    anchor = "id_kind_none" if field == "kind" else f"id_{field}"
    assert f'href="#{anchor}"' in html  # the summary at the top links to the field
    assert Contact.objects.count() == 0
    # What was typed comes back as typed.
    assert "Nguyễn Văn Ấn" in html


def test_add_person_button_without_javascript_adds_a_row_and_saves_nothing(client, people):
    client.force_login(people.hn)
    response = client.post(reverse("contact_new"), intake_post(action="add_subject"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="subjects-1-name"' in html
    assert Contact.objects.count() == 0


def test_save_draft_without_javascript_keeps_invalid_values_and_redirects_to_edit(client, people):
    client.force_login(people.hn)
    response = client.post(reverse("contact_new"), intake_post(action="draft", **{"caller-phone": "12"}))
    contact = Contact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("contact_edit", args=[contact.pk])
    assert contact.status == Status.DRAFT
    assert contact.caller_phone == ""  # not valid, so not stored as a number...
    assert contact.draft_form["fields"]["caller-phone"] == ["12"]  # ...but kept as typed
    page = client.get(response["Location"]).content.decode()
    assert 'value="12"' in page and "Số điện thoại không hợp lệ" in page


def autosave(client, url, **overrides):
    return client.post(url, intake_post(**overrides), HTTP_ACCEPT="application/json")


def test_autosave_creates_a_draft_keeping_invalid_fields_then_updates_it(client, people):
    client.force_login(people.hn)
    first = autosave(client, reverse("contact_autosave_new"), action=None,
                     **{"caller-phone": "09123", "subjects-0-age": "abc", "summary": "Đang nghe"})
    assert first.status_code == 200
    body = first.json()
    contact = Contact.objects.get(pk=body["id"])
    assert contact.status == Status.DRAFT and contact.counsellor == people.hn
    assert body["edit_url"] == reverse("contact_edit", args=[contact.pk])
    assert body["message"].startswith("Đã lưu lúc")
    assert set(body["errors"]) == {"caller-phone", "subjects-0-age"}
    assert contact.summary == "Đang nghe"  # valid fields are saved as values
    assert contact.draft_form["fields"]["subjects-0-age"] == ["abc"]

    second = autosave(client, body["autosave_url"], action=None, version=str(body["version"]),
                      **{"caller-phone": "0912 345 678", "subjects-0-age": "abc",
                         "summary": "Đang nghe, trẻ 9 tuổi"})
    assert second.status_code == 200
    assert second.json()["id"] == contact.pk and second.json()["version"] == body["version"] + 1
    contact.refresh_from_db()
    assert contact.caller_phone == "+84912345678"
    assert contact.summary == "Đang nghe, trẻ 9 tuổi"
    assert Contact.objects.count() == 1

    page = client.get(body["edit_url"]).content.decode()
    assert 'value="abc"' in page and "Đang nghe, trẻ 9 tuổi" in page
    assert "Tuổi phải là số nguyên" in page
    assert f'action="{body["edit_url"]}"' in page


def test_autosave_with_a_stale_version_is_a_conflict(client, people):
    client.force_login(people.hn)
    body = autosave(client, reverse("contact_autosave_new"), action=None).json()
    client.post(body["autosave_url"], intake_post(action=None, version=str(body["version"])))
    stale = client.post(body["autosave_url"], intake_post(action=None, version=str(body["version"])))
    assert stale.status_code == 409
    assert "người khác" in stale.json()["message"]


def test_completing_an_autosaved_draft_without_javascript(client, people):
    client.force_login(people.hn)
    body = autosave(client, reverse("contact_autosave_new"), action=None).json()
    response = client.post(body["edit_url"], intake_post(version=str(body["version"])))
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.status == Status.COMPLETED and contact.draft_form == {}


def test_autosave_refuses_a_completed_contact(client, people, make_contact):
    contact = make_contact(people.hn)
    client.force_login(people.hn)
    response = client.post(reverse("contact_autosave", args=[contact.pk]), intake_post(action=None))
    assert response.status_code == 409
    contact.refresh_from_db()
    assert contact.version == 1


def test_autosave_answers_401_json_when_signed_out(client, people):
    response = client.post(reverse("contact_autosave_new"), intake_post(action=None))
    assert response.status_code == 401
    assert Contact.objects.count() == 0


def test_roles_that_cannot_record_get_403_on_the_intake_page(client, people):
    for user in (people.hn_manager, people.admin, people.police, people.analyst):
        client.force_login(user)
        assert client.get(reverse("contact_new")).status_code == 403
        assert client.post(reverse("contact_autosave_new"), intake_post(action=None)).status_code == 403
    assert Contact.objects.count() == 0


def test_southern_counsellor_cannot_open_edit_or_autosave_a_hanoi_contact(client, people, make_contact):
    contact = make_contact(people.hn)
    client.force_login(people.ag)
    before = AuditEvent.objects.filter(action=Action.DENIED).count()
    assert client.get(reverse("contact_detail", args=[contact.pk])).status_code == 404
    assert client.get(reverse("contact_edit", args=[contact.pk])).status_code == 404
    response = client.post(reverse("contact_autosave", args=[contact.pk]), intake_post(action=None))
    assert response.status_code == 404
    assert client.post(reverse("contact_edit", args=[contact.pk]), intake_post()).status_code == 404
    denied = AuditEvent.objects.filter(action=Action.DENIED, actor=people.ag, object_id=contact.pk)
    assert denied.count() == 4
    assert AuditEvent.objects.filter(action=Action.DENIED).count() == before + 4
    contact.refresh_from_db()
    assert contact.version == 1


def test_not_found_page_is_a_real_404_page_in_vietnamese(client, people):
    client.force_login(people.hn)
    response = client.get(reverse("contact_detail", args=[999999]))
    assert response.status_code == 404
    assert "Không tìm thấy" in response.content.decode()


def test_correcting_a_completed_contact_is_all_or_nothing(client, people, make_contact):
    contact = make_contact(people.hn)
    client.force_login(people.hn)
    page = client.get(reverse("contact_edit", args=[contact.pk])).content.decode()
    assert 'id="btn-save"' in page and 'data-autosave="off"' in page
    bad = client.post(reverse("contact_edit", args=[contact.pk]),
                      intake_post(action="save", version="1", summary="Sửa", **{"caller-phone": "12"}))
    assert bad.status_code == 400
    contact.refresh_from_db()
    assert contact.summary != "Sửa"
    good = client.post(reverse("contact_edit", args=[contact.pk]),
                       intake_post(action="save", version="1", summary="Sửa"))
    assert good.status_code == 302
    contact.refresh_from_db()
    assert contact.summary == "Sửa" and contact.status == Status.COMPLETED


def test_communes_endpoint_lists_a_provinces_communes(client, people):
    client.force_login(people.hn)
    response = client.get(reverse("geo_communes", args=["48"]))
    assert response.status_code == 200
    communes = response.json()["communes"]
    assert communes and all(Commune.objects.get(pk=c["code"]).province_id == "48" for c in communes)
    assert client.get(reverse("geo_communes", args=["99"])).status_code == 404
    client.logout()
    assert client.get(reverse("geo_communes", args=["48"])).status_code == 302


def test_intake_page_offers_provinces_topics_kinds_and_countries(client, people):
    client.force_login(people.hn)
    html = client.get(reverse("contact_new")).content.decode()
    assert re.search(r'<option value="01"[^>]*>Hà Nội</option>', html)
    assert 'value="violence_physical"' in html and 'data-search="bao luc the chat' in html
    assert 'id="id_kind_report"' in html
    assert 'value="KH"' in html  # Cambodia, for victims abroad


def test_the_uis_own_css_and_scripts_are_served_from_our_origin(client):
    for path in ("tongdai/css/app.css", "tongdai/js/fold.js", "tongdai/js/intake.js",
                 "tongdai/js/combobox.js", "tongdai/js/topics.js", "django_htmx/htmx-2.min.js"):
        response = client.get(f"/static/{path}")
        assert response.status_code == 200, path


def test_saving_a_draft_over_someone_elses_newer_save_says_so(client, people):
    client.force_login(people.hn)
    body = autosave(client, reverse("contact_autosave_new"), action=None).json()
    client.post(body["autosave_url"], intake_post(action=None, version=str(body["version"])))
    response = client.post(body["edit_url"], intake_post(action="draft", version=str(body["version"]),
                                                         summary="Bản cũ"))
    assert response.status_code == 409
    assert "người khác" in response.content.decode()
    assert Contact.objects.get().summary != "Bản cũ"
