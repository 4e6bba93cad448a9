"""Counsellor presence: what each counsellor is doing now, which routing and the wallboard
read. One row per user, created on first use; every change goes through
``tongdai.workspace.presence``.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PresenceStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    ON_CALL = "on_call", _("On a call")
    WRAP_UP = "wrap_up", _("Wrap-up")
    BREAK = "break", _("Break")
    OFFLINE = "offline", _("Offline")


class Presence(models.Model):
    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE,
                                related_name="presence")
    status = models.CharField(max_length=10, choices=PresenceStatus.choices,
                              default=PresenceStatus.OFFLINE)
    since = models.DateTimeField(default=timezone.now)
    # Last time the counsellor's workspace was open (its queue poll): a counsellor whose
    # browser has been gone for longer than ``presence.STALE_AFTER`` counts as offline.
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "seen_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.status}"
