"""Conversation lifecycle (pick up, transfer, close, save as contact) and the
conversations API (issue 4, contract C)."""

from __future__ import annotations

import uuid

import pytest

from tongdai.audit.models import AuditEvent
from tongdai.channels.lifecycle import (
    ConversationForbidden,
    ConversationNotFound,
    ConversationRefused,
    ConversationStale,
    conversation_close,
    conversation_pick_up,
    conversation_to_contact,
    conversation_transfer,
)
from tongdai.channels.models import (
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    Outbox,
)
from tongdai.contacts.models import Contact, Status

pytestmark = pytest.mark.django_db

TEXT = "Em bị bắt nạt ở trường, em sợ lắm"


def make_conversation(centre="HN", channel="zalo", text=TEXT, provider="zalo", **extra):
    conversation = Conversation.objects.create(
        channel=channel, provider_user_id=uuid.uuid4().hex[:16], centre_id=centre, **extra)
    Message.objects.create(conversation=conversation, provider=provider,
                           provider_message_id=uuid.uuid4().hex, text=text)
    return conversation


def audit_ops(conversation):
    return [e.detail.get("op") for e in AuditEvent.objects.filter(
        object_type="conversation", object_id=conversation.pk, action="update").order_by("id")]


# --------------------------------------------------------------------------- pick up


def test_pick_up_assigns_answers_and_audits(people):
    c = make_conversation()
    conversation_pick_up(people.hn, c.pk, c.version)
    c.refresh_from_db()
    assert (c.status, c.assigned_to, c.version) == (ConversationStatus.ACTIVE, people.hn, 2)
    assert c.answered_at is not None
    assert audit_ops(c) == ["pick_up"]


def test_second_pick_up_with_the_same_version_is_refused_as_stale(people):
    c = make_conversation()
    conversation_pick_up(people.hn, c.pk, c.version)
    with pytest.raises(ConversationStale) as exc:
        conversation_pick_up(people.hn2, c.pk, 1)
    assert "Reload" in str(exc.value) or "tải lại" in str(exc.value).lower()
    c.refresh_from_db()
    assert c.assigned_to == people.hn and c.version == 2


def test_pick_up_outside_reach_is_not_found_and_audited_as_denied(people):
    c = make_conversation(centre="HN")
    with pytest.raises(ConversationNotFound):
        conversation_pick_up(people.ag, c.pk, c.version)
    c.refresh_from_db()
    assert c.status == ConversationStatus.WAITING and c.assigned_to is None
    assert AuditEvent.objects.filter(action="denied", object_type="conversation",
                                     object_id=c.pk, actor=people.ag).exists()


@pytest.mark.parametrize("who", ["hn_casemgr", "hn_manager", "analyst", "police"])
def test_roles_without_queue_answer_cannot_pick_up(people, who):
    c = make_conversation()
    with pytest.raises(ConversationRefused):
        conversation_pick_up(getattr(people, who), c.pk, c.version)
    c.refresh_from_db()
    assert c.status == ConversationStatus.WAITING


def test_supervisor_picks_up_for_a_named_counsellor_of_the_centre(people):
    c = make_conversation()
    conversation_pick_up(people.hn_super, c.pk, c.version, for_user=people.hn2)
    c.refresh_from_db()
    assert c.assigned_to == people.hn2 and c.status == ConversationStatus.ACTIVE
    d = make_conversation()
    with pytest.raises(ConversationForbidden):  # not of the conversation's centre
        conversation_pick_up(people.hn_super, d.pk, d.version, for_user=people.ag)
    with pytest.raises(ConversationForbidden):  # counsellors cannot pick up for others
        conversation_pick_up(people.hn, d.pk, d.version, for_user=people.hn2)


# --------------------------------------------------------------------------- transfer


def test_counsellor_hands_back_to_the_queue_but_cannot_transfer(people):
    c = make_conversation()
    conversation_pick_up(people.hn, c.pk, 1)
    with pytest.raises(ConversationForbidden):
        conversation_transfer(people.hn, c.pk, 2, to_user=people.hn2)
    with pytest.raises(ConversationForbidden):  # not theirs
        conversation_transfer(people.hn2, c.pk, 2)
    conversation_transfer(people.hn, c.pk, 2)
    c.refresh_from_db()
    assert c.status == ConversationStatus.WAITING and c.assigned_to is None
    assert audit_ops(c) == ["pick_up", "transfer"]


def test_supervisor_transfers_to_a_counsellor_and_to_another_centre(people):
    c = make_conversation()
    conversation_transfer(people.hn_super, c.pk, 1, to_user=people.hn2)
    c.refresh_from_db()
    assert (c.assigned_to, c.status, c.centre_id) == (people.hn2, "active", "HN")
    conversation_transfer(people.hn_super, c.pk, 2, to_centre=people.ag.centre)
    c.refresh_from_db()
    assert (c.assigned_to, c.status, c.centre_id) == (None, "waiting", "AG")
    # Now out of the HN supervisor's reach, within the AG counsellor's.
    with pytest.raises(ConversationNotFound):
        conversation_transfer(people.hn_super, c.pk, 3, to_user=people.hn)
    conversation_pick_up(people.ag, c.pk, 3)


def test_transfer_refuses_both_targets_and_stale_versions(people):
    c = make_conversation()
    with pytest.raises(ConversationRefused):
        conversation_transfer(people.hn_super, c.pk, 1, to_user=people.hn,
                              to_centre=people.ag.centre)
    with pytest.raises(ConversationStale):
        conversation_transfer(people.hn_super, c.pk, 7, to_user=people.hn)
    with pytest.raises(ConversationRefused):  # not an answerer
        conversation_transfer(people.hn_super, c.pk, 1, to_user=people.hn_casemgr)
    c.refresh_from_db()
    assert c.version == 1 and c.assigned_to is None


# --------------------------------------------------------------------------- close


def test_close_by_the_counsellor_and_refusals(people):
    c = make_conversation()
    conversation_pick_up(people.hn, c.pk, 1)
    with pytest.raises(ConversationForbidden):
        conversation_close(people.hn2, c.pk, 2)
    conversation_close(people.hn, c.pk, 2)
    c.refresh_from_db()
    assert c.status == ConversationStatus.CLOSED and c.closed_at is not None
    with pytest.raises(ConversationStale):
        conversation_close(people.hn, c.pk, 3)


def test_supervisor_closes_a_waiting_conversation(people):
    c = make_conversation()
    conversation_close(people.hn_super, c.pk, 1)
    c.refresh_from_db()
    assert c.status == ConversationStatus.CLOSED and c.answered_at is None


# --------------------------------------------------------------------------- to contact


def test_save_as_contact_creates_one_draft_for_the_actor(people):
    c = make_conversation()
    with pytest.raises(ConversationRefused):  # waiting: pick it up first
        conversation_to_contact(people.hn, c.pk)
    conversation_pick_up(people.hn, c.pk, 1)
    contact = conversation_to_contact(people.hn, c.pk)
    again = conversation_to_contact(people.hn, c.pk)
    assert contact.pk == again.pk and Contact.objects.count() == 1
    c.refresh_from_db()
    assert c.contact == contact
    assert contact.status == Status.DRAFT and contact.channel == "zalo"
    assert contact.counsellor == people.hn and contact.centre_id == "HN"
    assert contact.received_at == c.started_at and contact.answered_at == c.answered_at
    assert AuditEvent.objects.filter(action="create", object_type="contact",
                                     object_id=contact.pk).count() == 1


def test_save_as_contact_needs_a_role_that_records_contacts(people):
    c = make_conversation()
    conversation_transfer(people.hn_super, c.pk, 1, to_user=people.hn)
    with pytest.raises(ConversationRefused):
        conversation_to_contact(people.hn_manager, c.pk)  # sees it, records no contacts
    with pytest.raises(ConversationNotFound):
        conversation_to_contact(people.ag, c.pk)
    assert Contact.objects.count() == 0


# --------------------------------------------------------------------------- API


def test_api_lists_within_reach_with_channel_filter_and_audit(people, api):
    hn_zalo = make_conversation("HN", "zalo")
    hn_fb = make_conversation("HN", "facebook", provider="messenger")
    ag_zalo = make_conversation("AG", "zalo")
    body = api(people.hn).get("/api/v1/conversations").json()
    assert {i["id"] for i in body["items"]} == {hn_zalo.pk, hn_fb.pk}
    assert body["has_next"] is False
    body = api(people.hn).get("/api/v1/conversations?channel=zalo").json()
    assert [i["id"] for i in body["items"]] == [hn_zalo.pk]
    assert [i["id"] for i in api(people.ag).get("/api/v1/conversations").json()["items"]] \
        == [ag_zalo.pk]
    assert len(api(people.admin).get("/api/v1/conversations").json()["items"]) == 3
    for who in (people.analyst, people.police, people.commune):
        assert api(who).get("/api/v1/conversations").json()["items"] == []
    event = AuditEvent.objects.filter(action="list", object_type="conversation",
                                      actor=people.hn).order_by("id").last()
    assert event.object_ids == [hn_zalo.pk] and event.detail["filters"] == {"channel": "zalo"}


def test_api_pages(people, api):
    for _ in range(3):
        make_conversation()
    body = api(people.hn).get("/api/v1/conversations?page_size=2").json()
    assert len(body["items"]) == 2 and body["has_next"] is True
    body = api(people.hn).get("/api/v1/conversations?page_size=2&page=2").json()
    assert len(body["items"]) == 1 and body["has_next"] is False


def test_api_detail_with_messages_both_ways_and_delivery(people, api):
    c = make_conversation()
    conversation_pick_up(people.hn, c.pk, 1)
    out = Message.objects.create(conversation=c, provider="zalo", provider_message_id="out:1",
                                 direction=Direction.OUT, text="Chào em, anh chị nghe đây",
                                 author=people.hn)
    Outbox.objects.create(message=out, status="failed", last_error="500")
    response = api(people.hn).get(f"/api/v1/conversations/{c.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "active" and body["assigned_to"] == people.hn.username
    assert [(m["direction"], m["text"], m["author"], m["delivery"]) for m in body["messages"]] == [
        ("in", TEXT, None, None), ("out", "Chào em, anh chị nghe đây", people.hn.username, "failed")]
    assert TEXT in response.content.decode("utf-8")  # UTF-8, not \u escapes
    assert AuditEvent.objects.filter(action="view", object_type="conversation",
                                     object_id=c.pk, actor=people.hn, via="api").exists()


@pytest.mark.parametrize("who", ["ag", "analyst", "police", "commune"])
def test_api_detail_outside_reach_is_404_and_audited(people, api, who):
    c = make_conversation("HN")
    user = getattr(people, who)
    response = api(user).get(f"/api/v1/conversations/{c.pk}")
    assert response.status_code == 404 and response.json()["message"]
    assert AuditEvent.objects.filter(action="denied", object_type="conversation",
                                     object_id=c.pk, actor=user).exists()


def test_api_bad_input_is_4xx_with_a_message(people, api):
    client = api(people.hn)
    for url, code in (("/api/v1/conversations?channel=pigeon", 422),
                      ("/api/v1/conversations?status=sleeping", 422),
                      ("/api/v1/conversations?page=0", 422),
                      ("/api/v1/conversations?page_size=1000", 422),
                      ("/api/v1/conversations/999999999", 404),
                      ("/api/v1/conversations/99999999999999999999999", 404),
                      ("/api/v1/conversations/abc", 404)):
        response = client.get(url)
        assert response.status_code == code, url
        assert response.json()["message"], url
    assert set(client.get("/api/v1/conversations?channel=pigeon").json()["errors"]) == {
        "channel"}
    from django.test import Client

    assert Client().get("/api/v1/conversations").status_code == 401
