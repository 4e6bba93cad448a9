"""The counsellor workspace and the supervisor wallboard.

Every action is a plain POST form with CSRF that redirects back (POST/redirect/GET), so
the pages work without JavaScript; ``workspace.js`` only refreshes the queue, the open
conversation and the wallboard by polling their JSON. A refused action shows the page
again with the reason and a 4xx status (404 outside reach, 409 stale, 403 not allowed,
400 bad input). Operations go through ``tongdai.channels.lifecycle``,
``tongdai.channels.outbox`` and ``tongdai.workspace.presence``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tongdai.accounts.models import Centre, User
from tongdai.accounts.roles import Perm
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.channels.lifecycle import (
    ConversationForbidden,
    ConversationNotFound,
    ConversationRefused,
    ConversationStale,
    answerer_or_none,
    centre_or_none,
    conversation_close,
    conversation_get_for,
    conversation_messages,
    conversation_pick_up,
    conversation_to_contact,
    conversation_transfer,
    delivery_status,
)
from tongdai.channels.models import Conversation, ConversationStatus, OutboxStatus
from tongdai.channels.outbox import MAX_REPLY_CHARS, ReplyRefused, outbox_retry, reply_send
from tongdai.contacts.models import Channel
from tongdai.core.ids import safe_id
from tongdai.workspace.models import PresenceStatus
from tongdai.workspace.presence import presence_seen, presence_set
from tongdai.workspace.services import (
    ANSWER_ROLES,
    board_centres,
    my_items,
    presence_of,
    queue_state,
    waiting_items,
    wallboard,
    wallboard_json,
)

POLL_MS = 2000


def _require_queue(user) -> None:
    if not (user.can(Perm.QUEUE_ANSWER) or user.can(Perm.QUEUE_SUPERVISE)):
        raise PermissionDenied


def _labels() -> dict:
    """Translated words the page script needs (it builds rows from JSON)."""
    return {"channels": {k: str(v) for k, v in Channel.choices},
            "presence": {k: str(v) for k, v in PresenceStatus.choices},
            "delivery": {k: str(v) for k, v in OutboxStatus.choices},
            "direction": {"in": _("Received"), "out": _("Sent")},
            "overflowed": _("Overflow"), "call": _("Call"), "conversation": _("Conversation"),
            "pick_up": _("Pick up"), "open": _("View"), "send_again": _("Send again"),
            "empty": _("Nobody is waiting."), "none_mine": _("Nothing in progress.")}


# --------------------------------------------------------------------------- workspace


@login_required
@require_GET
def workspace(request):
    return _render_workspace(request)


def _render_workspace(request, *, error: str = "", status: int = 200, conversation_id=None,
                      reply_text: str = ""):
    user = request.user
    _require_queue(user)
    now = timezone.now()
    conversation, messages_ = None, []
    wanted = conversation_id or request.GET.get("c")
    if wanted:
        try:
            conversation = conversation_get_for(user, wanted, request=request)
        except ConversationNotFound:
            if status == 200:
                raise Http404 from None
        else:
            messages_ = conversation_messages(conversation)
    can_answer = user.can(Perm.QUEUE_ANSWER)
    supervisor = user.can(Perm.QUEUE_SUPERVISE)
    mine = conversation is not None and conversation.assigned_to_id == user.pk
    context = {
        "nav": "workspace", "error": error, "presence": presence_of(user),
        "presence_choices": PresenceStatus.choices, "can_answer": can_answer,
        "supervisor": supervisor, "waiting": waiting_items(user, now),
        "mine": my_items(user, now), "conversation": conversation, "thread": messages_,
        "is_mine": mine, "reply_text": reply_text, "max_reply": MAX_REPLY_CHARS,
        "labels": _labels(), "poll_ms": POLL_MS,
        "last_message_id": messages_[-1].pk if messages_ else 0,
        "transfer_users": _transfer_users(user) if supervisor and conversation else [],
        "centres": list(Centre.objects.order_by("code")) if supervisor else [],
    }
    return render(request, "workspace/workspace.html", context, status=status)


def _transfer_users(user):
    qs = User.objects.filter(is_active=True, role__in=ANSWER_ROLES, centre__isnull=False)
    centres = [c.code for c in board_centres(user)]
    return list(qs.filter(centre_id__in=centres).select_related("centre")
                .order_by("centre_id", "full_name", "username"))


@login_required
@require_GET
def queue_json(request):
    """Contract D (docs/api.md). Also marks the workspace as open (presence ``seen_at``)."""
    _require_queue(request.user)
    presence_seen(request.user)
    return JsonResponse(queue_state(request.user))


@login_required
@require_POST
def presence_post(request):
    user = request.user
    if not user.can(Perm.QUEUE_ANSWER):
        raise PermissionDenied
    status = request.POST.get("status", "")
    if status not in PresenceStatus.values:
        return _render_workspace(request, error=_("Choose a valid status."), status=400)
    presence_set(user, status)
    return redirect(_back_url(request))


def _back_url(request, conversation_id=None) -> str:
    """Only our own pages: the wallboard or the workspace (with the open conversation)."""
    if request.POST.get("back") == "wallboard":
        return reverse("wallboard")
    url = reverse("workspace")
    pk = safe_id(conversation_id or request.POST.get("c"))
    return f"{url}?c={pk}" if pk else url


def _refused(request, exc: Exception, conversation_id=None, reply_text: str = ""):
    status = (404 if isinstance(exc, ConversationNotFound) else
              409 if isinstance(exc, ConversationStale) else
              403 if isinstance(exc, ConversationForbidden) else 400)
    if request.POST.get("back") == "wallboard":
        return _render_wallboard(request, error=str(exc), status=status)
    keep = None if isinstance(exc, ConversationNotFound) else conversation_id
    return _render_workspace(request, error=str(exc), status=status, conversation_id=keep,
                             reply_text=reply_text)


@login_required
@require_POST
def pick_up(request, pk: int):
    user = request.user
    _require_queue(user)
    for_user = None
    if request.POST.get("for_user"):
        for_user = answerer_or_none(request.POST["for_user"])
        if for_user is None:
            return _refused(request, ConversationRefused(_("Choose a counsellor.")), pk)
    try:
        conversation_pick_up(user, pk, request.POST.get("version"), for_user=for_user,
                             request=request)
    except ConversationRefused as exc:
        return _refused(request, exc, pk)
    return redirect(_back_url(request, pk if for_user is None else None))


@login_required
@require_POST
def transfer(request, pk: int):
    user = request.user
    _require_queue(user)
    to_user = to_centre = None
    if request.POST.get("to_user"):
        to_user = answerer_or_none(request.POST["to_user"])
        if to_user is None:
            return _refused(request, ConversationRefused(_("Choose a counsellor.")), pk)
    if request.POST.get("to_centre"):
        to_centre = centre_or_none(request.POST["to_centre"])
        if to_centre is None:
            return _refused(request, ConversationRefused(_("Choose a centre.")), pk)
    try:
        conversation_transfer(user, pk, request.POST.get("version"), to_user=to_user,
                              to_centre=to_centre, request=request)
    except ConversationRefused as exc:
        return _refused(request, exc, pk)
    return redirect(_back_url(request))


@login_required
@require_POST
def close(request, pk: int):
    _require_queue(request.user)
    try:
        conversation_close(request.user, pk, request.POST.get("version"), request=request)
    except ConversationRefused as exc:
        return _refused(request, exc, pk)
    return redirect(_back_url(request))


@login_required
@require_POST
def to_contact(request, pk: int):
    _require_queue(request.user)
    try:
        contact = conversation_to_contact(request.user, pk, request=request)
    except ConversationRefused as exc:
        return _refused(request, exc, pk)
    return redirect("contact_edit", pk=contact.pk)


@login_required
@require_POST
def reply(request, pk: int):
    _require_queue(request.user)
    text = request.POST.get("text", "")
    try:
        reply_send(request.user, pk, text)
    except ReplyRefused as exc:
        return _refused(request, ConversationRefused(str(exc)), pk, reply_text=text)
    return redirect(_back_url(request, pk))


@login_required
@require_POST
def retry(request, message_pk: int):
    _require_queue(request.user)
    conversation_id = safe_id(request.POST.get("c"))
    try:
        outbox_retry(request.user, safe_id(message_pk) or 0)
    except ReplyRefused as exc:
        return _refused(request, ConversationRefused(str(exc)), conversation_id)
    return redirect(_back_url(request, conversation_id))


@login_required
@require_GET
def messages_json(request, pk: int):
    """The open conversation's messages for the pane's poll. Audited (a view) only when it
    shows messages the page does not have yet (``after``: the last id shown), so a pane
    left open does not write a row every two seconds."""
    user = request.user
    _require_queue(user)
    conversation = Conversation.objects.visible_to(user).filter(pk=safe_id(pk)).first()
    if conversation is None:
        return JsonResponse({"message": _("Conversation not found.")}, status=404)
    after = safe_id(request.GET.get("after")) or 0
    rows = conversation_messages(conversation)
    if any(m.pk > after for m in rows):
        audit_record(user, Action.VIEW, obj=conversation, request=request, via="ui",
                     detail={"poll": True})
    return JsonResponse({
        "id": conversation.pk, "status": conversation.status, "version": conversation.version,
        "assigned_to": conversation.assigned_to_id, "messages": [_message_json(m) for m in rows],
    })


def _message_json(m) -> dict:
    delivery = delivery_status(m)
    return {
        "id": m.pk, "direction": m.direction, "kind": m.kind, "text": m.text,
        "attachment_url": m.attachment_url,
        "files": [f.filename for f in m.files.all()],
        "author": m.author.display_name if m.author_id else "",
        "sent_at": timezone.localtime(m.sent_at).strftime("%d/%m/%Y %H:%M"),
        "delivery": delivery,
        "retry_url": reverse("workspace_retry", args=[m.pk])
        if delivery == OutboxStatus.FAILED else "",
    }


# --------------------------------------------------------------------------- wallboard


def _require_supervisor(user) -> None:
    if not user.can(Perm.QUEUE_SUPERVISE):
        raise PermissionDenied


@login_required
@require_GET
def wallboard_page(request):
    return _render_wallboard(request)


def _render_wallboard(request, *, error: str = "", status: int = 200):
    user = request.user
    _require_supervisor(user)
    boards = wallboard(user)
    centres = [b.centre.code for b in boards]
    conversations = list(Conversation.objects.visible_to(user)
                         .filter(centre_id__in=centres)
                         .exclude(status=ConversationStatus.CLOSED)
                         .select_related("assigned_to").order_by("started_at")[:200])
    return render(request, "workspace/wallboard.html", {
        "nav": "wallboard", "boards": boards, "error": error, "labels": _labels(),
        "conversations": conversations, "transfer_users": _transfer_users(user),
        "centres_all": list(Centre.objects.order_by("code")), "poll_ms": POLL_MS,
        "now": timezone.now(),
    }, status=status)


@login_required
@require_GET
def wallboard_data(request):
    _require_supervisor(request.user)
    return JsonResponse(wallboard_json(wallboard(request.user)))
