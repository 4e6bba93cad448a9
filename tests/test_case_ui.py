"""The case pages: opening a case from a contact, the case list, the case page and its
forms, and who may reach them (by link and by guessed URL)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from tongdai.audit.models import Action, AuditEvent
from tongdai.cases.models import Case, CaseEvent, CaseStatus, Sensitivity
from tongdai.cases.services import case_add_note, case_open, case_restrict

pytestmark = pytest.mark.django_db


@pytest.fixture
def hn_case(people, make_contact):
    contact = make_contact(people.hn, urgent=True)
    return case_open(people.hn_casemgr, [contact.pk], "child_protection", via="test")


def _html(response) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------- opening


def test_a_counsellor_opens_a_case_from_the_contact_page(client, people, make_contact):
    contact = make_contact(people.hn)
    client.force_login(people.hn)
    page = _html(client.get(reverse("contact_detail", args=[contact.pk])))
    assert 'id="case-open-form"' in page and 'id="case-link-form"' in page
    response = client.post(reverse("case_open"), {"contact": contact.pk, "type": "child_protection",
                                                   "title": "Trẻ bị đánh"})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("case_detail", args=[case.pk])
    assert case.title == "Trẻ bị đánh" and list(case.contacts.all()) == [contact]
    page = _html(client.get(reverse("contact_detail", args=[contact.pk])))
    assert reverse("case_detail", args=[case.pk]) in page and case.number in page


def test_a_draft_contact_offers_no_case_and_cannot_be_used_for_one(client, people, make_contact):
    draft = make_contact(people.hn, status="draft")
    client.force_login(people.hn)
    assert 'id="case-open-form"' not in _html(client.get(reverse("contact_detail", args=[draft.pk])))
    response = client.post(reverse("case_open"), {"contact": draft.pk, "type": "other"})
    assert response.status_code == 400 and 'id="case-open-errors"' in _html(response)
    assert not Case.objects.exists()


@pytest.mark.parametrize("data", [
    {"type": "wizardry"}, {"type": ""}, {"contact": "abc"}, {"contact": "99999999999999999999"},
    {"contact": "-4"}, {"title": "x" * 201},
])
def test_bad_open_input_is_refused_with_a_message_and_stores_nothing(client, people, make_contact, data):
    contact = make_contact(people.hn)
    client.force_login(people.hn)
    response = client.post(reverse("case_open"), {"contact": contact.pk, "type": "other", **data})
    assert response.status_code == 400 and 'id="case-open-errors"' in _html(response)
    assert not Case.objects.exists()


def test_a_contact_of_another_centre_cannot_be_used_to_open_a_case(client, people, make_contact):
    contact = make_contact(people.hn)
    client.force_login(people.ag)
    response = client.post(reverse("case_open"), {"contact": contact.pk, "type": "other"})
    assert response.status_code == 400 and not Case.objects.exists()


def test_a_later_contact_is_linked_by_the_number_read_out_on_the_phone(client, people, make_contact, hn_case):
    later = make_contact(people.hn2)
    client.force_login(people.hn2)
    spoken = hn_case.number.lower().replace("-", "-  ", 1)
    response = client.post(reverse("case_link_contact"), {"contact": later.pk, "number": spoken})
    assert response.status_code == 302
    assert hn_case.contacts.count() == 2
    assert CaseEvent.objects.filter(case=hn_case, kind="contact_linked", data__contact=later.pk).exists()


def test_linking_to_a_case_outside_reach_says_no_such_case(client, people, make_contact, hn_case):
    ag_contact = make_contact(people.ag)
    client.force_login(people.ag)
    response = client.post(reverse("case_link_contact"), {"contact": ag_contact.pk, "number": hn_case.number})
    assert response.status_code == 404 and 'id="case-open-errors"' in _html(response)
    assert hn_case.contacts.count() == 1
    response = client.post(reverse("case_link_contact"), {"contact": ag_contact.pk, "number": "AG-2026-999999"})
    assert response.status_code == 404


# --------------------------------------------------------------------------- the case page


def test_the_case_page_shows_the_case_people_contacts_and_local_time(client, people, make_contact):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 3, 0, tzinfo=datetime.UTC), tick=False):
        contact = make_contact(people.hn, urgent=True)
        case = case_open(people.hn_casemgr, [contact.pk], "child_protection", via="test")
    client.force_login(people.hn)
    response = client.get(reverse("case_detail", args=[case.pk]))
    assert response.status_code == 200
    page = _html(response)
    for text in (case.number, "Đặng Thị Bình", contact.reference, "02/03/2026 10:00",
                 people.hn_casemgr.display_name, reverse("contact_detail", args=[contact.pk])):
        assert text in page, text
    assert AuditEvent.objects.filter(action=Action.VIEW, object_type="case", object_id=case.pk,
                                     actor=people.hn).exists()


def test_the_timeline_is_newest_first_and_shows_notes_escaped(client, people, hn_case):
    client.force_login(people.hn)
    response = client.post(reverse("case_note", args=[hn_case.pk]),
                           {"text": '<script>alert("x")</script> gọi lại'})
    assert response.status_code == 302
    case_add_note(people.hn, hn_case.pk, "second note", via="test")
    page = _html(client.get(reverse("case_detail", args=[hn_case.pk])))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; gọi lại" in page
    assert page.index("second note") < page.index("&lt;script&gt;")


def test_an_empty_note_is_refused_and_nothing_is_added(client, people, hn_case):
    client.force_login(people.hn)
    before = hn_case.events.count()
    response = client.post(reverse("case_note", args=[hn_case.pk]), {"text": "   "})
    assert response.status_code == 400 and 'id="case-note-form"' in _html(response)
    assert hn_case.events.count() == before


def test_workflow_tabs_follow_the_case_type(client, people, make_contact, hn_case):
    client.force_login(people.hn)
    page = _html(client.get(reverse("case_detail", args=[hn_case.pk])))
    assert 'id="tab-trafficking"' not in page
    other = case_open(people.hn, [make_contact(people.hn).pk], "trafficking_victim", via="test")
    page = _html(client.get(reverse("case_detail", args=[other.pk])))
    assert 'id="tab-protection"' not in page


def test_a_person_is_added_with_a_role(client, people, hn_case):
    client.force_login(people.hn)
    response = client.post(reverse("case_person_add", args=[hn_case.pk]),
                           {"role": "perpetrator", "name": "Ông <b>K</b>", "sex": "male", "age": "40"})
    assert response.status_code == 302
    person = hn_case.people.get(role="perpetrator")
    assert (person.name, person.age) == ("Ông <b>K</b>", 40)
    page = _html(client.get(reverse("case_detail", args=[hn_case.pk])))
    assert "Ông &lt;b&gt;K&lt;/b&gt;" in page
    response = client.post(reverse("case_person_add", args=[hn_case.pk]),
                           {"role": "child_victim", "name": "X", "sex": "male"})
    assert response.status_code == 400 and hn_case.people.count() == 2


# --------------------------------------------------------------------------- manage


def test_a_supervisor_assigns_a_case_manager_of_the_centre_only(client, people, hn_case):
    client.force_login(people.hn_super)
    response = client.post(reverse("case_assign", args=[hn_case.pk]), {"case_manager": people.hn_super.pk})
    assert response.status_code == 302
    hn_case.refresh_from_db()
    assert hn_case.case_manager == people.hn_super
    for bad in (people.ag_super.pk, people.hn.pk, "abc", ""):
        response = client.post(reverse("case_assign", args=[hn_case.pk]), {"case_manager": bad})
        assert response.status_code == 400, bad
    hn_case.refresh_from_db()
    assert hn_case.case_manager == people.hn_super


def test_a_counsellor_cannot_assign_restrict_or_close(client, people, hn_case):
    client.force_login(people.hn)
    page = _html(client.get(reverse("case_detail", args=[hn_case.pk])))
    for form in ("case-assign-form", "case-access-form", "case-close-form"):
        assert f'id="{form}"' not in page
    assert client.post(reverse("case_assign", args=[hn_case.pk]), {"case_manager": people.hn_casemgr.pk}).status_code == 403
    assert client.post(reverse("case_access", args=[hn_case.pk]), {"users": [people.hn.pk]}).status_code == 403
    assert client.post(reverse("case_close", args=[hn_case.pk]),
                       {"reason": "x", "version": hn_case.version}).status_code == 403
    hn_case.refresh_from_db()
    assert hn_case.is_open and hn_case.sensitivity == Sensitivity.NORMAL


def test_a_restricted_case_opens_only_for_named_people(client, people, hn_case):
    client.force_login(people.hn_super)
    response = client.post(reverse("case_access", args=[hn_case.pk]), {"users": [people.hn.pk]})
    assert response.status_code == 302
    hn_case.refresh_from_db()
    assert hn_case.sensitivity == Sensitivity.RESTRICTED
    for user, status in ((people.hn, 200), (people.hn_casemgr, 200), (people.hn_super, 200),
                         (people.hn2, 404), (people.hn_manager, 404)):
        client.force_login(user)
        assert client.get(reverse("case_detail", args=[hn_case.pk])).status_code == status, user
        listed = reverse("case_detail", args=[hn_case.pk]) in _html(client.get(reverse("case_list")))
        assert listed is (status == 200), user
    assert AuditEvent.objects.filter(action=Action.DENIED, object_type="case", object_id=hn_case.pk,
                                     actor=people.hn2).exists()


def test_closing_with_a_stale_version_is_refused_and_changes_nothing(client, people, hn_case):
    client.force_login(people.hn_casemgr)
    loaded = hn_case.version
    case_add_note(people.hn, hn_case.pk, "someone else saved meanwhile", via="test")
    response = client.post(reverse("case_close", args=[hn_case.pk]), {"reason": "Trẻ đã an toàn", "version": loaded})
    assert response.status_code == 409
    assert 'id="case-close-form"' in _html(response) and "error-summary" in _html(response)
    hn_case.refresh_from_db()
    assert hn_case.status == CaseStatus.OPEN and not hn_case.events.filter(kind="closed").exists()
    response = client.post(reverse("case_close", args=[hn_case.pk]),
                           {"reason": "Trẻ đã an toàn", "version": hn_case.version})
    assert response.status_code == 302
    hn_case.refresh_from_db()
    assert hn_case.status == CaseStatus.CLOSED and hn_case.closure_reason == "Trẻ đã an toàn"


@pytest.mark.parametrize("data", [{"reason": "", "version": "1"}, {"reason": "x"},
                                  {"reason": "x", "version": "abc"}, {"reason": "x", "version": "99999999999"}])
def test_bad_close_input_is_a_400_and_the_case_stays_open(client, people, hn_case, data):
    client.force_login(people.hn_casemgr)
    response = client.post(reverse("case_close", args=[hn_case.pk]), data)
    assert response.status_code == 400
    hn_case.refresh_from_db()
    assert hn_case.is_open


# --------------------------------------------------------------------------- list


def test_the_list_finds_cases_by_number_or_unaccented_name_and_is_audited(client, people, hn_case):
    client.force_login(people.hn)
    page = _html(client.get(reverse("case_list")))
    assert 'id="case-table"' in page and hn_case.number in page
    assert AuditEvent.objects.filter(action=Action.LIST, object_type="case", actor=people.hn,
                                     object_ids=[hn_case.pk]).exists()
    for q in (hn_case.number, "dang thi binh"):
        page = _html(client.get(reverse("case_list"), {"q": q}))
        assert reverse("case_detail", args=[hn_case.pk]) in page, q
    assert AuditEvent.objects.filter(action=Action.SEARCH, object_type="case", actor=people.hn).exists()
    page = _html(client.get(reverse("case_list"), {"q": "khong co ai"}))
    assert 'id="no-cases"' in page


def test_list_filters_mine_status_type_and_urgent(client, people, make_contact, hn_case):
    calm = case_open(people.hn, [make_contact(people.hn).pk], "missing_person", via="test")
    client.force_login(people.hn_casemgr)

    def shown(**params):
        page = _html(client.get(reverse("case_list"), params))
        return {c.pk for c in (hn_case, calm) if reverse("case_detail", args=[c.pk]) in page}

    assert shown() == {hn_case.pk, calm.pk}
    assert shown(mine="1") == {hn_case.pk}
    assert shown(type="missing_person") == {calm.pk}
    assert shown(urgent="1") == {hn_case.pk}
    assert shown(status="closed") == set()
    assert shown(stage="open") == {calm.pk}


@pytest.mark.parametrize("params", [{"status": "lost"}, {"type": "x"}, {"page": "0"}, {"page": "abc"},
                                    {"q": "x" * 500}, {"urgent": "maybe"}])
def test_bad_list_filters_are_a_400_with_a_message(client, people, params):
    client.force_login(people.hn)
    response = client.get(reverse("case_list"), params)
    assert response.status_code == 400 and 'id="case-filter-errors"' in _html(response)


def test_the_list_pages_without_counting(client, people, make_contact, settings):
    settings.CONTACT_PAGE_SIZE = 2
    contact = make_contact(people.hn)
    cases = [case_open(people.hn, [contact.pk], "other", via="test") for _ in range(3)]
    client.force_login(people.hn)
    first = _html(client.get(reverse("case_list")))
    assert 'id="case-page-next"' in first and cases[0].number not in first
    second = _html(client.get(reverse("case_list"), {"page": 2}))
    assert cases[0].number in second and 'id="case-page-next"' not in second


# --------------------------------------------------------------------------- reach


def test_a_southern_counsellor_gets_404_and_the_attempt_is_audited(client, people, hn_case):
    client.force_login(people.ag)
    assert client.get(reverse("case_detail", args=[hn_case.pk])).status_code == 404
    assert AuditEvent.objects.filter(action=Action.DENIED, object_type="case", object_id=hn_case.pk,
                                     actor=people.ag).exists()
    assert hn_case.number not in _html(client.get(reverse("case_list")))
    assert hn_case.number not in _html(client.get(reverse("case_list"), {"q": "dang thi"}))
    assert client.post(reverse("case_note", args=[hn_case.pk]), {"text": "x"}).status_code == 404
    assert not hn_case.events.filter(kind="note").exists()


@pytest.mark.parametrize("persona", ["police", "commune", "analyst"])
def test_partners_and_analysts_reach_no_case_by_link_or_guessed_url(client, people, hn_case, persona):
    user = getattr(people, persona)
    client.force_login(user)
    assert 'id="nav-cases"' not in _html(client.get(reverse("home")))
    assert client.get(reverse("case_list")).status_code == 403
    assert client.get(reverse("case_detail", args=[hn_case.pk])).status_code == 404
    assert client.get(f"/cases/{hn_case.pk}/").status_code == 404
    for name, data in (("case_note", {"text": "x"}), ("case_assign", {"case_manager": user.pk}),
                       ("case_access", {"users": [user.pk]}), ("case_person_add", {"role": "witness", "name": "x"}),
                       ("case_close", {"reason": "x", "version": hn_case.version})):
        assert client.post(reverse(name, args=[hn_case.pk]), data).status_code == 404, name
    assert client.post(reverse("case_link_contact"), {"contact": 1, "number": hn_case.number}).status_code == 403
    hn_case.refresh_from_db()
    assert hn_case.version == 1 and hn_case.is_open


def test_a_huge_or_unknown_case_id_is_a_plain_404(client, people):
    client.force_login(people.hn)
    assert client.get("/cases/99999999999999999999999/").status_code == 404
    assert client.get("/cases/424242/").status_code == 404


def test_the_nav_links_to_cases_for_hotline_staff(client, people):
    client.force_login(people.hn)
    assert 'id="nav-cases"' in _html(client.get(reverse("home")))


def test_case_restrict_by_service_hides_the_case_from_the_contact_page_list(client, people, hn_case):
    contact = hn_case.contacts.get()
    case_restrict(people.hn_super, hn_case.pk, [people.hn.pk], via="test")
    client.force_login(people.hn2)
    page = _html(client.get(reverse("contact_detail", args=[contact.pk])))
    assert hn_case.number not in page
