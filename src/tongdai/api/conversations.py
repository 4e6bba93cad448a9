"""Conversations endpoints (Zalo, Messenger, e-mail, web and app reports), read-only.

Reach is ``Conversation.objects.visible_to``: a centre's staff who handle contacts see
their centre's conversations, national administrators all, everyone else none (an empty
list; 404 for one). Every list and every read is audited, like contacts. Reads go through
``tongdai.channels.lifecycle``.
"""

from __future__ import annotations

import datetime

from ninja import Field, Query, Router, Schema

from tongdai.api.schemas import ErrorOut, SafeStr, utc
from tongdai.channels.lifecycle import (
    ConversationFilter,
    conversation_audit_list,
    conversation_get_for,
    conversation_messages,
    conversation_page,
    conversation_search,
    delivery_status,
)
from tongdai.channels.models import Conversation, Message

router = Router(tags=["conversations"])

VIA = "api"
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ConversationListQuery(Schema):
    channel: SafeStr = Field("", max_length=20, description="zalo, facebook, email, web, app.")
    status: SafeStr = Field("", max_length=10, description='"waiting", "active" or "closed".')
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(25, ge=1, le=100)


class ConversationOut(Schema):
    id: int
    channel: str
    status: str = Field(description='"waiting", "active" or "closed".')
    centre: str | None
    overflowed: bool = Field(description="Routed away from its home centre (nobody there).")
    province: str | None
    subject: str
    assigned_to: str | None = Field(description="Username of the counsellor answering it.")
    contact: int | None = Field(description="Id of the contact it was saved as.")
    started_at: datetime.datetime
    answered_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    last_message_at: datetime.datetime
    version: int


class AttachmentOut(Schema):
    filename: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: int
    direction: str = Field(description='"in" (received) or "out" (a reply).')
    kind: str = Field(description="text, image, file, location, other.")
    text: str
    attachment_url: str = Field(description="Provider URL of an image or file, or geo:lat,long.")
    files: list[AttachmentOut]
    author: str | None = Field(description="Username of the counsellor who wrote a reply.")
    sent_at: datetime.datetime
    delivery: str | None = Field(
        description='Replies: "pending", "sent" or "failed"; null for received messages.')


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut]


class ConversationPageOut(Schema):
    items: list[ConversationOut]
    page: int
    page_size: int
    has_next: bool


@router.get("/conversations", response={200: ConversationPageOut, **ERRORS},
            url_name="conversation_list", operation_id="conversation_list",
            summary="List conversations")
def conversation_list_view(request, filters: Query[ConversationListQuery]):
    """Conversations within your reach, latest activity first, one page at a time."""
    flt = ConversationFilter(channel=filters.channel, status=filters.status)
    rows, has_next = conversation_page(conversation_search(request.auth, flt),
                                       filters.page, filters.page_size)
    conversation_audit_list(request.auth, rows, flt, request=request, via=VIA,
                            page=filters.page)
    return {"items": [conversation_out(c) for c in rows], "page": filters.page,
            "page_size": filters.page_size, "has_next": has_next}


@router.get("/conversations/{int:conversation_id}",
            response={200: ConversationDetailOut, **ERRORS}, url_name="conversation_detail",
            operation_id="conversation_get", summary="Get one conversation with its messages")
def conversation_detail_view(request, conversation_id: int):
    """One conversation within your reach with all its messages; 404 otherwise."""
    conversation = conversation_get_for(request.auth, conversation_id, request=request, via=VIA)
    return {**conversation_out(conversation),
            "messages": [message_out(m) for m in conversation_messages(conversation)]}


def conversation_out(c: Conversation) -> dict:
    return {
        "id": c.pk, "channel": c.channel, "status": c.status, "centre": c.centre_id,
        "overflowed": c.overflowed, "province": c.province_id, "subject": c.subject,
        "assigned_to": c.assigned_to.username if c.assigned_to_id else None,
        "contact": c.contact_id, "started_at": utc(c.started_at),
        "answered_at": utc(c.answered_at), "closed_at": utc(c.closed_at),
        "last_message_at": utc(c.last_message_at), "version": c.version,
    }


def message_out(m: Message) -> dict:
    return {
        "id": m.pk, "direction": m.direction, "kind": m.kind, "text": m.text,
        "attachment_url": m.attachment_url,
        "files": [{"filename": f.filename, "content_type": f.content_type, "size": f.size}
                  for f in m.files.all()],
        "author": m.author.username if m.author_id else None, "sent_at": utc(m.sent_at),
        "delivery": delivery_status(m),
    }
