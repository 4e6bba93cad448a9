"""The audit trail is append-only and holds no personal data."""

import pytest
from django.db import DatabaseError, transaction

from tongdai.audit.models import AuditEvent


def test_database_refuses_update_and_delete_of_audit_rows(people, make_contact):
    make_contact(people.hn)
    event = AuditEvent.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="view")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk, action=event.action).exists()


def test_creating_a_contact_is_audited_without_personal_values(people, make_contact):
    contact = make_contact(people.hn)
    events = AuditEvent.objects.filter(object_type="contact", object_id=contact.pk)
    assert {e.action for e in events} == {"create", "complete"}
    create = events.get(action="create")
    assert create.actor == people.hn
    assert "caller_phone" in create.fields and "summary" in create.fields
    dumped = str([(e.fields, e.detail, e.object_ids) for e in events])
    for personal in ("Nguyễn", "Đặng", "912345678", "Hàng xóm"):
        assert personal not in dumped


def test_search_audit_records_that_a_search_ran_not_its_text(people, make_contact):
    from tongdai.contacts.services import ContactFilter, audit_list, contact_page, contact_search

    contact = make_contact(people.hn)
    flt = ContactFilter(q="nguyen van an")
    rows, _ = contact_page(contact_search(people.hn, flt), 1, 25)
    audit_list(people.hn, rows, flt, via="test")
    event = AuditEvent.objects.filter(action="search").latest("id")
    assert event.object_ids == [contact.pk]
    assert event.detail["filters"] == {"q": True}
    assert "nguyen" not in str(event.detail)


def test_production_settings_hash_passwords_with_argon2():
    from tongdai import settings as prod

    assert prod.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
