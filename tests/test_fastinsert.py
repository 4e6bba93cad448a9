"""core.fastinsert.insert_rows writes exactly the rows the ORM would, on both databases."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from tongdai.audit.models import AuditEvent
from tongdai.contacts.models import Contact, Subject
from tongdai.core.fastinsert import insert_rows
from tongdai.reports.models import ContactDayDelta


def _row(obj) -> dict:
    """The stored row of ``obj`` as the ORM reads it, without its id."""
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields
            if not f.primary_key}


def _event(**extra) -> AuditEvent:
    return AuditEvent(actor=None, actor_username="", action="view", object_type="contact",
                      object_id=7, object_ids=[1, 2], fields=["summary"],
                      detail={"vi": "Hà Nội", "n": 3, "nested": {"a": [1, None]}},
                      ip="127.0.0.1", via="api", **extra)


def test_rows_read_back_like_rows_the_orm_wrote(db):
    """JSON, lists, an IP address, an aware datetime and defaults come back the same as
    from bulk_create; without returning_pk the objects get no id, as the docs say."""
    at = datetime.datetime(2026, 3, 1, 2, 3, 4, 567000, tzinfo=datetime.UTC)
    ours, theirs = _event(at=at), _event(at=at)
    insert_rows([ours])
    AuditEvent.objects.bulk_create([theirs])
    assert ours.pk is None
    stored = AuditEvent.objects.order_by("pk")
    assert len(stored) == 2
    mine, orm = ({f.attname: getattr(e, f.attname) for f in e._meta.concrete_fields
                  if not f.primary_key} for e in stored)
    assert mine == orm
    assert mine["at"] == at and mine["at"].tzinfo is not None


def test_returning_pk_numbers_the_objects_in_order_and_marks_them_saved(people):
    contact = Contact(centre_id="HN", counsellor=people.hn, caller_name="Nguyễn Thị Hoa",
                      draft_form={"ghi_chú": "đang gọi"})
    insert_rows([contact], returning_pk=True)
    assert contact.pk is not None and not contact._state.adding
    assert contact._state.db == "default"
    stored = Contact.objects.get(pk=contact.pk)
    assert stored.caller_name == "Nguyễn Thị Hoa" and stored.draft_form == {"ghi_chú": "đang gọi"}
    assert stored.version == 1 and stored.status == "draft"

    subjects = [Subject(contact=contact, position=i, name=f"Trẻ {i}") for i in range(3)]
    insert_rows(subjects, returning_pk=True)
    assert [s.pk for s in subjects] == sorted(s.pk for s in subjects)
    assert [(s.pk, s.name) for s in Subject.objects.filter(contact=contact)] == [
        (s.pk, s.name) for s in subjects]
    contact.caller_name = "Nguyễn Thị Hòa"
    contact.save()  # an update now, not a second row
    assert Contact.objects.filter(caller_name__startswith="Nguyễn Thị").count() == 1


def test_more_rows_than_one_statement_holds_are_split(db):
    """Past the database's parameter limit the rows go in several statements, all of them."""
    fields = len(ContactDayDelta._meta.concrete_fields) - 1
    limit = connection.ops.bulk_batch_size([None] * fields, [None] * 10_000)
    n = limit * 2 + 3 if limit < 5000 else 5003
    rows = [ContactDayDelta(day=datetime.date(2026, 1, 1), centre_id="HN", dimension="topic",
                            key=f"k{i}", delta=1) for i in range(n)]
    insert_rows(rows)
    assert ContactDayDelta.objects.filter(dimension="topic").count() == n


def test_nothing_to_insert_runs_no_statement(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        insert_rows([])


@pytest.mark.parametrize("returning_pk", [False, True])
def test_a_failing_row_fails_the_whole_statement(people, returning_pk):
    """A row the database refuses raises, and no row of the statement is stored."""
    from django.db import IntegrityError, transaction

    good = Contact(centre_id="HN", counsellor=people.hn)
    bad = Contact(centre_id=None, counsellor=people.hn)  # a contact belongs to a centre
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([good, bad], returning_pk=returning_pk)
    assert Contact.objects.count() == 0
