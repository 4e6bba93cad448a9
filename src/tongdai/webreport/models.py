"""Receipts of reports made without an account (public web form, 111 mobile app), and the
database counters that rate-limit guessing them.

A report is a ``channels.Conversation`` (channel ``web`` or ``app``) with its first
``Message``; the ``Receipt`` is the reporter's only key to it: a short ``code`` (shown to
the reporter and typed back) and a passphrase of which only a password hash is stored
(Django's hashers: Argon2 in production). Nothing here identifies the reporter.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Affected(models.TextChoices):
    CHILD = "child", _("A child or young person")
    SELF = "self", _("Me")
    OTHER = "other", _("Someone else (an adult)")


class ContactPreference(models.TextChoices):
    RETURN = "return", _("No contact: I will come back here with my code")
    PHONE = "phone", _("Call me")
    SMS = "sms", _("Send me a text message")


class Receipt(models.Model):
    """The reporter's key to one report. ``code``: 10 characters of ``CODE_ALPHABET``
    stored without the display hyphen; ``passphrase_hash``: ``make_password`` output.
    ``submission_id``: the form's one-time token (or the app's), so a re-sent form
    (refresh, back button, flaky network) never makes a second report."""

    conversation = models.OneToOneField("channels.Conversation", on_delete=models.CASCADE,
                                        related_name="receipt")
    code = models.CharField(max_length=10, unique=True)
    passphrase_hash = models.CharField(max_length=200)
    affected = models.CharField(max_length=10, choices=Affected.choices)
    urgent = models.BooleanField(default=False)
    contact_preference = models.CharField(max_length=10, choices=ContactPreference.choices,
                                          default=ContactPreference.RETURN)
    submission_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"receipt {self.pk}"


class Throttle(models.Model):
    """A counter per (scope, key) within a time window, shared by all web workers.

    ``key`` is an HMAC of the receipt code or client address with the secret key, never
    the value itself: an anonymous reporter's address is not stored. ``locked_until`` is
    set when ``count`` reaches the scope's limit. Expired rows are deleted by
    ``tasks.throttle_cleanup``.
    """

    scope = models.CharField(max_length=16)
    key = models.CharField(max_length=64)
    count = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"],
                                               name="webreport_throttle_once")]
        indexes = [models.Index(fields=["window_start"])]

    def __str__(self) -> str:
        return f"{self.scope} {self.count}"
