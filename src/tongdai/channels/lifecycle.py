"""What happens to a conversation after it arrives: picked up, transferred, closed, saved
as a contact; and the scoped reads the API and the workspace use.

Every function starts from ``Conversation.objects.visible_to(actor)`` (a conversation
outside the actor's reach does not exist for them), locks the row, checks the version the
caller loaded (a stale one is refused: someone else picked it up or moved it first), and
writes the audit trail. Message text is never logged or audited.

Who may do what (``tongdai.accounts.roles``):
- pick up: a ``QUEUE_ANSWER`` holder takes a waiting conversation of their centre; a
  ``QUEUE_SUPERVISE`` holder may pick it up *for* a named counsellor of its centre;
- transfer: supervisors (``QUEUE_SUPERVISE``) move any conversation in reach to another
  counsellor (it becomes theirs, in their centre) or another centre (it waits there); the
  counsellor holding a conversation may hand it back to the queue;
- close: the counsellor holding it, or a supervisor (a waiting conversation closed
  unanswered counts as abandoned on the wallboard);
- save as contact: anyone in reach who records contacts, once the conversation has been
  picked up; the draft is created once, later calls return it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongdai.accounts.models import Centre, User
from tongdai.accounts.roles import Perm
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.channels.models import Conversation, ConversationStatus, Message
from tongdai.contacts.models import Channel, Contact
from tongdai.contacts.services import ContactForbidden, ContactInvalid, contact_create
from tongdai.core.ids import safe_id

VIA = "ui"


class ConversationRefused(Exception):
    """The operation cannot be done; ``str(exc)`` is a translated sentence for a person."""


class ConversationNotFound(ConversationRefused):
    """No conversation with that id within the actor's reach."""


class ConversationStale(ConversationRefused):
    """The conversation changed since the caller loaded it (version mismatch)."""


class ConversationForbidden(ConversationRefused):
    """The actor may see the conversation but not do this to it."""


class ConversationInvalid(Exception):
    """Bad input to a read (unknown channel or status); ``errors`` maps field → message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# --------------------------------------------------------------------------- helpers


def _locked(actor, conversation_id) -> Conversation:
    pk = safe_id(conversation_id)
    conversation = (Conversation.objects.visible_to(actor).select_for_update()
                    .filter(pk=pk).first()) if pk is not None else None
    if conversation is None:
        raise ConversationNotFound(_("Conversation not found."))
    return conversation


def _check_version(conversation: Conversation, version) -> None:
    if version is None or safe_id(version) != conversation.version:
        raise ConversationStale(_(
            "This conversation changed since you loaded it (someone else may have picked "
            "it up or moved it). Reload the queue and try again."))


def _save(conversation: Conversation, fields: list[str]) -> None:
    conversation.version += 1
    conversation.save(update_fields=[*fields, "version"])


def _audit(actor, conversation: Conversation, op: str, fields, *, request, via: str,
           **detail) -> None:
    audit_record(actor, Action.UPDATE, obj=conversation, request=request, via=via,
                 fields=fields, detail={"op": op, **detail})


def _denied(actor, conversation_id, attempt: str, *, request, via: str) -> None:
    """Recorded outside the rolled-back transaction so the refusal stays in the trail."""
    audit_record(actor, Action.DENIED, object_type="conversation",
                 object_id=safe_id(conversation_id), request=request, via=via,
                 detail={"attempt": attempt})


def _answerer(user) -> bool:
    return bool(user and user.is_active and user.can(Perm.QUEUE_ANSWER) and user.centre_id)


def _operation(attempt: str):
    """Run the decorated body in a transaction; audit a not-found refusal after it."""
    def wrap(fn):
        @functools.wraps(fn)
        def run(actor, conversation_id, *args, request=None, via: str = VIA, **kwargs):
            try:
                with transaction.atomic():
                    return fn(actor, conversation_id, *args, request=request, via=via,
                              **kwargs)
            except ConversationNotFound:
                _denied(actor, conversation_id, attempt, request=request, via=via)
                raise
        return run
    return wrap


# --------------------------------------------------------------------------- operations


@_operation("pick_up")
def conversation_pick_up(actor, conversation_id, version, *, for_user=None, request=None,
                         via: str = VIA) -> Conversation:
    """Take a waiting conversation (``for_user``: a supervisor gives it to that counsellor).

    It becomes ``active``, assigned to the counsellor, ``answered_at`` set on first answer.
    """
    conversation = _locked(actor, conversation_id)
    target = for_user or actor
    if for_user is not None and for_user != actor:
        if not actor.can(Perm.QUEUE_SUPERVISE):
            raise ConversationForbidden(_("Only a supervisor can pick up for someone else."))
        if not _answerer(for_user) or for_user.centre_id != conversation.centre_id:
            raise ConversationForbidden(_(
                "That person cannot answer this conversation (not an active counsellor of "
                "its centre)."))
    elif not _answerer(actor):
        raise ConversationForbidden(_("Your role cannot answer conversations."))
    _check_version(conversation, version)
    if conversation.status != ConversationStatus.WAITING:
        raise ConversationStale(_("This conversation is no longer waiting."))
    now = timezone.now()
    conversation.status, conversation.assigned_to = ConversationStatus.ACTIVE, target
    conversation.answered_at = conversation.answered_at or now
    fields = ["status", "assigned_to", "answered_at"]
    _save(conversation, fields)
    _audit(actor, conversation, "pick_up", fields, request=request, via=via,
           assigned_to=target.username)
    return conversation


@_operation("transfer")
def conversation_transfer(actor, conversation_id, version, *, to_user=None, to_centre=None,
                          request=None, via: str = VIA) -> Conversation:
    """Move a conversation: to a counsellor (assigned, active, in their centre), to a
    centre (waiting there), or, with neither, back to its centre's queue."""
    conversation = _locked(actor, conversation_id)
    supervisor = actor.can(Perm.QUEUE_SUPERVISE)
    if to_user is not None and to_centre is not None:
        raise ConversationRefused(_("Choose either a counsellor or a centre, not both."))
    if not supervisor and (to_user is not None or to_centre is not None
                           or conversation.assigned_to_id != actor.pk):
        raise ConversationForbidden(_(
            "Only a supervisor can transfer a conversation; you can hand back your own to "
            "the queue."))
    _check_version(conversation, version)
    if conversation.status == ConversationStatus.CLOSED:
        raise ConversationRefused(_("This conversation is closed."))
    if to_user is not None:
        if not _answerer(to_user):
            raise ConversationRefused(_("That person cannot answer conversations."))
        conversation.assigned_to, conversation.centre_id = to_user, to_user.centre_id
        conversation.status = ConversationStatus.ACTIVE
        conversation.answered_at = conversation.answered_at or timezone.now()
        detail = {"to_user": to_user.username, "to_centre": to_user.centre_id}
    elif to_centre is not None:
        conversation.centre, conversation.assigned_to = to_centre, None
        conversation.status, conversation.overflowed = ConversationStatus.WAITING, False
        detail = {"to_centre": to_centre.code}
    else:
        if conversation.status == ConversationStatus.WAITING:
            raise ConversationRefused(_("This conversation is already waiting in the queue."))
        conversation.assigned_to, conversation.status = None, ConversationStatus.WAITING
        detail = {"to_queue": True}
    fields = ["assigned_to", "centre", "status", "answered_at", "overflowed"]
    _save(conversation, fields)
    _audit(actor, conversation, "transfer", fields, request=request, via=via, **detail)
    return conversation


@_operation("close")
def conversation_close(actor, conversation_id, version, *, request=None,
                       via: str = VIA) -> Conversation:
    """Close the conversation; a later message from the same person opens a new one."""
    conversation = _locked(actor, conversation_id)
    if (conversation.assigned_to_id != actor.pk or not actor.can(Perm.QUEUE_ANSWER)) \
            and not actor.can(Perm.QUEUE_SUPERVISE):
        raise ConversationForbidden(_("Only the counsellor answering it or a supervisor can "
                                      "close this conversation."))
    _check_version(conversation, version)
    if conversation.status == ConversationStatus.CLOSED:
        raise ConversationStale(_("This conversation is closed."))
    conversation.status, conversation.closed_at = ConversationStatus.CLOSED, timezone.now()
    fields = ["status", "closed_at"]
    _save(conversation, fields)
    _audit(actor, conversation, "close", fields, request=request, via=via,
           answered=conversation.answered_at is not None)
    return conversation


@_operation("to_contact")
def conversation_to_contact(actor, conversation_id, *, request=None, via: str = VIA) -> Contact:
    """The draft contact this conversation became, created for ``actor`` the first time
    (channel from the conversation, received = conversation start, answered = pick-up)."""
    conversation = _locked(actor, conversation_id)
    if conversation.contact_id is not None:
        existing = Contact.objects.visible_to(actor).filter(pk=conversation.contact_id).first()
        if existing is None:
            raise ConversationForbidden(_("This conversation was saved as a contact you "
                                          "cannot see."))
        return existing
    if conversation.status == ConversationStatus.WAITING:
        raise ConversationRefused(_("Pick up the conversation before saving it as a contact."))
    now = timezone.now()
    received = min(conversation.started_at, now)
    answered = conversation.answered_at and max(min(conversation.answered_at, now), received)
    channel = conversation.channel if conversation.channel in Channel.values else Channel.WEB
    try:
        contact = contact_create(actor, {"channel": channel, "received_at": received,
                                         "answered_at": answered},
                                 request=request, via=via)
    except (ContactForbidden, ContactInvalid) as exc:
        raise ConversationForbidden(str(exc) or _("Your role cannot record contacts.")) from exc
    conversation.contact = contact
    _save(conversation, ["contact"])
    _audit(actor, conversation, "to_contact", ["contact"], request=request, via=via,
           contact=contact.pk)
    return conversation.contact


# --------------------------------------------------------------------------- reads


@dataclass
class ConversationFilter:
    channel: str = ""
    status: str = ""


def conversation_search(actor, flt: ConversationFilter):
    """Conversations within reach matching ``flt``, latest activity first. Raises
    ``ConversationInvalid`` for a filter value that cannot mean anything."""
    errors = {}
    if flt.channel and flt.channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if flt.status and flt.status not in ConversationStatus.values:
        errors["status"] = _("Unknown status.")
    if errors:
        raise ConversationInvalid(errors)
    qs = Conversation.objects.visible_to(actor)
    if flt.channel:
        qs = qs.filter(channel=flt.channel)
    if flt.status:
        qs = qs.filter(status=flt.status)
    return qs.order_by("-last_message_at", "-pk")


def conversation_page(qs, page: int, size: int) -> tuple[list[Conversation], bool]:
    """One page and whether another follows (no COUNT, like ``contact_page``)."""
    page = max(1, page)
    rows = list(qs.select_related("assigned_to")[(page - 1) * size: page * size + 1])
    return rows[:size], len(rows) > size


def conversation_audit_list(actor, rows: list[Conversation], flt: ConversationFilter, *,
                            request=None, via: str = VIA, page: int = 1) -> None:
    used = {k: v for k, v in (("channel", flt.channel), ("status", flt.status)) if v}
    audit_record(actor, Action.LIST, object_type="conversation",
                 object_ids=[c.pk for c in rows], request=request, via=via,
                 detail={"filters": used, "page": page, "shown": len(rows)})


def conversation_get_for(actor, conversation_id, *, request=None,
                         via: str = VIA) -> Conversation:
    """The conversation if ``actor`` may see it, audited either way."""
    pk = safe_id(conversation_id)
    conversation = (Conversation.objects.visible_to(actor)
                    .select_related("assigned_to", "centre").filter(pk=pk).first()
                    if pk is not None else None)
    if conversation is None:
        _denied(actor, conversation_id, "view", request=request, via=via)
        raise ConversationNotFound(_("Conversation not found."))
    audit_record(actor, Action.VIEW, obj=conversation, request=request, via=via)
    return conversation


def conversation_messages(conversation: Conversation) -> list[Message]:
    """Its messages in order (with delivery and author)."""
    return list(conversation.messages.select_related("author", "delivery")
                .prefetch_related("files").order_by("sent_at", "pk"))


def delivery_status(message: Message) -> str | None:
    """``pending``/``sent``/``failed`` for a reply, None for a received message."""
    delivery = getattr(message, "delivery", None) if message.direction == "out" else None
    return delivery.status if delivery else None


def centre_or_none(code) -> Centre | None:
    code = str(code or "")
    if not (code.isascii() and code.isalnum() and len(code) <= 2):  # never a NUL in a query
        return None
    return Centre.objects.filter(pk=code).first()


def answerer_or_none(pk) -> User | None:
    pk = safe_id(pk)
    user = User.objects.filter(pk=pk, is_active=True).first() if pk else None
    return user if _answerer(user) else None
