"""The audit trail: who created, changed, viewed, listed or was refused which record.

Append-only: rows are only ever inserted (database triggers refuse UPDATE and DELETE, see
migration 0002). Events name fields, never their values, so the trail itself holds no
personal data beyond who did what; search text is never stored, only that a search ran.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Action(models.TextChoices):
    CREATE = "create"
    UPDATE = "update"
    COMPLETE = "complete"
    VIEW = "view"
    LIST = "list"
    SEARCH = "search"
    EXPORT = "export"
    DENIED = "denied"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    TOKEN_CREATE = "token_create"
    USER_CREATE = "user_create"


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              related_name="+")
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.BigIntegerField(null=True)
    # For list and search events: the ids that were shown (at most one page).
    object_ids = models.JSONField(default=list, blank=True)
    # Field names changed; never the values.
    fields = models.JSONField(default=list, blank=True)
    # Non-personal context: interface (ui/api/cli), filters used, result count.
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True)
    via = models.CharField(max_length=10, blank=True)  # ui / api / cli / job

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.object_type}:{self.object_id}"
