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


class ContactDayDelta(models.Model):
    """A change to a ``ContactDayCount`` row not yet folded into it: written by the
    transaction that saved the contact (an insert, so concurrent contacts never wait on one
    another's counter rows), folded into ``ContactDayCount`` by ``rollups.fold`` in one
    transaction that deletes it. A count is always the row's ``count`` plus its deltas."""

    id = models.BigAutoField(primary_key=True)
    day = models.DateField()
    # No constraint or index of its own: the value comes from a saved contact's centre, and
    # every read filters on (dimension, day) first; a lean row keeps the write cheap.
    centre = models.ForeignKey(Centre, on_delete=models.DO_NOTHING, related_name="+",
                               db_constraint=False, db_index=False)
    dimension = models.CharField(max_length=16)
    key = models.CharField(max_length=64, blank=True)
    delta = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["dimension", "day"], name="contactdaydelta_dim_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.centre_id} {self.dimension}:{self.key} {self.delta:+d}"
