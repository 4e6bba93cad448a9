"""Contact list, search and caller history in the web UI: reach, accents, phone formats."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tongdai.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def listed_ids(response) -> set[int]:
    html = response.content.decode()
    import re

    return {int(n) for n in re.findall(r'id="contact-row-(\d+)"', html)}


@pytest.fixture
def contacts(people, make_contact):
    """An, reported from Hà Nội; Đặng from Hà Nội with another number; one in the South."""
    an = make_contact(people.hn)
    dang = make_contact(people.hn2, caller={"phone": "0987 654 321", "name": "Đặng Văn Hùng",
                                            "province": "01"},
                        subjects=[{"name": "Bé Na", "province": "01"}])
    south = make_contact(people.ag, caller={"phone": "0912345678", "name": "Nguyễn Văn Ấn",
                                            "province": "82"},
                         subjects=[{"name": "Trần Thị Cúc", "province": "82"}])
    return an, dang, south


def test_list_shows_the_centres_contacts_with_local_times(client, people, contacts):
    an, dang, south = contacts
    client.force_login(people.hn)
    response = client.get(reverse("contact_list"))
    assert response.status_code == 200
    assert listed_ids(response) == {an.pk, dang.pk}
    from django.utils import timezone

    assert timezone.localtime(an.received_at).strftime("%d/%m/%Y %H:%M") in response.content.decode()


@pytest.mark.parametrize("query", ["nguyen van an", "Nguyễn Văn Ấn", "NGUYEN  van", "an nguyen"])
def test_search_finds_names_whatever_the_accents(client, people, contacts, query):
    an, _dang, south = contacts
    client.force_login(people.hn)
    response = client.get(reverse("contact_list"), {"q": query})
    assert listed_ids(response) == {an.pk}


def test_search_dang_finds_dang_with_its_d_stroke(client, people, contacts):
    an, dang, _south = contacts  # the child in An's report is Đặng Thị Bình
    client.force_login(people.hn)
    assert listed_ids(client.get(reverse("contact_list"), {"q": "dang"})) == {an.pk, dang.pk}
    assert listed_ids(client.get(reverse("contact_list"), {"q": "dang hung"})) == {dang.pk}


@pytest.mark.parametrize("phone", ["0912345678", "0912 345 678", "+84 912 345 678", "84912345678",
                                   "091-234-5678"])
def test_search_by_phone_in_any_format(client, people, contacts, phone):
    an, _dang, _south = contacts
    client.force_login(people.hn)
    assert listed_ids(client.get(reverse("contact_list"), {"q": phone})) == {an.pk}


def test_southern_counsellor_never_sees_hanoi_contacts_in_list_or_search(client, people, contacts):
    an, dang, south = contacts
    client.force_login(people.ag)
    assert listed_ids(client.get(reverse("contact_list"))) == {south.pk}
    assert listed_ids(client.get(reverse("contact_list"), {"q": "nguyen van an"})) == {south.pk}
    assert listed_ids(client.get(reverse("contact_list"), {"q": "dang"})) == set()
    events = AuditEvent.objects.filter(actor=people.ag, action__in=[Action.LIST, Action.SEARCH],
                                       object_type="contact")
    assert events.count() == 3
    assert all(an.pk not in e.object_ids and dang.pk not in e.object_ids for e in events)
    assert events.filter(action=Action.SEARCH).count() == 2


def test_search_text_is_never_written_to_the_audit_trail(client, people, contacts):
    client.force_login(people.hn)
    client.get(reverse("contact_list"), {"q": "nguyen van an"})
    event = AuditEvent.objects.filter(action=Action.SEARCH).latest("id")
    assert event.detail["filters"] == {"q": True}
    assert "nguyen" not in str(event.detail)


@pytest.mark.parametrize("params, message", [
    ({"date_from": "2026-13-01"}, "Ngày không hợp lệ"),
    ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "Ngày kết thúc trước ngày bắt đầu"),
    ({"kind": "nope"}, "Mã nope không tồn tại"),
    ({"province": "99"}, "Mã tỉnh/thành phố 99"),
    ({"q": "0912 3456"}, "Số điện thoại không hợp lệ"),
    ({"page": "abc"}, "Số trang không hợp lệ"),
    ({"status": "gone"}, "Trạng thái không hợp lệ"),
])
def test_invalid_filters_are_a_400_page_with_a_message(client, people, contacts, params, message):
    client.force_login(people.hn)
    response = client.get(reverse("contact_list"), params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert listed_ids(response) == set()


def test_filters_narrow_the_list(client, people, contacts, make_contact):
    an, dang, _south = contacts
    urgent = make_contact(people.hn, urgent=True, kind="information", topics=["missing"])
    client.force_login(people.hn)
    assert listed_ids(client.get(reverse("contact_list"), {"urgent": "1"})) == {urgent.pk}
    assert listed_ids(client.get(reverse("contact_list"), {"kind": "report"})) == {an.pk, dang.pk}
    assert listed_ids(client.get(reverse("contact_list"), {"topic": "violence"})) == {an.pk, dang.pk}
    assert listed_ids(client.get(reverse("contact_list"), {"status": "draft"})) == set()


def test_list_pages_forward_and_back_without_counting(client, people, make_contact, settings):
    settings.CONTACT_PAGE_SIZE = 2
    made = [make_contact(people.hn) for _ in range(3)]
    client.force_login(people.hn)
    first = client.get(reverse("contact_list"))
    assert 'id="page-next"' in first.content.decode() and 'id="page-prev"' not in first.content.decode()
    second = client.get(reverse("contact_list"), {"page": "2"})
    assert listed_ids(second) == {made[0].pk}
    assert 'id="page-prev"' in second.content.decode()


def test_htmx_filter_request_gets_only_the_results(client, people, contacts):
    client.force_login(people.hn)
    response = client.get(reverse("contact_list"), {"q": "dang"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html


def test_centre_filter_is_only_offered_to_national_roles(client, people, contacts):
    client.force_login(people.hn)
    assert 'name="centre"' not in client.get(reverse("contact_list")).content.decode()
    client.force_login(people.admin)
    response = client.get(reverse("contact_list"), {"centre": "AG"})
    assert 'name="centre"' in response.content.decode()
    assert listed_ids(response) == {contacts[2].pk}


def test_partner_roles_and_analysts_see_no_contacts(client, people, contacts):
    for user in (people.police, people.commune, people.analyst):
        client.force_login(user)
        home = client.get(reverse("home"))
        if user is people.analyst:
            assert home.status_code == 200
            assert "phiên bản sau" in home.content.decode()
            assert listed_ids(home) == set()
        else:  # partners start from the referrals made to them
            assert home.status_code == 302 and home["Location"] == reverse("portal_inbox")
        assert client.get(reverse("contact_list")).status_code == 403
        assert client.get(reverse("contact_detail", args=[contacts[0].pk])).status_code == 404
        history = client.get(reverse("caller_history"), {"caller-phone": "0912345678"})
        assert "data-contact-id" not in history.content.decode()


def test_home_lists_my_drafts_and_the_centres_latest(client, people, contacts, make_contact):
    draft = make_contact(people.hn, status="draft")
    others_draft = make_contact(people.hn2, status="draft")
    client.force_login(people.hn)
    html = client.get(reverse("home")).content.decode()
    assert f'id="draft-row-{draft.pk}"' in html
    assert f"draft-row-{others_draft.pk}" not in html and f"contact-row-{others_draft.pk}" not in html
    assert f'id="contact-row-{contacts[0].pk}"' in html
    assert f"contact-row-{contacts[2].pk}" not in html
    assert "Ghi nhận cuộc gọi mới" in html


# --------------------------------------------------------------------------- caller history


def history_ids(response) -> set[int]:
    import re

    return {int(n) for n in re.findall(r'data-contact-id="(\d+)"', response.content.decode())}


@pytest.mark.parametrize("phone", ["0912345678", "+84912345678", "84 912 345 678", "(091) 234-5678"])
def test_caller_history_shows_earlier_contacts_for_any_phone_format(client, people, contacts, phone):
    an, _dang, _south = contacts
    client.force_login(people.hn)
    response = client.get(reverse("caller_history"), {"caller-phone": phone})
    assert response.status_code == 200
    assert history_ids(response) == {an.pk}
    assert an.reference in response.content.decode()


def test_caller_history_excludes_the_contact_being_edited(client, people, contacts):
    an, _dang, _south = contacts
    client.force_login(people.hn)
    response = client.get(reverse("caller_history"), {"caller-phone": "0912345678", "contact_id": an.pk})
    assert history_ids(response) == set()


def test_caller_history_is_empty_for_invalid_or_unknown_numbers(client, people, contacts):
    client.force_login(people.hn)
    for phone in ("12", "0900 000 000", "", "abc"):
        assert history_ids(client.get(reverse("caller_history"), {"caller-phone": phone})) == set()


def test_caller_history_stays_within_reach_and_is_audited(client, people, contacts):
    an, _dang, south = contacts
    client.force_login(people.ag)
    response = client.get(reverse("caller_history"), {"caller-phone": "0912 345 678"})
    assert history_ids(response) == {south.pk}
    event = AuditEvent.objects.filter(actor=people.ag, detail__caller_history=True).get()
    assert event.object_ids == [south.pk]
