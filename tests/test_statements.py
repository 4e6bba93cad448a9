"""Prepared statements (tongdai.core.statements): compiled once per shape, then run with
new values; the rows are those the ORM gives, converted as the ORM converts them."""

import datetime

import pytest
from django.db.models import Q

from tongdai.contacts.models import Contact
from tongdai.core import statements
from tongdai.core.statements import prepared


@pytest.fixture(autouse=True)
def _fresh_statements():
    statements.forget()
    yield
    statements.forget()


@pytest.fixture
def three(people, make_contact):
    return [make_contact(people.hn, urgent=True),
            make_contact(people.hn, caller={"phone": "0987 654 321", "province": "01"}),
            make_contact(people.hn2, status="draft")]


def _by_phone_and_status(slot):
    return (Contact.objects.filter(Q(caller_phone=slot.text("phone")) & Q(status=slot.text("status")))
            .values_list("id", "received_at", "urgent", "status"))


def test_rows_are_those_the_orm_gives_for_each_set_of_values(three):
    statement = prepared(Contact, "t1", _by_phone_and_status)
    for phone in ("+84912345678", "+84987654321", "+84900000000"):
        for status in ("completed", "draft"):
            orm = list(Contact.objects.filter(caller_phone=phone, status=status)
                       .values_list("id", "received_at", "urgent", "status"))
            assert statement.rows(phone=phone, status=status) == [tuple(r) for r in orm]
    assert len(statement.rows(phone="+84912345678", status="completed")) == 1


def test_values_come_back_converted_as_the_orm_converts_them(three):
    (pk, received, urgent, status), = prepared(Contact, "t2", _by_phone_and_status).rows(
        phone="+84912345678", status="completed")
    assert pk == three[0].pk and status == "completed"
    assert urgent is True  # SQLite stores 1
    assert isinstance(received, datetime.datetime) and received.tzinfo is not None
    assert received == Contact.objects.get(pk=pk).received_at


def test_build_runs_once_per_key(three):
    calls = []

    def build(slot):
        calls.append(1)
        return _by_phone_and_status(slot)

    first = prepared(Contact, "t3", build)
    assert prepared(Contact, "t3", build) is first
    assert len(calls) == 1
    prepared(Contact, "t3-other", build)
    assert len(calls) == 2


def test_every_slot_the_statement_uses_needs_a_value(three):
    statement = prepared(Contact, "t4", _by_phone_and_status)
    with pytest.raises(TypeError, match="no value for slot: phone"):
        statement.rows(status="completed")


def test_a_slot_the_queryset_did_not_use_may_be_given_and_is_ignored(three):
    def build(slot):
        slot.number("unused")
        return Contact.objects.filter(status=slot.text("status")).values_list("id")

    statement = prepared(Contact, "t4b", build)
    assert len(statement.rows(status="completed", unused=1)) == 2


def test_unknown_slot_names_are_refused(three):
    statement = prepared(Contact, "t5", _by_phone_and_status)
    with pytest.raises(TypeError, match="no such slot: centre"):
        statement.rows(phone="+84912345678", status="completed", centre="HN")


def test_a_slot_written_into_the_sql_is_refused(three):
    def build(slot):
        return Contact.objects.extra(where=[f"status = '{slot.text('status')}'"]).values_list("id")

    with pytest.raises(ValueError, match="written into the SQL"):
        prepared(Contact, "t6", build)


def test_a_slot_rewritten_by_its_lookup_is_refused(three):
    def build(slot):
        return Contact.objects.filter(search_text__contains=slot.text("q")).values_list("id")

    with pytest.raises(ValueError, match="rewritten"):
        prepared(Contact, "t7", build)


def test_moment_slots_compare_as_the_orm_compares_datetimes(three):
    def build(slot):
        return (Contact.objects.filter(received_at__gte=slot.moment("start"), received_at__lt=slot.moment("end"))
                .values_list("id"))

    statement = prepared(Contact, "t9", build)
    first = Contact.objects.get(pk=three[0].pk).received_at
    for start, end in ((first, first + datetime.timedelta(microseconds=1)),
                       (first - datetime.timedelta(days=1), first + datetime.timedelta(days=1)),
                       (first + datetime.timedelta(seconds=1), first + datetime.timedelta(days=1))):
        orm = list(Contact.objects.filter(received_at__gte=start, received_at__lt=end).values_list("id"))
        assert sorted(statement.rows(start=start, end=end)) == sorted(tuple(r) for r in orm)
    assert (three[0].pk,) in statement.rows(start=first, end=first + datetime.timedelta(microseconds=1))


def test_contains_slots_escape_as_the_lookup_does(three):
    def build(slot):
        return Contact.objects.filter(search_text__contains=slot.contains("q")).values_list("id")

    statement = prepared(Contact, "t10", build)
    for text in ("an", "nguyen van", "%", "_", "x%y", "\\"):
        orm = sorted(Contact.objects.filter(search_text__contains=text).values_list("id", flat=True))
        assert sorted(pk for pk, in statement.rows(q=text)) == orm, text
    assert statement.rows(q="%") == []  # a literal percent sign, not "anything"


def test_number_slots_are_distinct_and_match_no_row(three):
    def build(slot):
        return Contact.objects.filter(pk__in=[slot.number("a"), slot.number("b")]).values_list("id")

    statement = prepared(Contact, "t8", build)
    assert statement.rows(a=-1, b=-2) == []
    assert statement.rows(a=three[0].pk, b=-2) == [(three[0].pk,)]
    assert sorted(statement.rows(a=three[0].pk, b=three[2].pk)) == sorted([(three[0].pk,), (three[2].pk,)])


def test_day_slots_compare_as_the_orm_compares_dates(three):
    from django.utils import timezone

    from tongdai.reports.models import ContactDayDelta

    def build(slot):
        return (ContactDayDelta.objects.filter(day__gte=slot.day("from"), day__lte=slot.day("to"))
                .values_list("day", "dimension", "key"))

    statement = prepared(ContactDayDelta, "t11", build)
    today = timezone.localdate()
    for low, high in ((today, today), (today - datetime.timedelta(days=3), today - datetime.timedelta(days=1))):
        orm = ContactDayDelta.objects.filter(day__gte=low, day__lte=high).values_list("day", "dimension", "key")
        assert sorted(statement.rows(**{"from": low, "to": high})) == sorted(tuple(r) for r in orm)
    rows = statement.rows(**{"from": today, "to": today})
    assert rows and all(isinstance(day, datetime.date) and day == today for day, _d, _k in rows)


def test_the_number_of_statements_kept_is_bounded(three, monkeypatch):
    monkeypatch.setattr(statements, "MAX_STATEMENTS", 3)
    kept = [prepared(Contact, f"bounded-{i}", _by_phone_and_status) for i in range(5)]
    assert len(statements._statements) == 3
    assert prepared(Contact, "bounded-4", _by_phone_and_status) is kept[4]  # the newest stay
    assert prepared(Contact, "bounded-0", _by_phone_and_status) is not kept[0]  # compiled again
    assert kept[0].rows(phone="+84912345678", status="completed") == \
        prepared(Contact, "bounded-0", _by_phone_and_status).rows(phone="+84912345678", status="completed")
