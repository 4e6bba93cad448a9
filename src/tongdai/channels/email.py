"""The e-mail channel: the hotline mailbox in the queue, and replies by e-mail.

In: ``email_imap.mailbox_poll`` (periodic job and ``tongdai mailbox poll``) copies each new
mail from the IMAP folder into the durable inbox (``services.inbox_accept``), then flags it
on the server; the worker's ``inbound_process`` calls ``email_process`` here, which makes
the conversation message.

- ``InboundEvent.raw`` holds the mail exactly as the server gave it, **base64-encoded**
  (lossless: a mail may carry 8-bit bytes in any charset and binary files, which a text
  column cannot hold as is); the event id is ``sha256:<hex of those bytes>``.
- ``Message.provider_message_id`` is the mail's ``Message-ID`` (``<…@…>``), so the same
  mail delivered twice is stored once.
- Threads: a mail whose ``In-Reply-To``/``References`` names a message of an open e-mail
  conversation **from the same sender address** joins it; the id may be an inbound
  Message-ID or one of ours (``Outbox.provider_message_id``). Anything else opens a new
  conversation routed like every channel (``workspace.routing.route``). The sender check
  keeps a stranger who learnt a Message-ID (anyone in Cc) out of a child's conversation.
- Files: every attachment (and inline image) is sniffed by its bytes with the case
  documents' allow-list (``tongdai.documents.sniff``: PDF, PNG, JPEG, DOCX, XLSX) and
  checked against ``TONGDAI_MAX_UPLOAD_MB``; accepted ones are stored through
  ``default_storage`` as ``MessageAttachment``; refused ones are not stored and a line
  (name and reason) is added to the message text for the counsellor.

Out: ``email_send`` (registered outbox sender) mails the counsellor's reply through
Django's SMTP backend (``TONGDAI_SMTP_*``) from ``TONGDAI_MAILBOX_FROM`` to the address that
opened the conversation, ``Subject: Re: …``, with ``In-Reply-To``/``References`` of the
thread and a ``Message-ID`` made from the outbox message (the same on every retry), which
it returns so the person's answer threads back.

Nothing here logs mail content, addresses or names.
"""

from __future__ import annotations

import base64
import binascii
import smtplib
import uuid
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tongdai.channels.email_parse import MailFile, ParsedMail, parse_mail
from tongdai.channels.models import (
    PROVIDER_CHANNEL,
    Conversation,
    ConversationStatus,
    Direction,
    InboundEvent,
    Message,
    MessageAttachment,
    MessageKind,
    Provider,
)
from tongdai.channels.outbox import DeliveryError
from tongdai.core.inbox import sha256_hex
from tongdai.workspace.routing import route

#: Files kept from one mail at most; more are refused (listed in the note).
MAX_FILES_PER_MAIL = 20
#: Message-ids of the thread repeated in ``References`` of a reply.
MAX_REFERENCES = 20


# --- inbound -------------------------------------------------------------------------


def raw_for_inbox(raw: bytes) -> tuple[str, str]:
    """``(event_id, text)`` for ``inbox_accept``: see the module docstring."""
    return "sha256:" + sha256_hex(raw), base64.b64encode(raw).decode("ascii")


def raw_of(event: InboundEvent) -> bytes:
    try:
        return base64.b64decode(event.raw, validate=True)
    except binascii.Error as exc:  # a ValueError: marked on the event, not retried
        raise ValueError("e-mail event is not base64") from exc


def email_process(event: InboundEvent) -> Message | None:
    """The processor of e-mail events (``services.PROCESSORS``): one mail → one message."""
    mail = parse_mail(raw_of(event))
    if Message.objects.filter(provider=Provider.EMAIL,
                              provider_message_id=mail.message_id).exists():
        return None
    if Message.objects.filter(provider=Provider.EMAIL, direction=Direction.OUT,
                              delivery__provider_message_id=mail.message_id).exists():
        return None  # our own reply coming back (a Bcc or a list copy to the mailbox)
    now = timezone.now()
    sent_at = min(mail.sent_at or now, now)  # a Date in the future would jump the queue
    conversation = _conversation_for(mail, sent_at)
    stored: list[str] = []
    try:
        kept, refused = _keep_files(conversation, mail.files, stored)
        text = mail.text
        if refused:
            text = (text + "\n\n" if text else "") + "\n".join(refused)
        message = Message.objects.create(
            conversation=conversation, provider=Provider.EMAIL,
            provider_message_id=mail.message_id, direction=Direction.IN,
            kind=MessageKind.FILE if kept and not mail.text else MessageKind.TEXT,
            text=text, in_reply_to=mail.in_reply_to[:500], sent_at=sent_at)
        MessageAttachment.objects.bulk_create(
            MessageAttachment(message=message, **fields) for fields in kept)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    if sent_at > conversation.last_message_at:
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=sent_at)
    return message


def _conversation_for(mail: ParsedMail, at) -> Conversation:
    """The open conversation this mail answers (same sender), else a new waiting one."""
    if mail.answers and mail.sender:
        threaded = (Conversation.objects
                    .filter(channel=PROVIDER_CHANNEL[Provider.EMAIL],
                            provider_user_id=mail.sender)
                    .exclude(status=ConversationStatus.CLOSED)
                    .filter(Q(messages__provider_message_id__in=mail.answers)
                            | Q(messages__delivery__provider_message_id__in=mail.answers))
                    .order_by("-last_message_at").first())
        if threaded is not None:
            return threaded
    channel = PROVIDER_CHANNEL[Provider.EMAIL]
    target = route(channel, None)
    return Conversation.objects.create(
        channel=channel, provider_user_id=mail.sender, subject=mail.subject,
        centre=target.centre, overflowed=target.overflowed, started_at=at, last_message_at=at)


def _keep_files(conversation: Conversation, files: tuple[MailFile, ...],
                stored: list[str]) -> tuple[list[dict], list[str]]:
    """Store the allowed files; return their ``MessageAttachment`` fields and one note line
    per refused file. ``stored`` collects storage names (removed again on failure)."""
    from io import BytesIO

    from tongdai.documents.services import clean_name, max_upload_bytes
    from tongdai.documents.sniff import sniff

    kept, refused = [], []
    limit = max_upload_bytes()
    with translation.override(settings.LANGUAGE_CODE):  # the note is stored, not shown once
        for index, item in enumerate(files):
            name = clean_name(item.filename)[:200]
            reason = ""
            file_type = None
            if index >= MAX_FILES_PER_MAIL:
                reason = _("more than %(n)d files in one e-mail") % {"n": MAX_FILES_PER_MAIL}
            elif not item.data:
                reason = _("the file is empty")
            elif len(item.data) > limit:
                reason = _("larger than %(mb)d MB") % {"mb": settings.MAX_UPLOAD_MB}
            else:
                file_type = sniff(BytesIO(item.data))
                if file_type is None:
                    reason = _("this type of file is not accepted")
            if reason:
                refused.append(_("Attachment not kept: %(name)s (%(reason)s)")
                               % {"name": name, "reason": reason})
                continue
            storage_name = default_storage.save(
                f"channels/{conversation.pk}/{uuid.uuid4().hex}.{file_type.extension}",
                ContentFile(item.data))
            stored.append(storage_name)
            kept.append({"storage_name": storage_name, "filename": name,
                         "content_type": file_type.content_type, "size": len(item.data),
                         "sha256": sha256_hex(item.data)})
    return kept, refused


# --- outbound ------------------------------------------------------------------------


def _domain() -> str:
    address = parseaddr(settings.TONGDAI_MAILBOX_FROM)[1]
    return address.rpartition("@")[2] or "localhost"


def outbound_message_id(message: Message) -> str:
    """Our Message-ID for an outbound message: derived from its stored id, so a retry after
    a lost answer from the SMTP server sends the same id (mail readers show it once)."""
    local = message.provider_message_id.removeprefix("out:") or f"m{message.pk}"
    return f"<tongdai.{local}@{_domain()}>"


def _thread_ids(message: Message) -> tuple[str, list[str]]:
    """``(in_reply_to, references)`` for a reply: the thread's message-ids in the order
    they reached us (not by their ``Date``, which is the sender's clock); it answers the
    newest inbound mail."""
    earlier = (Message.objects.filter(conversation_id=message.conversation_id,
                                      provider=Provider.EMAIL, pk__lt=message.pk)
               .select_related("delivery").order_by("pk"))
    ids, in_reply_to = [], ""
    for item in earlier:
        if item.direction == Direction.IN:
            if item.provider_message_id.startswith("<"):
                ids.append(item.provider_message_id)
                in_reply_to = item.provider_message_id
        else:
            delivery = getattr(item, "delivery", None)
            if delivery is not None and delivery.provider_message_id.startswith("<"):
                ids.append(delivery.provider_message_id)
    return in_reply_to, list(dict.fromkeys(ids))[-MAX_REFERENCES:]


def _reply_subject(subject: str) -> str:
    if not subject:
        with translation.override(settings.LANGUAGE_CODE):
            return _("Reply from the 111 hotline")
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def email_send(message: Message) -> str:
    """Outbox sender for e-mail: returns the Message-ID or raises ``DeliveryError``."""
    conversation = message.conversation
    to = conversation.provider_user_id
    if not settings.EMAIL_HOST:
        raise DeliveryError("smtp_not_configured", retryable=False)
    if "@" not in to:
        raise DeliveryError("no_address", retryable=False)
    message_id = outbound_message_id(message)
    in_reply_to, references = _thread_ids(message)
    headers = {"Message-ID": message_id}
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    if references:
        headers["References"] = " ".join(references)
    mail = EmailMessage(subject=_reply_subject(conversation.subject), body=message.text,
                        from_email=settings.TONGDAI_MAILBOX_FROM, to=[to], headers=headers,
                        connection=get_connection(fail_silently=False))
    try:
        mail.send()
    except ValueError as exc:  # an address Django cannot write into a header
        raise DeliveryError("bad_address", retryable=False) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError("smtp_recipient_refused", retryable=False) from exc
    except smtplib.SMTPResponseException as exc:
        # 5xx: the server will say the same next time; 4xx: try again later.
        raise DeliveryError(f"smtp_{exc.smtp_code}",
                            retryable=not 500 <= exc.smtp_code < 600) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(type(exc).__name__) from exc
    return message_id


def register() -> None:
    """Wire the channel in (``ChannelsConfig.ready``): processor and outbox sender."""
    from tongdai.channels import email_tasks  # noqa: F401 — registers the periodic poll
    from tongdai.channels.outbox import register_sender
    from tongdai.channels.services import register_processor

    register_processor(Provider.EMAIL, email_process)
    register_sender(Provider.EMAIL, email_send)
