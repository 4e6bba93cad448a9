"""Attachments on cases: photos, scans and documents, stored outside the database.

The bytes live in Django's default storage (``DATA_DIR/media`` by default, S3-compatible
object storage in production, see docs/operations.md) under a random name
``cases/<case_id>/<uuid>.<ext>``: nothing the uploader typed ever becomes part of a path.
The name the user gave is kept, cleaned, for display and for the download's filename only.

Writes go through ``tongdai.documents.services``; reads start from
``Attachment.objects.visible_to(user)``. Files are never served by a static route.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongdai.cases.models import Case


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    SCAN = "scan", _("Scanned paper")
    DOCUMENT = "document", _("Document")
    OTHER = "other", _("Other")


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> AttachmentQuerySet:
        """Attachments ``user`` may open, not deleted, and either
        - of a case within their reach (``Case.objects.visible_to``: restricted cases only
          for named people), or
        - uploaded or shared through a referral ``user`` can see
          (``Referral.objects.visible_to``: a partner sees their agency's referrals, not
          revoked ones).
        Partners (agency officers, commune workers) reach no case, so they get only the
        second branch; analysts get nothing. Object twin: ``Attachment.is_visible_to``.
        """
        from tongdai.referrals.models import Referral, ReferralAttachment

        referrals = Referral.objects.visible_to(user).values("pk")
        shared = ReferralAttachment.objects.filter(referral__in=referrals).values("attachment_id")
        return self.filter(Q(case__in=Case.objects.visible_to(user).values("pk"))
                           | Q(referral__in=referrals) | Q(pk__in=shared),
                           deleted_at__isnull=True)


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(max_length=10, choices=AttachmentKind.choices,
                            default=AttachmentKind.DOCUMENT)
    original_name = models.CharField(max_length=160)  # cleaned, display only
    stored_name = models.CharField(max_length=200, unique=True)  # storage path, random
    content_type = models.CharField(max_length=100)  # from the file's bytes, not the browser
    extension = models.CharField(max_length=5)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Set when a partner uploaded the file through this referral (the hotline sees it on
    # the case; the partner sees it on the referral). Null for hotline uploads.
    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="uploads")
    # Soft delete: hidden from everyone, file kept for the retention period (operations.md).
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["case", "-uploaded_at"], name="attachment_case")]

    def __str__(self) -> str:
        return f"attachment #{self.pk} ({self.case_id})"

    def is_visible_to(self, user) -> bool:
        """Object twin of ``AttachmentQuerySet.visible_to``; keep the two rules identical."""
        if self.deleted_at is not None:
            return False
        return (self.case.is_visible_to(user)
                or type(self).objects.visible_to(user).filter(pk=self.pk).exists())

    @property
    def previewable(self) -> bool:
        """Types a browser shows inline without running anything (served sandboxed)."""
        return self.extension in {"pdf", "png", "jpg"}
