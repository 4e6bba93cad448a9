"""Opening cases from contacts, numbering, and who may open which case."""

import datetime

import pytest
import time_machine

from tongdai.audit.models import AuditEvent
from tongdai.cases.models import Case, PersonRole
from tongdai.cases.services import (
    CaseFilter,
    CaseForbidden,
    CaseInvalid,
    CaseNotFound,
    case_add_note,
    case_get_for,
    case_link_contact,
    case_list_page,
    case_open,
    case_page,
    case_restrict,
    case_search,
)


@pytest.fixture
def hn_case(people, make_contact):
    contact = make_contact(people.hn, urgent=True)
    return case_open(people.hn_casemgr, [contact.pk], "child_protection", via="test")


def test_a_case_opened_from_a_contact_takes_its_child_time_and_urgency(people, make_contact):
    with time_machine.travel(datetime.datetime(2026, 11, 20, 3, 0, tzinfo=datetime.UTC), tick=False):
        contact = make_contact(people.hn, urgent=True,
                               caller={"phone": "0912345678", "name": "Nguyễn Văn Ấn",
                                       "consent_keep": True, "province": "01"})
    case = case_open(people.hn_casemgr, [contact.pk], "child_protection", via="test")
    assert case.number == "HN-2026-000001"
    assert case.received_at == contact.received_at and case.urgent
    assert case.stage == "intake" and case.case_manager == people.hn_casemgr
    roles = sorted(case.people.values_list("role", "name"))
    assert roles == [(PersonRole.CHILD_VICTIM, "Đặng Thị Bình"), (PersonRole.REPORTER, "Nguyễn Văn Ấn")]
    assert AuditEvent.objects.filter(object_type="case", object_id=case.pk, action="create").exists()


def test_case_numbers_run_per_centre_and_year(people, make_contact):
    numbers = [case_open(people.hn, [make_contact(people.hn).pk], "other", via="test").number
               for _ in range(2)]
    numbers.append(case_open(people.ag, [make_contact(people.ag).pk], "other", via="test").number)
    assert [n.split("-")[0] + n.split("-")[2] for n in numbers] == ["HN000001", "HN000002", "AG000001"]


def test_a_later_contact_is_linked_to_the_same_case(people, make_contact, hn_case):
    later = make_contact(people.hn)
    case_link_contact(people.hn, hn_case.pk, later.pk, via="test")
    assert hn_case.contacts.count() == 2
    with pytest.raises(CaseInvalid):
        case_link_contact(people.hn, hn_case.pk, later.pk, via="test")


def test_opening_needs_visible_completed_contacts(people, make_contact):
    hn_contact = make_contact(people.hn)
    with pytest.raises(CaseInvalid):
        case_open(people.ag, [hn_contact.pk], "other", via="test")
    draft = make_contact(people.hn, status="draft")
    with pytest.raises(CaseInvalid):
        case_open(people.hn, [draft.pk], "other", via="test")
    with pytest.raises(CaseInvalid):
        case_open(people.hn, [hn_contact.pk], "wizardry", via="test")
    with pytest.raises(CaseForbidden):
        case_open(people.police, [hn_contact.pk], "other", via="test")
    assert not Case.objects.exists()


VISIBLE = {"hn": True, "hn2": True, "hn_super": True, "hn_casemgr": True, "hn_manager": True,
           "ag": False, "ag_super": False, "dn": False, "admin": True, "analyst": False,
           "police": False, "commune": False, "former": False}


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_case_reach_queryset_and_object_agree(people, hn_case, persona):
    user = getattr(people, persona)
    assert Case.objects.visible_to(user).filter(pk=hn_case.pk).exists() is VISIBLE[persona]
    assert hn_case.is_visible_to(user) is VISIBLE[persona]


def test_restricted_case_is_open_only_to_named_people(people, hn_case):
    case_restrict(people.hn_super, hn_case.pk, [people.hn.pk], via="test")
    allowed = {"hn", "hn_casemgr", "hn_super"}
    for persona in VISIBLE:
        user = getattr(people, persona)
        expected = persona in allowed
        hn_case.refresh_from_db()
        assert hn_case.is_visible_to(user) is expected, persona
        assert Case.objects.visible_to(user).filter(pk=hn_case.pk).exists() is expected, persona
    with pytest.raises(CaseNotFound):
        case_get_for(people.hn2, hn_case.pk, via="test")
    assert AuditEvent.objects.filter(action="denied", object_type="case", object_id=hn_case.pk,
                                     actor=people.hn2).exists()


def test_notes_from_outside_reach_are_refused_and_audited(people, hn_case):
    with pytest.raises(CaseNotFound):
        case_add_note(people.ag, hn_case.pk, "ghi chú", via="test")
    assert AuditEvent.objects.filter(action="denied", object_type="case", actor=people.ag).exists()
    case_add_note(people.hn, hn_case.pk, "Đã gọi lại cho người báo tin.", via="test")
    assert hn_case.events.filter(kind="note").count() == 1


def test_search_by_number_or_unaccented_name(people, hn_case):
    assert list(case_search(people.hn, CaseFilter(q=hn_case.number))) == [hn_case]
    assert list(case_search(people.hn, CaseFilter(q="dang thi"))) == [hn_case]
    assert not case_search(people.ag, CaseFilter(q="dang thi")).exists()


def test_a_person_added_by_hand_is_found_without_accents(people, hn_case):
    from tongdai.cases.services import case_person_add

    case_person_add(people.hn, hn_case.pk, {"role": "parent_caregiver", "name": "Vũ Đức Thắng"},
                    via="test")
    assert list(case_search(people.hn, CaseFilter(q="vu duc thang"))) == [hn_case]
    assert hn_case.events.filter(kind="person").exists()


def test_opening_an_urgent_child_protection_case_starts_its_legal_clocks(hn_case):
    from tongdai.deadlines.models import Deadline

    kinds = set(Deadline.objects.filter(case=hn_case).values_list("kind", flat=True))
    assert kinds == {"emergency_12h", "plan_5wd"}


def test_opening_a_trafficking_case_starts_the_verification_clock(people, make_contact):
    from tongdai.deadlines.models import Deadline

    contact = make_contact(people.hn, topics=["trafficking_labour"])
    case = case_open(people.hn_casemgr, [contact.pk], "trafficking_victim", via="test")
    assert set(Deadline.objects.filter(case=case).values_list("kind", flat=True)) == {"verification_3d"}


def test_case_list_page_shows_what_the_orm_search_shows(people, make_contact, monkeypatch):
    """The case list runs as a prepared statement per reach scope, filter set and page
    (tongdai.core.statements); it must give what the ORM query gives, for everyone."""
    from tongdai.cases import services

    def opened(user, **contact):
        return case_open(user, [make_contact(user, **contact).pk], "child_protection", via="test")

    cases = [opened(people.hn_casemgr, urgent=True), opened(people.hn_casemgr), opened(people.hn),
             opened(people.ag, caller={"phone": "0987654321", "province": "91"},
                    subjects=[{"name": "Lê Văn Tí", "province": "91"}])]
    case_restrict(people.hn_super, cases[1].pk, [people.hn.pk], via="test")
    Case.objects.filter(pk=cases[2].pk).update(status="closed")
    filters = [CaseFilter(), CaseFilter(status="open"), CaseFilter(status="closed"),
               CaseFilter(type="child_protection"), CaseFilter(type="trafficking_victim"), CaseFilter(mine=True),
               CaseFilter(urgent=True), CaseFilter(urgent=False), CaseFilter(centre="HN"),
               CaseFilter(status="open", mine=True, centre="HN"), CaseFilter(stage=cases[0].stage)]
    columns = [f.attname for f in Case._meta.concrete_fields]
    for prepared_pages in (5, 1):  # pages after PREPARED_PAGES are built by the ORM
        monkeypatch.setattr(services, "PREPARED_PAGES", prepared_pages)
        for persona in sorted(VISIBLE):
            user = getattr(people, persona)
            for flt in filters:
                for page, size in ((1, 25), (1, 1), (2, 1), (3, 1), (9, 1)):
                    rows, more = case_list_page(user, flt, page, size)
                    expected, expected_more = case_page(case_search(user, flt), page, size)
                    where = (persona, flt, page, size)
                    assert [c.pk for c in rows] == [c.pk for c in expected], where
                    assert more is expected_more, where
                    for got, want in zip(rows, expected, strict=True):
                        assert [getattr(got, n) for n in columns] == [getattr(want, n) for n in columns]
                        for attribute in ("username", "display_name"):
                            assert (getattr(got.case_manager, attribute, None)
                                    == getattr(want.case_manager, attribute, None))
    assert {c.pk for c in case_list_page(people.hn, CaseFilter(), 1, 25)[0]} == {
        cases[0].pk, cases[1].pk, cases[2].pk}
    assert case_list_page(people.hn2, CaseFilter(), 1, 25)[0] == [cases[2], cases[0]]
    with pytest.raises(CaseInvalid):
        case_list_page(people.hn, CaseFilter(status="lost"), 1, 25)
