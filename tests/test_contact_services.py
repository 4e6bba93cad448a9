"""Recording, changing, completing and finding contacts through the domain services."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from tests.conftest import contact_data
from tongdai.contacts.models import Contact, Subject
from tongdai.contacts.services import (
    ContactConflict,
    ContactFilter,
    ContactForbidden,
    ContactInvalid,
    ContactNotFound,
    caller_history,
    contact_create,
    contact_get_for,
    contact_search,
    contact_update,
)


def _errors(data, user):
    with pytest.raises(ContactInvalid) as info:
        contact_create(user, data)
    return info.value.errors


def test_completed_contact_records_everything(people):
    c = contact_create(people.hn, contact_data())
    assert c.status == "completed" and c.completed_at
    assert c.centre_id == "HN" and c.counsellor == people.hn
    assert c.caller_phone == "+84912345678"
    assert c.kind_id == "report"
    assert list(c.topics.values_list("code", flat=True)) == ["violence_physical"]
    assert c.subjects.get().age_group == "7_12"
    assert c.province_id == "01"  # where the child is
    assert c.search_text == "nguyen van an | dang thi binh"


def test_bad_input_is_refused_with_messages_and_stores_nothing(people):
    before = Contact.objects.count(), Subject.objects.count()
    errors = _errors(contact_data(
        caller={"phone": "12ab", "province": "99", "commune": "00004"},
        subjects=[{"name": "A", "province": "01", "commune": "31117"}],  # a commune elsewhere
        topics=["no_such_topic"], kind="nope", channel="fax",
    ), people.hn)
    assert set(errors) >= {"caller.phone", "caller.province", "subjects.0.commune", "topics",
                           "kind", "channel"}
    assert (Contact.objects.count(), Subject.objects.count()) == before


def test_commune_alone_fills_in_its_province(people):
    c = contact_create(people.hn, contact_data(subjects=[{"name": "B", "commune": "00004"}]))
    assert c.subjects.get().province_id == "01"


def test_wrong_types_are_refused(people):
    errors = _errors(contact_data(urgent="yes", topics="violence_physical",
                                  subjects=[{"age": "nine"}], caller=[]), people.hn)
    assert set(errors) >= {"urgent", "topics", "subjects.0.age", "caller"}


def test_nul_characters_are_refused_not_crashing_postgres(people):
    assert "summary" in _errors(contact_data(summary="a\x00b"), people.hn)


def test_anonymous_caller_cannot_carry_a_name(people):
    assert "caller.name" in _errors(
        contact_data(caller={"anonymous": True, "name": "Trần B"}), people.hn)


def test_completing_needs_kind_and_topic_but_a_draft_does_not(people):
    draft = contact_create(people.hn, {"channel": "zalo", "summary": "đang gõ"})
    assert draft.status == "draft"
    with pytest.raises(ContactInvalid) as info:
        contact_update(people.hn, draft.pk, {"status": "completed"})
    assert set(info.value.errors) == {"kind"}
    with pytest.raises(ContactInvalid) as info:
        contact_update(people.hn, draft.pk, {"status": "completed", "kind": "report"})
    assert set(info.value.errors) == {"topics"}
    done = contact_update(people.hn, draft.pk, {"status": "completed", "kind": "silent"})
    assert done.status == "completed" and done.draft_form == {}


def test_completed_contact_cannot_return_to_draft(people, make_contact):
    c = make_contact(people.hn)
    with pytest.raises(ContactInvalid):
        contact_update(people.hn, c.pk, {"status": "draft"})


def test_stale_version_is_refused_and_changes_nothing(people, make_contact):
    c = make_contact(people.hn)
    contact_update(people.hn_super, c.pk, {"summary": "sửa bởi giám sát"}, version=c.version)
    with pytest.raises(ContactConflict):
        contact_update(people.hn, c.pk, {"summary": "ghi đè"}, version=c.version)
    assert Contact.objects.get(pk=c.pk).summary == "sửa bởi giám sát"


def test_update_outside_reach_is_not_found(people, make_contact):
    c = make_contact(people.hn)
    with pytest.raises(ContactNotFound):
        contact_update(people.ag, c.pk, {"summary": "x"})
    with pytest.raises(ContactNotFound):
        contact_get_for(people.ag, c.pk)


def test_roles_without_create_permission_are_refused(people):
    for user in (people.analyst, people.police, people.commune, people.admin, people.hn_manager):
        with pytest.raises(ContactForbidden):
            contact_create(user, contact_data())


def test_retired_topic_stays_on_old_records_but_cannot_be_newly_used(people, make_contact):
    from tongdai.taxonomy.models import Topic

    c = make_contact(people.hn)
    topic = Topic.objects.get(pk="violence_physical")
    topic.active = False
    topic.save()  # as the admin site does; the reference cache drops the table at once
    contact_update(people.hn, c.pk, {"topics": ["violence_physical", "family"]})
    assert set(c.topics.values_list("code", flat=True)) == {"violence_physical", "family"}
    assert "topics" in _errors(contact_data(topics=["violence_physical"]), people.hn)


def test_future_times_and_reversed_times_are_refused(people):
    soon = timezone.now() + datetime.timedelta(hours=2)
    assert "received_at" in _errors(contact_data(received_at=soon.isoformat()), people.hn)
    now = timezone.now()
    errors = _errors(contact_data(received_at=now.isoformat(),
                                  answered_at=(now - datetime.timedelta(minutes=5)).isoformat()),
                     people.hn)
    assert "answered_at" in errors


@pytest.mark.parametrize("query", ["nguyen van an", "NGUYỄN", "an nguyen", "dang", "Đặng thị"])
def test_search_ignores_accents_case_and_word_order(people, make_contact, query):
    c = make_contact(people.hn)
    assert list(contact_search(people.hn, ContactFilter(q=query))) == [c]


@pytest.mark.parametrize("phone", ["0912 345 678", "+84912345678", "84912345678"])
def test_search_by_phone_in_any_format(people, make_contact, phone):
    c = make_contact(people.hn)
    assert list(contact_search(people.hn, ContactFilter(q=phone))) == [c]
    assert list(contact_search(people.hn, ContactFilter(phone=phone))) == [c]


def test_date_filters_are_local_calendar_days(people, make_contact):
    # 23:30 on 1 Mar in Hà Nội is 16:30 UTC: it belongs to 1 Mar, not 2 Mar.
    with time_machine.travel(datetime.datetime(2026, 3, 1, 16, 30, tzinfo=datetime.UTC), tick=False):
        c = make_contact(people.hn)
    day = datetime.date(2026, 3, 1)
    assert list(contact_search(people.hn, ContactFilter(date_from=day, date_to=day))) == [c]
    nxt = day + datetime.timedelta(days=1)
    assert not contact_search(people.hn, ContactFilter(date_from=nxt, date_to=nxt)).exists()


def test_topic_category_filter_matches_subcategories(people, make_contact):
    c = make_contact(people.hn)
    assert list(contact_search(people.hn, ContactFilter(topic="violence"))) == [c]
    assert not contact_search(people.hn, ContactFilter(topic="trafficking")).exists()


def test_unknown_filter_values_are_errors(people):
    with pytest.raises(ContactInvalid) as info:
        list(contact_search(people.hn, ContactFilter(province="99", topic="x", phone="12")))
    assert set(info.value.errors) == {"province", "topic", "phone"}


def test_caller_history_stays_within_reach(people, make_contact):
    mine = make_contact(people.hn)
    make_contact(people.ag, caller={"phone": "+84912345678", "province": "91"})
    assert [item.pk for item in caller_history(people.hn, "84912345678")] == [mine.pk]
    assert caller_history(people.hn, "not a phone") == []


def test_caller_history_items_carry_what_the_panel_shows(people, make_contact):
    from tongdai.taxonomy.models import Topic

    codes = list(Topic.objects.filter(active=True).values_list("code", flat=True)[:3])
    first = make_contact(people.hn, topics=list(reversed(codes)), urgent=True)
    draft = make_contact(people.hn, status="draft", kind="information", topics=[])
    later = make_contact(people.hn, kind="information")
    items = caller_history(people.hn, "0912 345 678")
    assert [i.pk for i in items] == [later.pk, draft.pk, first.pk]  # newest first
    oldest = items[-1]
    assert [t.code for t in oldest.topics] == codes  # the taxonomy's order, not the typed one
    assert oldest.kind.code == "report" and oldest.urgent is True
    assert oldest.reference == first.reference and oldest.received_at == first.received_at
    assert items[1].status == "draft" and items[1].status_label and items[1].topics == ()
    # The contact being edited is left out; others' drafts stay hidden from a counsellor.
    assert [i.pk for i in caller_history(people.hn, "0912345678", exclude_id=later.pk)] == [draft.pk, first.pk]
    assert [i.pk for i in caller_history(people.hn2, "0912345678")] == [later.pk, first.pk]
    assert [i.pk for i in caller_history(people.hn, "0912345678", limit=1)] == [later.pk]


def test_reference_changes_made_elsewhere_are_seen_after_the_cache_ttl(people, monkeypatch):
    """A bulk write (another process, an import) sends no signal: the cached table is read
    again once it is older than refcache.TTL."""
    from tongdai.core import refcache
    from tongdai.taxonomy.models import ContactKind

    assert contact_create(people.hn, contact_data(kind="report")).kind_id == "report"
    ContactKind.objects.filter(pk="report").update(active=False)
    assert contact_create(people.hn, contact_data(kind="report")).kind_id == "report"  # < TTL
    monkeypatch.setattr(refcache, "TTL", 0.0)
    assert "kind" in _errors(contact_data(kind="report"), people.hn)


def test_contact_list_page_shows_what_the_orm_search_shows(people, make_contact, monkeypatch):
    """The contact list and search run as prepared statements per reach scope, filter set
    and page (tongdai.core.statements); they must give what the ORM query gives, with the
    same related rows, for everyone and every kind of filter."""
    from tongdai.contacts import services
    from tongdai.contacts.services import contact_list_page, contact_page
    from tongdai.taxonomy.models import Topic

    category = Topic.objects.filter(parent__isnull=True, children__isnull=False).first()
    child = category.children.first()
    made = [make_contact(people.hn, urgent=True, topics=[child.code, "violence_physical"]),
            make_contact(people.hn, kind="information", channel="zalo",
                         caller={"phone": "0987 654 321", "name": "Trần Thị Lan", "province": "01"}),
            make_contact(people.hn2, status="draft"),
            make_contact(people.hn, subjects=[{"name": "Phạm Văn Đức", "province": "79"}]),
            make_contact(people.ag, caller={"phone": "0912345678", "province": "91"},
                         subjects=[{"name": "Lê Văn Tí", "province": "91"}])]
    assert len(made) == 5
    today = timezone.localdate()
    filters = [ContactFilter(), ContactFilter(q="lan"), ContactFilter(q="Trần thị"), ContactFilter(q="van duc"),
               ContactFilter(q="0912 345 678"), ContactFilter(phone="+84987654321"),
               ContactFilter(q="100%"), ContactFilter(q="a_b"),
               ContactFilter(date_from=today, date_to=today),
               ContactFilter(date_from=today - datetime.timedelta(days=30), date_to=today - datetime.timedelta(days=1)),
               ContactFilter(channel="zalo"), ContactFilter(kind="report", channel="phone_111"),
               ContactFilter(topic=category.code), ContactFilter(topic="violence_physical"),
               ContactFilter(province="79"), ContactFilter(status="draft"), ContactFilter(centre="AG"),
               ContactFilter(urgent=True), ContactFilter(urgent=False, q="an")]
    columns = [f.attname for f in Contact._meta.concrete_fields]
    for prepared_pages in (5, 1):  # pages after PREPARED_PAGES are built by the ORM
        monkeypatch.setattr(services, "PREPARED_PAGES", prepared_pages)
        for persona in ("hn", "hn2", "hn_super", "ag", "admin", "analyst", "former"):
            user = getattr(people, persona)
            for flt in filters:
                for page, size in ((1, 25), (1, 2), (2, 2), (3, 2)):
                    rows, more = contact_list_page(user, flt, page, size)
                    expected, expected_more = contact_page(contact_search(user, flt), page, size)
                    where = (persona, flt, page, size)
                    assert [c.pk for c in rows] == [c.pk for c in expected], where
                    assert more is expected_more, where
                    for got, want in zip(rows, expected, strict=True):
                        assert [getattr(got, n) for n in columns] == [getattr(want, n) for n in columns]
                        assert [t.code for t in got.topics.all()] == [t.code for t in want.topics.all()]
                        assert (got.kind, got.province, got.centre) == (want.kind, want.province, want.centre)
                        assert got.counsellor.username == want.counsellor.username
                        assert got.counsellor.display_name == want.counsellor.display_name
    assert {c.pk for c in contact_list_page(people.hn, ContactFilter(q="lan"), 1, 25)[0]} == {made[1].pk}
    with pytest.raises(ContactInvalid):
        contact_list_page(people.hn, ContactFilter(kind="nope"), 1, 25)
