"""The contact page: everything recorded, escaped; the audit trail for those who oversee."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tongdai.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def test_detail_shows_what_was_recorded(client, people, make_contact):
    contact = make_contact(people.hn, urgent=True)
    client.force_login(people.hn)
    response = client.get(reverse("contact_detail", args=[contact.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (contact.reference, "Nguyễn Văn Ấn", "0912 345 678", "Đặng Thị Bình",
                 "Hàng xóm báo trẻ bị đánh nhiều lần.", "Khẩn cấp", "Bạo lực thể chất"):
        assert text in html
    assert AuditEvent.objects.filter(action=Action.VIEW, object_id=contact.pk, actor=people.hn).exists()


def test_html_typed_into_a_contact_is_shown_escaped(client, people, make_contact):
    contact = make_contact(people.hn, summary='<script>alert("x")</script><b>bold</b>',
                           caller={"name": "<img src=x onerror=alert(1)>", "phone": "0912345678"})
    client.force_login(people.hn)
    html = client.get(reverse("contact_detail", args=[contact.pk])).content.decode()
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    for page in (reverse("contact_list"), reverse("home"), reverse("contact_edit", args=[contact.pk])):
        assert "<img src=x" not in client.get(page).content.decode()


def test_audit_trail_is_shown_to_the_supervisor_but_not_to_a_counsellor(client, people, make_contact):
    contact = make_contact(people.hn)
    client.force_login(people.hn)
    assert 'id="audit-trail"' not in client.get(reverse("contact_detail", args=[contact.pk])).content.decode()
    client.force_login(people.hn_super)
    html = client.get(reverse("contact_detail", args=[contact.pk])).content.decode()
    assert 'id="audit-trail"' in html
    assert "hn_counsellor" in html and "mở xem" in html and "hoàn tất" in html


def test_edit_link_only_for_those_who_may_edit(client, people, make_contact):
    contact = make_contact(people.hn)
    client.force_login(people.hn2)
    assert 'id="btn-edit"' in client.get(reverse("contact_detail", args=[contact.pk])).content.decode()
    client.force_login(people.hn_manager)
    assert 'id="btn-edit"' not in client.get(reverse("contact_detail", args=[contact.pk])).content.decode()
    assert client.get(reverse("contact_edit", args=[contact.pk])).status_code == 403


def test_another_counsellors_draft_is_not_found(client, people, make_contact):
    draft = make_contact(people.hn, status="draft")
    client.force_login(people.hn2)
    assert client.get(reverse("contact_detail", args=[draft.pk])).status_code == 404
    client.force_login(people.hn_super)
    assert client.get(reverse("contact_detail", args=[draft.pk])).status_code == 200


def test_southern_counsellor_gets_a_404_page_for_a_hanoi_contact(client, people, make_contact):
    contact = make_contact(people.hn)
    client.force_login(people.ag)
    response = client.get(reverse("contact_detail", args=[contact.pk]))
    assert response.status_code == 404
    assert "Không tìm thấy" in response.content.decode()
    assert "Nguyễn Văn Ấn" not in response.content.decode()
    assert AuditEvent.objects.filter(action=Action.DENIED, actor=people.ag, object_id=contact.pk).count() == 1


def test_huge_ids_are_not_found_not_errors(client, people):
    client.force_login(people.hn)
    huge = 2**64
    assert client.get(f"/contacts/{huge}/").status_code == 404
    assert client.get(f"/contacts/{huge}/edit").status_code == 404
    assert client.post(f"/contacts/{huge}/autosave", {}).status_code == 404
