"""Telephony: calls reported by the hotline's PBX, the durable inbox of their raw events,
and the recordings the PBX made of them.

Flow (same as ``tongdai.channels``): a webhook (or the AMI listener) checks the sender,
writes the raw event to ``CallEvent`` and only then answers 200; a worker job
(``tongdai.telephony.tasks``) maps the stored event to a ``CallUpdate`` and applies it to
the ``Call`` (``tongdai.telephony.services``). The PBX stays in charge of the audio.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongdai.accounts.models import Centre
from tongdai.channels.models import ConversationQuerySet


class CallProvider(models.TextChoices):
    GENERIC = "generic", _("Generic PBX webhook")
    TWILIO = "twilio", _("Twilio")
    STRINGEE = "stringee", _("Stringee")
    AMI = "ami", _("Asterisk (AMI)")


class CallState(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    QUEUED = "queued", _("Waiting in the queue")
    ANSWERED = "answered", _("Answered")
    ENDED = "ended", _("Ended")
    ABANDONED = "abandoned", _("Abandoned")


class CallEvent(models.Model):
    """One event received from a PBX, stored before the PBX is answered.

    ``(provider, event_id)`` is the idempotency key: the generic webhook's ``event_id`` (or
    the SHA-256 of the raw body), the SHA-256 of Twilio's sorted form parameters or of the
    Stringee body, the SHA-256 of an AMI event's fields. ``raw`` is the payload as received
    (JSON text; Twilio's form parameters as a JSON object), parsed again by the worker.
    """

    provider = models.CharField(max_length=10, choices=CallProvider.choices)
    event_id = models.CharField(max_length=200)
    raw = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)  # class name only: no payload

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"],
                                    name="telephony_call_event_once"),
        ]
        indexes = [models.Index(fields=["processed_at", "received_at"])]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class CallQuerySet(models.QuerySet):
    # The same reach as conversations: a centre's contact-handling staff see their centre's
    # calls (the whole waiting queue), national administrators all, everyone else none.
    visible_to = ConversationQuerySet.visible_to


class Call(models.Model):
    """One call to the hotline, from the first event the PBX reported until it ended.

    ``provider_call_id`` joins every leg and event of the call: Asterisk's ``Linkedid``,
    Twilio's parent ``CallSid``, Stringee's ``call_id``, the generic webhook's ``call_id``.
    """

    provider = models.CharField(max_length=10, choices=CallProvider.choices)
    provider_call_id = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=CallState.choices,
                             default=CallState.RINGING)
    caller_number = models.CharField(max_length=40, blank=True)  # E.164 when it parses
    dialled = models.CharField(max_length=40, blank=True)  # "111" or "18001567"
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="calls")
    overflowed = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # How the PBX said it ended (completed, abandoned, busy, failed, no_answer), if it did.
    end_reason = models.CharField(max_length=20, blank=True)
    answered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="calls_answered")
    agent_extension = models.CharField(max_length=40, blank=True)
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="calls")
    popped_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = CallQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_call_id"],
                                    name="telephony_call_once"),
        ]
        indexes = [models.Index(fields=["centre", "state", "started_at"]),
                   models.Index(fields=["answered_by", "popped_at"])]

    def __str__(self) -> str:
        return f"{self.provider} call {self.pk}"


class Recording(models.Model):
    """A recording the PBX made of a call. tongdai stores the PBX's reference (an http(s)
    URL under ``TONGDAI_RECORDINGS_BASE_URL`` or a path under ``TONGDAI_RECORDINGS_DIR``),
    never the audio, and streams it to permitted users (``GET /calls/<id>/recording``).

    ``delete_after``: end of the retention period (``TONGDAI_RECORDING_RETENTION_DAYS``);
    the daily job then sets ``deleted_at`` and removes a local file.
    """

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="recordings")
    reference = models.CharField(max_length=2000)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delete_after = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["call", "reference"], name="telephony_recording_once"),
        ]
        indexes = [models.Index(fields=["deleted_at", "delete_after"])]

    def __str__(self) -> str:
        return f"recording {self.pk} of call {self.call_id}"
