"""Messaging channels (Zalo Official Account, Facebook Messenger): a durable inbox of raw
provider events, and the conversations and messages made from them.

Flow: a webhook verifies the provider's signature, writes the raw event to
``InboundEvent`` and only then answers 200; a worker job (``tongdai.channels.tasks``)
turns the stored event into a ``Conversation`` and a ``Message``. Writes go through
``tongdai.channels.services``.

Access: these rows hold personal data (what a child wrote). No view or API reads them yet;
when one does (``/api/v1/conversations``, issue 4) it must filter by the user's centre
the way ``Contact.objects.visible_to`` does.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongdai.accounts.models import Centre
from tongdai.contacts.models import Channel


class Provider(models.TextChoices):
    ZALO = "zalo", _("Zalo Official Account")
    MESSENGER = "messenger", _("Facebook Messenger")
    EMAIL = "email", _("E-mail (IMAP mailbox)")
    WEB = "web", _("Web report form")
    APP = "app", _("111 mobile app")


#: The contact channel a provider's conversations belong to.
PROVIDER_CHANNEL = {Provider.ZALO: Channel.ZALO, Provider.MESSENGER: Channel.FACEBOOK,
                    Provider.EMAIL: Channel.EMAIL, Provider.WEB: Channel.WEB,
                    Provider.APP: Channel.APP}


class InboundEvent(models.Model):
    """One event received from a provider, stored before the provider is answered.

    ``(provider, provider_event_id)`` is the idempotency key: a provider that re-sends the
    same event (it does, on timeouts) finds the row already there and nothing new is made.
    Zalo: the message's ``msg_id``, or the SHA-256 of the raw body for events without a
    message (``follow``). Messenger: ``message.mid``, or the SHA-256 of the messaging item.
    ``raw`` is the payload as received (UTF-8 text), parsed again by the worker.
    """

    provider = models.CharField(max_length=16, choices=Provider.choices)
    provider_event_id = models.CharField(max_length=200)
    raw = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)  # class name only: no payload

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_event_id"],
                                    name="channels_inbound_event_once"),
        ]
        indexes = [models.Index(fields=["processed_at", "received_at"])]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_event_id}"


class ConversationStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class ConversationQuerySet(models.QuerySet):
    def visible_to(self, user) -> ConversationQuerySet:
        """Conversations ``user`` may read. Fails closed (any user not matched sees none).

        Centre roles that handle contacts (``Perm.CONTACT_VIEW``): their own centre's
        conversations — a counsellor must see the whole waiting queue to pick from it;
        national administrators: all; everyone else (analysts, partners): none.
        """
        from tongdai.accounts.roles import CENTRE_ROLES, Perm, Role

        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not user.can(Perm.CONTACT_VIEW):
            return self.none()
        if user.role == Role.NATIONAL_ADMIN:
            return self.all()
        if user.role in CENTRE_ROLES and user.centre_id:
            return self.filter(centre_id=user.centre_id)
        return self.none()


class Conversation(models.Model):
    """A chat with one person on one channel, from the first message until closed.

    ``provider_user_id`` is the sender id given by the provider (Zalo ``sender.id``,
    Messenger page-scoped ``sender.id``), stored as given: a pseudonymous id, not a phone
    number. ``centre``: until routing exists every conversation goes to the national centre
    (HN, ``Centre.is_national``); routing by province and overflow come with the queue.
    """

    channel = models.CharField(max_length=20, choices=Channel.choices)
    provider_user_id = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=ConversationStatus.choices,
                              default=ConversationStatus.WAITING)
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="conversations")
    # The caller's province when known (web/app form, e-mail signature…): drives routing.
    province = models.ForeignKey("geo.Province", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+")
    # True when routing sent it to another centre because its own had nobody available.
    overflowed = models.BooleanField(default=False)
    subject = models.CharField(max_length=300, blank=True)  # e-mail subject, report title
    assigned_to = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="conversations")
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The contact record the conversation became (set when the counsellor saves it).
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="conversations")
    started_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)  # optimistic lock for pick-up/transfer

    objects = ConversationQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["channel", "provider_user_id", "status"]),
                   models.Index(fields=["centre", "status", "started_at"])]

    def __str__(self) -> str:
        return f"{self.channel} conversation {self.pk}"


class Direction(models.TextChoices):
    IN = "in", _("Received")
    OUT = "out", _("Sent")


class MessageKind(models.TextChoices):
    TEXT = "text", _("Text")
    IMAGE = "image", _("Image")
    FILE = "file", _("File")
    LOCATION = "location", _("Location")
    OTHER = "other", _("Other")


class Message(models.Model):
    """One message in a conversation. ``(provider, provider_message_id)`` is unique: the
    same provider message is stored once, however often its event is processed.

    ``attachment_url``: the provider's URL for an image or file (not downloaded yet), or a
    ``geo:lat,long`` URI (RFC 5870) for a shared location.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE,
                                     related_name="messages")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    provider_message_id = models.CharField(max_length=200)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    kind = models.CharField(max_length=10, choices=MessageKind.choices, default=MessageKind.TEXT)
    text = models.TextField(blank=True)
    attachment_url = models.CharField(max_length=2000, blank=True)
    # Outbound messages: the counsellor who wrote it (None for inbound or system messages).
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    # Threading key for e-mail (the ``In-Reply-To`` of an inbound mail), empty otherwise.
    in_reply_to = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_message_id"],
                                    name="channels_message_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_message_id}"


class MessageAttachment(models.Model):
    """A file that came with (or was sent in) a message, stored through ``default_storage``
    after its type was sniffed and its size checked (e-mail, web and app reports).
    Provider-hosted media (Zalo, Messenger) stay as ``Message.attachment_url``."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="files")
    storage_name = models.CharField(max_length=300)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Outbox(models.Model):
    """Delivery of one outbound ``Message`` through its provider, retried with back-off.

    The message row exists (and is shown in the conversation) from the moment the
    counsellor sends it; this row tracks delivery: ``pending`` until the provider accepts
    it, ``sent`` with the provider's id, or ``failed`` after the last attempt (visible in the
    workspace, where it can be sent again). ``last_error`` holds an error class or the
    provider's error code, never message text.
    """

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="delivery")
    status = models.CharField(max_length=10, choices=OutboxStatus.choices,
                              default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=200, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"outbox {self.pk} {self.status}"


class ZaloToken(models.Model):
    """The Zalo OA access token and its refresh token, one row per Zalo app.

    Zalo's refresh token is single use: each refresh returns a new pair and the old
    refresh token stops working. The pair is therefore kept here (not in the environment)
    and replaced in the same transaction that locked the row for the refresh, so two
    workers never spend the same refresh token (``tongdai.channels.providers.zalo``).
    ``seed_sha256`` is the hash of the ``TONGDAI_ZALO_REFRESH_TOKEN`` the row was seeded
    from: the database copy wins until an operator sets a different value there.
    Tokens are credentials: never shown, never logged.
    """

    app_id = models.CharField(max_length=64, unique=True)
    access_token = models.TextField(blank=True)
    refresh_token = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    seed_sha256 = models.CharField(max_length=64, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    refresh_count = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)  # Zalo error code only

    def __str__(self) -> str:
        return f"zalo token for app {self.app_id}"
