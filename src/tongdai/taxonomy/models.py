"""Classification of contacts: what kind of contact, who called, what it is about.

Every term has a stable ``code`` (the API and reports speak codes), Vietnamese and English
labels, and an ``active`` flag: a retired code disappears from pickers but stays valid on
the records that used it, so history never breaks. Terms are loaded by ``tongdai refdata``
from ``taxonomy/data.py``; admins may add or retire terms, never delete used ones.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language


class TermQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Term(models.Model):
    code = models.CharField(max_length=40, primary_key=True)
    label_vi = models.CharField(max_length=150)
    label_en = models.CharField(max_length=150)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = TermQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "vi").startswith("en") else self.label_vi


class ContactKind(Term):
    """What kind of contact: information, counselling, report, referral, or non-substantive."""

    group = models.CharField(max_length=20)  # "substantive" / "non_substantive"

    @property
    def substantive(self) -> bool:
        return self.group == "substantive"


class CallerRelation(Term):
    """Who the caller is to the child or victim."""


class Topic(Term):
    """What a contact is about: Child Helpline International framework + trafficking + migration.

    Two levels: a category (``parent`` empty) and its subcategories. Contacts are tagged with
    subcategories or, when nothing finer fits, the category itself.
    """

    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="children")
    label_folded = models.CharField(max_length=300, default="")
