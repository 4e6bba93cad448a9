"""Reads of the live queue and the wallboard, scoped to what the user may see.

The queue holds no personal data: channel, waiting time, centre, overflow; what people
wrote is shown only in the conversation pane (audited there). Calls come from
``tongdai.telephony`` when that app is installed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from tongdai.accounts.models import Centre, User
from tongdai.accounts.roles import NATIONAL_ROLES, PERMISSIONS, Perm
from tongdai.channels.models import Conversation, ConversationStatus
from tongdai.workspace.models import Presence, PresenceStatus
from tongdai.workspace.presence import effective_status

QUEUE_LIMIT = 200

#: Roles that answer the queue (``Perm.QUEUE_ANSWER``): the counsellors on the wallboard.
ANSWER_ROLES = [r.value for r, perms in PERMISSIONS.items() if Perm.QUEUE_ANSWER in perms]


def telephony_installed() -> bool:
    return apps.is_installed("tongdai.telephony")


def _calls():
    from tongdai.telephony.models import Call

    return Call


def _seconds(since: datetime.datetime | None, now: datetime.datetime) -> int:
    return max(0, int((now - since).total_seconds())) if since else 0


# --------------------------------------------------------------------------- queue


def _conversation_item(c: Conversation, now, since) -> dict:
    return {"type": "conversation", "id": c.pk, "channel": c.channel,
            "waiting_seconds": _seconds(since, now), "centre": c.centre_id,
            "overflowed": c.overflowed, "version": c.version, "status": c.status,
            "contact": c.contact_id}


def _call_item(call, now, since) -> dict:
    from tongdai.telephony.services import dialled_channel  # only when telephony is installed

    return {"type": "call", "id": call.pk, "channel": dialled_channel(call.dialled),
            "waiting_seconds": _seconds(since, now), "centre": call.centre_id,
            "overflowed": call.overflowed, "version": call.version, "status": call.state,
            "contact": call.contact_id}


def waiting_items(user, now=None) -> list[dict]:
    """Calls and conversations waiting in the user's reach, longest waiting first."""
    now = now or timezone.now()
    items = [_conversation_item(c, now, c.started_at) for c in
             Conversation.objects.visible_to(user).filter(status=ConversationStatus.WAITING)
             .order_by("started_at", "pk")[:QUEUE_LIMIT]]
    if telephony_installed():
        Call = _calls()  # noqa: N806 - a model class
        items += [_call_item(c, now, c.queued_at or c.started_at) for c in
                  Call.objects.visible_to(user).filter(state__in=["ringing", "queued"])
                  .order_by("started_at", "pk")[:QUEUE_LIMIT]]
    return sorted(items, key=lambda i: -i["waiting_seconds"])


def my_items(user, now=None) -> list[dict]:
    """What the user is answering now: active conversations, calls in progress."""
    now = now or timezone.now()
    items = [_conversation_item(c, now, c.answered_at or c.started_at) for c in
             Conversation.objects.visible_to(user)
             .filter(status=ConversationStatus.ACTIVE, assigned_to=user)
             .order_by("-last_message_at", "-pk")[:QUEUE_LIMIT]]
    if telephony_installed():
        Call = _calls()  # noqa: N806 - a model class
        items += [_call_item(c, now, c.answered_at or c.started_at) for c in
                  Call.objects.visible_to(user).filter(state="answered", answered_by=user)
                  .order_by("-answered_at")[:QUEUE_LIMIT]]
    return items


def screen_pop(user) -> dict | None:
    """The intake form to open for a call this user just answered (once), or None."""
    if not telephony_installed():
        return None
    from tongdai.telephony.services import screen_pop_take

    call = screen_pop_take(user)
    if call is None or not call.contact_id:
        return None
    return {"url": f"/contacts/{call.contact_id}/edit"}


def presence_of(user) -> str:
    presence = Presence.objects.filter(user=user).first()
    return effective_status(presence)


def queue_state(user) -> dict:
    """The body of ``/workspace/queue.json`` (contract D in docs/api.md)."""
    now = timezone.now()
    # The pop is taken first: once it is, the answered call is committed, so "mine" read
    # after it holds that call. Read the other way round, the worker could commit between
    # the two and the browser would get the pop (taken once) with the call not yet "mine".
    pop = screen_pop(user)
    return {"waiting": waiting_items(user, now), "mine": my_items(user, now),
            "pop": pop, "presence": presence_of(user)}


# --------------------------------------------------------------------------- wallboard


@dataclass
class CounsellorRow:
    user: User
    status: str
    since: datetime.datetime | None
    answered_today: int


@dataclass
class CentreBoard:
    centre: Centre
    waiting: int = 0
    longest_wait_seconds: int = 0
    answered_today: int = 0
    abandoned_today: int = 0
    counsellors: list[CounsellorRow] = field(default_factory=list)


def local_day_start(now: datetime.datetime) -> datetime.datetime:
    """Midnight of today in Vietnam (``TIME_ZONE``), as an aware datetime."""
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def board_centres(user) -> list[Centre]:
    """Supervisors and centre managers: their own centre; national roles: every centre."""
    if not user.can(Perm.QUEUE_SUPERVISE):
        return []
    if user.role in NATIONAL_ROLES:
        return list(Centre.objects.order_by("-is_national", "code"))
    return list(Centre.objects.filter(pk=user.centre_id)) if user.centre_id else []


def _centre_board(centre: Centre, user, now, today) -> CentreBoard:
    board = CentreBoard(centre=centre)
    convs = Conversation.objects.visible_to(user).filter(centre=centre)
    waiting_since = list(convs.filter(status=ConversationStatus.WAITING)
                         .values_list("started_at", flat=True))
    board.answered_today = convs.filter(answered_at__gte=today).count()
    board.abandoned_today = convs.filter(status=ConversationStatus.CLOSED,
                                         answered_at__isnull=True,
                                         closed_at__gte=today).count()
    answered_by: dict[int, int] = {}
    for uid in convs.filter(answered_at__gte=today, assigned_to__isnull=False) \
            .values_list("assigned_to_id", flat=True):
        answered_by[uid] = answered_by.get(uid, 0) + 1
    if telephony_installed():
        calls = _calls().objects.visible_to(user).filter(centre=centre)
        waiting_since += [c.queued_at or c.started_at
                          for c in calls.filter(state__in=["ringing", "queued"])]
        board.answered_today += calls.filter(answered_at__gte=today).count()
        board.abandoned_today += calls.filter(state="abandoned").filter(
            Q(ended_at__gte=today) | Q(ended_at__isnull=True, started_at__gte=today)).count()
        for uid in calls.filter(answered_at__gte=today, answered_by__isnull=False) \
                .values_list("answered_by_id", flat=True):
            answered_by[uid] = answered_by.get(uid, 0) + 1
    board.waiting = len(waiting_since)
    board.longest_wait_seconds = max((_seconds(s, now) for s in waiting_since), default=0)
    people = (User.objects.filter(centre=centre, is_active=True, role__in=ANSWER_ROLES)
              .select_related("presence").order_by("full_name", "username"))
    for person in people:
        presence = getattr(person, "presence", None)
        status = effective_status(presence, now)
        since = presence.since if presence and status == presence.status else (
            presence.seen_at if presence else None)
        board.counsellors.append(CounsellorRow(person, status, since,
                                               answered_by.get(person.pk, 0)))
    return board


def wallboard(user) -> list[CentreBoard]:
    """The live numbers of every centre the supervisor oversees."""
    now = timezone.now()
    today = local_day_start(now)
    return [_centre_board(c, user, now, today) for c in board_centres(user)]


def wallboard_json(boards: list[CentreBoard]) -> dict:
    status_labels = dict(PresenceStatus.choices)
    return {"centres": [{
        "centre": b.centre.code, "name": b.centre.name_vi, "waiting": b.waiting,
        "longest_wait_seconds": b.longest_wait_seconds, "answered_today": b.answered_today,
        "abandoned_today": b.abandoned_today,
        "counsellors": [{"id": r.user.pk, "username": r.user.username,
                         "name": r.user.display_name, "status": r.status,
                         "status_label": str(status_labels.get(r.status, r.status)),
                         "since": r.since.isoformat() if r.since else None,
                         "since_local": timezone.localtime(r.since).strftime("%H:%M")
                         if r.since else "",
                         "answered_today": r.answered_today} for r in b.counsellors],
    } for b in boards]}
