"""Daily rollups of the contact counts the reports and the dashboard show.

See ``tongdai.reports.rollups`` for what is counted and how the table is kept correct.
"""

from __future__ import annotations

from django.db import models

from tongdai.accounts.models import Centre


class ContactDayCount(models.Model):
    """Completed contacts received on ``day`` (Asia/Ho_Chi_Minh) at ``centre`` that count
    under ``key`` of ``dimension`` (``total``/``""``, ``kind``, ``topic``, ``channel``,
    ``region``, ``province``, ``relation``). Rows with a zero count are removed."""

    day = models.DateField()
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    dimension = models.CharField(max_length=16)
    key = models.CharField(max_length=64, blank=True)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "centre", "dimension", "key"],
                                    name="contactdaycount_unique"),
        ]
        indexes = [models.Index(fields=["dimension", "day"], name="contactdaycount_dim_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.centre_id} {self.dimension}:{self.key} = {self.count}"
