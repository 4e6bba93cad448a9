"""Presence, routing with overflow, the live queue JSON, the workspace forms and the
wallboard numbers (issue 4, "Queue and presence")."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from tests.test_workspace_lifecycle import TEXT, make_conversation
from tongdai.audit.models import AuditEvent
from tongdai.channels import services
from tongdai.channels.lifecycle import conversation_close, conversation_pick_up
from tongdai.channels.models import Conversation, Direction, Message, Outbox, Provider
from tongdai.contacts.models import Contact
from tongdai.workspace.models import Presence
from tongdai.workspace.presence import (
    STALE_AFTER,
    available_in,
    effective_status,
    presence_seen,
    presence_set,
)
from tongdai.workspace.routing import route

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 11, 20, 5, 0, tzinfo=datetime.UTC)  # 12:00 in Vietnam


def log_in(client, user):
    client.force_login(user)
    return client


def zalo_event(sender="2512523625412515", text=TEXT):
    payload = {"app_id": "1", "event_name": "user_send_text", "sender": {"id": sender},
               "recipient": {"id": "579745863508352884"},
               "timestamp": str(int(timezone.now().timestamp() * 1000)),
               "message": {"msg_id": uuid.uuid4().hex, "text": text}}
    raw = json.dumps(payload, ensure_ascii=False)
    event, _ = services.inbox_accept(Provider.ZALO, payload["message"]["msg_id"], raw)
    return services.inbound_process(event.pk)


# --------------------------------------------------------------------------- presence


def test_presence_set_validates_and_tracks_since(people):
    with time_machine.travel(NOON, tick=False):
        p = presence_set(people.hn, "available")
    with time_machine.travel(NOON + datetime.timedelta(minutes=5), tick=False):
        presence_set(people.hn, "available")  # same status: since unchanged
        p.refresh_from_db()
        assert p.since == NOON and p.seen_at == NOON + datetime.timedelta(minutes=5)
        presence_set(people.hn, "break")
        p.refresh_from_db()
        assert p.status == "break" and p.since == NOON + datetime.timedelta(minutes=5)
    with pytest.raises(ValueError):
        presence_set(people.hn, "sleeping")


def test_stale_presence_counts_as_offline(people):
    with time_machine.travel(NOON, tick=False):
        presence_set(people.hn, "available")
        assert list(available_in("HN").values_list("user", flat=True)) == [people.hn.pk]
    later = NOON + STALE_AFTER + datetime.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        p = Presence.objects.get(user=people.hn)
        assert effective_status(p) == "offline"
        assert not available_in("HN").exists()
        presence_seen(people.hn)  # the workspace polls again
        p.refresh_from_db()
        assert effective_status(p) == "available" and available_in("HN").exists()


# --------------------------------------------------------------------------- routing


def test_routing_by_province_to_the_centre_that_serves_it(people):
    presence_set(people.ag, "available")
    presence_set(people.hn, "available")
    presence_set(people.dn, "available")
    ag_province = people.ag.centre.provinces.order_by("code").first()
    dn_province = people.dn.centre.provinces.order_by("code").first()
    assert ag_province is not None and dn_province is not None
    assert route("zalo", ag_province.code) == route("zalo", ag_province.code)
    assert route("zalo", ag_province.code).centre.code == "AG"
    assert route("zalo", dn_province.code).centre.code == "DN"
    assert route("zalo", None).centre.code == "HN"
    assert not route("zalo", ag_province.code).overflowed


def test_overflow_when_home_centre_has_nobody_available(people):
    ag_province = people.ag.centre.provinces.order_by("code").first().code
    presence_set(people.hn, "available")
    presence_set(people.ag, "break")
    r = route("zalo", ag_province)
    assert (r.centre.code, r.overflowed) == ("HN", True)
    # Nobody available anywhere: it stays home and waits.
    presence_set(people.hn, "offline")
    r = route("zalo", ag_province)
    assert (r.centre.code, r.overflowed) == ("AG", False)


def test_stale_available_counsellor_does_not_receive_routing(people):
    ag_province = people.ag.centre.provinces.order_by("code").first().code
    with time_machine.travel(NOON, tick=False):
        presence_set(people.ag, "available")
        presence_set(people.hn, "available")
    with time_machine.travel(NOON + STALE_AFTER + datetime.timedelta(seconds=5), tick=False):
        presence_seen(people.hn)  # HN's workspace is open, AG's laptop was closed
        r = route("zalo", ag_province)
        assert (r.centre.code, r.overflowed) == ("HN", True)


def test_new_conversations_are_routed_with_overflow(people):
    presence_set(people.dn, "available")  # HN (national, home of unknown provinces) is empty
    message = zalo_event()
    conversation = message.conversation
    assert (conversation.centre_id, conversation.overflowed) == ("DN", True)
    presence_set(people.hn, "available")
    other = zalo_event(sender="999").conversation
    assert (other.centre_id, other.overflowed) == ("HN", False)


# --------------------------------------------------------------------------- queue.json


def test_queue_json_shape_reach_and_presence_seen(people, client):
    hn_c = make_conversation("HN", overflowed=True)
    make_conversation("AG")
    with time_machine.travel(NOON, tick=False):
        presence_set(people.hn, "available")
    log_in(client, people.hn)
    response = client.get("/workspace/queue.json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"waiting", "mine", "pop", "presence"}
    assert [(i["type"], i["id"], i["channel"], i["centre"], i["overflowed"])
            for i in body["waiting"]] == [("conversation", hn_c.pk, "zalo", "HN", True)]
    assert isinstance(body["waiting"][0]["waiting_seconds"], int)
    assert body["mine"] == [] and body["pop"] is None and body["presence"] == "available"
    assert Presence.objects.get(user=people.hn).seen_at > NOON
    assert TEXT not in response.content.decode()  # the queue carries no message text

    conversation_pick_up(people.hn, hn_c.pk, 1)
    body = client.get("/workspace/queue.json").json()
    assert body["waiting"] == [] and [i["id"] for i in body["mine"]] == [hn_c.pk]


@pytest.mark.parametrize("who", ["hn_casemgr", "analyst", "police", "commune"])
def test_queue_and_workspace_need_a_queue_role(people, client, who):
    log_in(client, getattr(people, who))
    assert client.get("/workspace/queue.json").status_code == 403
    assert client.get("/workspace/").status_code == 403
    assert client.get("/workspace/wallboard").status_code == 403


def test_anonymous_is_sent_to_login(client):
    assert client.get("/workspace/queue.json").status_code == 302
    assert client.post("/workspace/presence", {"status": "available"}).status_code == 302


# --------------------------------------------------------------------------- pages, forms


def test_workspace_page_shows_the_queue_and_nav_link(people, client):
    c = make_conversation("HN", overflowed=True)
    log_in(client, people.hn)
    page = client.get("/workspace/").content.decode()
    assert 'id="nav-workspace"' in page and f'data-id="{c.pk}"' in page
    assert "workspace.js" in page and "<script>" not in page


def test_counsellor_flow_with_plain_forms(people, client, settings):
    c = make_conversation()
    log_in(client, people.hn)
    assert client.post("/workspace/presence", {"status": "available"}).status_code == 302
    assert Presence.objects.get(user=people.hn).status == "available"
    assert client.post("/workspace/presence", {"status": "nap"}).status_code == 400

    response = client.post(f"/workspace/conversations/{c.pk}/pick-up", {"version": "1"})
    assert response.status_code == 302 and response["Location"] == f"/workspace/?c={c.pk}"
    page = client.get(response["Location"])
    assert TEXT in page.content.decode() and 'id="reply-form"' in page.content.decode()
    assert AuditEvent.objects.filter(action="view", object_type="conversation",
                                     object_id=c.pk, actor=people.hn).exists()

    response = client.post(f"/workspace/conversations/{c.pk}/reply",
                           {"text": "Chào em, em đang ở đâu?"})
    assert response.status_code == 302
    reply = Message.objects.get(conversation=c, direction=Direction.OUT)
    assert reply.text == "Chào em, em đang ở đâu?" and reply.author == people.hn
    assert client.post(f"/workspace/conversations/{c.pk}/reply", {"text": "  "}).status_code == 400

    data = client.get(f"/workspace/conversations/{c.pk}/messages.json?after=0").json()
    assert [m["direction"] for m in data["messages"]] == ["in", "out"]
    assert data["messages"][1]["delivery"] in ("pending", "sent", "failed")

    response = client.post(f"/workspace/conversations/{c.pk}/contact")
    contact = Contact.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/contacts/{contact.pk}/edit"
    assert client.get(response["Location"]).status_code == 200

    response = client.post(f"/workspace/conversations/{c.pk}/close", {"version": "1"})
    assert response.status_code == 409  # stale version: shown again with the reason
    c.refresh_from_db()
    response = client.post(f"/workspace/conversations/{c.pk}/close", {"version": c.version})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == "closed"


def test_failed_reply_can_be_sent_again(people, client):
    c = make_conversation()
    conversation_pick_up(people.hn, c.pk, 1)
    out = Message.objects.create(conversation=c, provider="zalo", provider_message_id="out:x",
                                 direction=Direction.OUT, text="Chào em", author=people.hn)
    row = Outbox.objects.create(message=out, status="failed", attempts=6, last_error="zalo:-230")
    log_in(client, people.hn)
    page = client.get(f"/workspace/?c={c.pk}").content.decode()
    assert f"/workspace/messages/{out.pk}/retry" in page
    response = client.post(f"/workspace/messages/{out.pk}/retry", {"c": c.pk})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status in ("pending", "failed", "sent") and row.attempts <= 1
    log_in(client, people.ag)
    assert client.post(f"/workspace/messages/{out.pk}/retry", {"c": c.pk}).status_code == 400


def test_refusals_are_4xx_and_change_nothing(people, client):
    c = make_conversation("HN")
    log_in(client, people.ag)
    assert client.get(f"/workspace/?c={c.pk}").status_code == 404
    assert client.get(f"/workspace/conversations/{c.pk}/messages.json").status_code == 404
    assert client.post(f"/workspace/conversations/{c.pk}/pick-up",
                       {"version": "1"}).status_code == 404
    log_in(client, people.hn)
    for data in ({"version": "x"}, {}, {"version": "99999999999999999999999"}):
        assert client.post(f"/workspace/conversations/{c.pk}/pick-up", data).status_code == 409
    assert client.post(f"/workspace/conversations/{c.pk}/transfer",
                       {"version": "1", "to_user": "abc"}).status_code == 400
    assert client.get("/workspace/?c=abc").status_code == 404
    c.refresh_from_db()
    assert c.version == 1 and c.status == "waiting"


def test_messages_poll_audits_only_when_something_new_is_shown(people, client):
    c = make_conversation()
    log_in(client, people.hn)
    last = c.messages.last().pk
    before = AuditEvent.objects.filter(object_type="conversation", action="view").count()
    client.get(f"/workspace/conversations/{c.pk}/messages.json?after={last}")
    assert AuditEvent.objects.filter(object_type="conversation", action="view").count() == before
    client.get(f"/workspace/conversations/{c.pk}/messages.json?after=0")
    assert AuditEvent.objects.filter(object_type="conversation",
                                     action="view").count() == before + 1


# --------------------------------------------------------------------------- wallboard


def test_wallboard_numbers(people, client):
    yesterday = NOON - datetime.timedelta(days=1)
    with time_machine.travel(yesterday, tick=False):
        old = make_conversation()
        conversation_pick_up(people.hn, old.pk, 1)  # answered yesterday: not today
    with time_machine.travel(NOON - datetime.timedelta(minutes=10), tick=False):
        answered = make_conversation()
        abandoned = make_conversation()
        waiting_long = make_conversation()
        presence_set(people.hn, "available")
        presence_set(people.hn2, "break")
    with time_machine.travel(NOON - datetime.timedelta(minutes=2), tick=False):
        make_conversation()
        conversation_pick_up(people.hn, answered.pk, 1)
        conversation_close(people.hn_super, abandoned.pk, 1)
        make_conversation("AG")
    with time_machine.travel(NOON, tick=False):
        log_in(client, people.hn_super)
        body = client.get("/workspace/wallboard.json").json()
        assert [c["centre"] for c in body["centres"]] == ["HN"]
        hn = body["centres"][0]
        assert (hn["waiting"], hn["longest_wait_seconds"], hn["answered_today"],
                hn["abandoned_today"]) == (2, 600, 1, 1)
        rows = {r["username"]: r for r in hn["counsellors"]}
        # hn polled 10 minutes ago: stale, shown offline.
        assert rows[people.hn.username]["status"] == "offline"
        assert rows[people.hn.username]["answered_today"] == 1
        assert rows[people.hn2.username]["status"] == "offline"
        assert people.hn_casemgr.username not in rows and people.ag.username not in rows
        presence_seen(people.hn)
        rows = {r["username"]: r for r in
                client.get("/workspace/wallboard.json").json()["centres"][0]["counsellors"]}
        assert rows[people.hn.username]["status"] == "available"
        assert waiting_long.pk in {c.pk for c in Conversation.objects.filter(status="waiting")}
        assert client.get("/workspace/wallboard").status_code == 200

        log_in(client, people.admin)
        centres = client.get("/workspace/wallboard.json").json()["centres"]
        assert {c["centre"] for c in centres} == {"HN", "DN", "AG"}
        log_in(client, people.hn)
        assert client.get("/workspace/wallboard.json").status_code == 403


def test_supervisor_picks_up_for_a_counsellor_from_the_wallboard(people, client):
    c = make_conversation()
    log_in(client, people.hn_super)
    response = client.post(f"/workspace/conversations/{c.pk}/pick-up",
                           {"version": "1", "for_user": people.hn2.pk, "back": "wallboard"})
    assert response.status_code == 302 and response["Location"] == "/workspace/wallboard"
    c.refresh_from_db()
    assert c.assigned_to == people.hn2
    response = client.post(f"/workspace/conversations/{c.pk}/transfer",
                           {"version": c.version, "to_centre": "DN", "back": "wallboard"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.centre_id, c.status) == ("DN", "waiting")
    response = client.post(f"/workspace/conversations/{c.pk}/transfer",
                           {"version": c.version, "to_centre": "DN", "back": "wallboard"})
    assert response.status_code == 404  # out of the HN supervisor's reach now


# --------------------------------------------------------------------------- calls


needs_telephony = pytest.mark.skipif(not apps.is_installed("tongdai.telephony"),
                                     reason="tongdai.telephony is not installed")


def make_call(centre="HN", state="queued", **extra):
    from tongdai.telephony.models import Call

    return Call.objects.create(provider="generic", provider_call_id=uuid.uuid4().hex,
                               state=state, caller_number="+84912345678", dialled="111",
                               centre_id=centre, **extra)


@needs_telephony
def test_waiting_calls_join_the_queue_and_the_screen_pops_once(people, client, make_contact):
    with time_machine.travel(NOON - datetime.timedelta(minutes=3), tick=False):
        call = make_call(queued_at=timezone.now())
        make_call("AG")
    with time_machine.travel(NOON, tick=False):
        conversation = make_conversation()
        log_in(client, people.hn)
        waiting = client.get("/workspace/queue.json").json()["waiting"]
        assert [(i["type"], i["id"], i["channel"]) for i in waiting] == [
            ("call", call.pk, "phone_111"), ("conversation", conversation.pk, "zalo")]
        assert waiting[0]["waiting_seconds"] == 180

        draft = make_contact(people.hn, status="draft")
        call.state, call.answered_by, call.answered_at, call.contact = (
            "answered", people.hn, timezone.now(), draft)
        call.save()
        body = client.get("/workspace/queue.json").json()
        assert body["pop"] == {"url": f"/contacts/{draft.pk}/edit"}
        assert [(i["type"], i["id"]) for i in body["mine"]] == [("call", call.pk)]
        assert client.get("/workspace/queue.json").json()["pop"] is None  # only once
        log_in(client, people.hn2)
        assert client.get("/workspace/queue.json").json()["pop"] is None


@needs_telephony
def test_wallboard_counts_calls(people, client):
    with time_machine.travel(NOON - datetime.timedelta(minutes=5), tick=False):
        make_call(state="ringing")
        make_call(state="abandoned", ended_at=timezone.now())
        make_call(state="ended", answered_by=people.hn2, answered_at=timezone.now(),
                  ended_at=timezone.now())
    with time_machine.travel(NOON - datetime.timedelta(days=1), tick=False):
        make_call(state="abandoned", ended_at=timezone.now())  # yesterday
    with time_machine.travel(NOON, tick=False):
        log_in(client, people.hn_super)
        hn = client.get("/workspace/wallboard.json").json()["centres"][0]
        assert (hn["waiting"], hn["longest_wait_seconds"], hn["answered_today"],
                hn["abandoned_today"]) == (1, 300, 1, 1)
        rows = {r["username"]: r["answered_today"] for r in hn["counsellors"]}
        assert rows[people.hn2.username] == 1


def test_hostile_form_values_are_refused_not_500(people, client):
    c = make_conversation()
    conversation_pick_up(people.hn, c.pk, 1)
    log_in(client, people.hn_super)
    for data in ({"version": "2", "to_centre": "H\x00"}, {"version": "2", "to_centre": "ZZZ"},
                 {"version": "2", "to_user": "\x00"}):
        assert client.post(f"/workspace/conversations/{c.pk}/transfer", data).status_code == 400
    log_in(client, people.hn)
    response = client.post(f"/workspace/conversations/{c.pk}/reply", {"text": "chào\x00em"})
    assert response.status_code == 400
    assert not Message.objects.filter(conversation=c, direction=Direction.OUT).exists()
    huge = 2**70
    assert client.post(f"/workspace/conversations/{huge}/pick-up", {"version": "1"}) \
        .status_code == 404
    assert client.get(f"/workspace/conversations/{huge}/messages.json").status_code == 404
    assert client.post(f"/workspace/messages/{huge}/retry", {"c": "x"}).status_code == 400
