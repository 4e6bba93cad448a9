"""Contacts: one call, chat, e-mail or report received by the hotline.

A contact records who got in touch (the caller, possibly anonymous), the people it is
about (children or victims: ``Subject``), what kind of contact it was, what it is about
(topics), and what the counsellor did. It is saved as a **draft** while the counsellor
types and becomes **completed** when they finish. Writes go through
``tongdai.contacts.services``; reads of personal data start from
``Contact.objects.visible_to(user)``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongdai.accounts.models import Centre
from tongdai.accounts.roles import ALL, CENTRE_ROLES, NO_REACH, OVERSIGHT_ROLES, Perm, Reach, Role
from tongdai.geo.models import Commune, Country, LegacyProvince, Province
from tongdai.taxonomy.models import CallerRelation, ContactKind, Topic


class Channel(models.TextChoices):
    PHONE_111 = "phone_111", _("Phone 111")
    PHONE_18001567 = "phone_18001567", _("Phone 18001567")
    ZALO = "zalo", _("Zalo")
    FACEBOOK = "facebook", _("Facebook Messenger")
    APP = "app", _("111 mobile app")
    WEB = "web", _("Web form")
    EMAIL = "email", _("E-mail")
    MEDIA = "media", _("Press / social media")
    WALK_IN = "walk_in", _("Walk-in")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPLETED = "completed", _("Completed")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class AgeGroup(models.TextChoices):
    """Age bands for when the exact age is not known (CHI data framework bands)."""

    AGE_0_6 = "0_6", _("0–6")
    AGE_7_12 = "7_12", _("7–12")
    AGE_13_15 = "13_15", _("13–15")
    AGE_16_17 = "16_17", _("16–17")
    AGE_18_24 = "18_24", _("18–24")
    AGE_25_59 = "25_59", _("25–59")
    AGE_60 = "60_plus", _("60+")
    UNKNOWN = "unknown", _("Unknown")

    @classmethod
    def for_age(cls, age: int | None) -> str:
        if age is None:
            return cls.UNKNOWN
        for upper, band in ((6, cls.AGE_0_6), (12, cls.AGE_7_12), (15, cls.AGE_13_15),
                            (17, cls.AGE_16_17), (24, cls.AGE_18_24), (59, cls.AGE_25_59)):
            if age <= upper:
                return band
        return cls.AGE_60


#: Contact reach scopes besides NONE and ALL: a centre's contacts, for oversight roles;
#: a centre's completed contacts and the user's own drafts, for the others.
CENTRE = "centre"
CENTRE_COMPLETED_OR_OWN = "centre_completed_or_own"


def contact_reach(user) -> Reach:
    """The contacts ``user`` may see. Fails closed: any user not matched here sees none.

    - centre roles (counsellor, supervisor, case manager, centre manager): contacts of
      their own centre; a counsellor or case manager sees other people's drafts only
      once completed (a draft is still being typed by its owner);
    - national administrators: every contact;
    - analysts, partner-agency officers, commune workers, unknown roles, inactive or
      anonymous users: none (analysts get aggregates; partners get referrals).
    Applied by ``ContactQuerySet.within`` (queries) and ``Contact.is_visible_to`` (one
    record); tests check both.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_REACH
    if not user.can(Perm.CONTACT_VIEW):
        return NO_REACH
    role = user.role
    if role == Role.NATIONAL_ADMIN:
        return Reach(ALL, None, user.pk)
    if role in CENTRE_ROLES and user.centre_id:
        scope = CENTRE if role in OVERSIGHT_ROLES else CENTRE_COMPLETED_OR_OWN
        return Reach(scope, user.centre_id, user.pk)
    return NO_REACH


def contact_reference(centre_id: str, pk: int | None) -> str:
    """The reference of a contact: centre and number, short enough to read out on the
    phone ("HN-0001234"); empty before it is saved."""
    return f"{centre_id}-{pk:07d}" if pk else ""


class ContactQuerySet(models.QuerySet):
    def visible_to(self, user) -> ContactQuerySet:
        """The contacts ``user`` may see (``contact_reach``)."""
        return self.within(contact_reach(user))

    def within(self, reach: Reach) -> ContactQuerySet:
        """The contacts of ``reach``; none for a scope not named here."""
        if reach.scope == ALL:
            return self.all()
        if reach.scope == CENTRE:
            return self.filter(centre_id=reach.centre_id)
        if reach.scope == CENTRE_COMPLETED_OR_OWN:
            return self.filter(Q(centre_id=reach.centre_id)
                               & (Q(status=Status.COMPLETED) | Q(counsellor_id=reach.user_id)))
        return self.none()

    def drafts_of(self, user) -> ContactQuerySet:
        return self.visible_to(user).filter(status=Status.DRAFT, counsellor_id=user.pk)


class Contact(models.Model):
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.PHONE_111)
    received_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="contacts",
                               db_index=False)
    counsellor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="contacts", db_index=False)

    # The caller: what they chose to tell us. Anonymous callers give no name; the number a
    # channel shows is still kept so a repeat or emergency caller can be recognised.
    caller_anonymous = models.BooleanField(default=False)
    caller_phone = models.CharField(max_length=20, blank=True)  # E.164
    caller_name = models.CharField(max_length=150, blank=True)
    caller_relation = models.ForeignKey(CallerRelation, on_delete=models.PROTECT, null=True,
                                        blank=True, related_name="+", db_index=False)
    caller_sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    caller_age = models.PositiveSmallIntegerField(null=True, blank=True)
    caller_age_group = models.CharField(max_length=10, choices=AgeGroup.choices,
                                        default=AgeGroup.UNKNOWN)
    caller_province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True,
                                        blank=True, related_name="+", db_index=False)
    caller_commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", db_index=False)
    caller_country = models.ForeignKey(Country, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", db_index=False)
    # Consent (Law 91/2025): to keep the caller's details, and to share them with agencies.
    caller_consent_keep = models.BooleanField(default=False)
    caller_consent_share = models.BooleanField(default=False)

    kind = models.ForeignKey(ContactKind, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="contacts", db_index=False)
    topics = models.ManyToManyField(Topic, through="ContactTopic", related_name="contacts")
    summary = models.TextField(blank=True)
    notes = models.TextField(blank=True)  # counsellor's internal notes, never shared
    actions_taken = models.TextField(blank=True)
    # Decree 56/2017 Art. 26.3: life, health or dignity at serious risk -> 12-hour clock.
    urgent = models.BooleanField(default=False)

    # Where the contact is about, for statistics: the first subject's place, else the
    # caller's (set by services). Imported older records keep the legacy province too.
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", db_index=False)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", db_index=False)
    legacy_province = models.ForeignKey(LegacyProvince, on_delete=models.PROTECT, null=True,
                                        blank=True, related_name="+", db_index=False)

    # Folded (accent-free, lower-case) names of caller and subjects, for search.
    search_text = models.TextField(blank=True, default="")
    # While a draft: the intake form exactly as typed, so reopening restores it.
    draft_form = models.JSONField(default=dict, blank=True)

    version = models.PositiveIntegerField(default=1)  # optimistic locking
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        # Each index is paid on every insert, so a contact keeps only those its reads use
        # (docs/architecture.md, "Indexes"): no single-column index on a reference column
        # (relation, caller's place, commune, legacy province) and none Django would add
        # for LIKE on a code column; centre and counsellor lead the composite ones below.
        indexes = [
            models.Index(fields=["kind"], name="contact_kind"),
            models.Index(fields=["province"], name="contact_province"),
            models.Index(fields=["centre", "-received_at"], name="contact_centre_recv"),
            models.Index(fields=["caller_phone", "-received_at"], name="contact_phone_recv"),
            models.Index(fields=["-received_at"], name="contact_recv"),
            models.Index(fields=["counsellor", "status"], name="contact_counsellor_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def reference(self) -> str:
        """A code short enough to read out on the phone."""
        return contact_reference(self.centre_id, self.pk)

    @property
    def duration_seconds(self) -> int | None:
        if self.answered_at and self.ended_at and self.ended_at >= self.answered_at:
            return int((self.ended_at - self.answered_at).total_seconds())
        return None

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    def is_visible_to(self, user) -> bool:
        """Object twin of ``ContactQuerySet.within``: the same ``contact_reach``, the same
        conditions."""
        reach = contact_reach(user)
        if reach.scope == ALL:
            return True
        if reach.scope == CENTRE:
            return self.centre_id == reach.centre_id
        if reach.scope == CENTRE_COMPLETED_OR_OWN:
            return self.centre_id == reach.centre_id and (
                self.status == Status.COMPLETED or self.counsellor_id == reach.user_id)
        return False

    def is_editable_by(self, user) -> bool:
        """Drafts are edited by their counsellor (or oversight); completed contacts can be
        corrected by the centre's staff who may edit, and every change is audited."""
        return self.is_visible_to(user) and user.can(Perm.CONTACT_EDIT)


class Subject(models.Model):
    """A child or victim a contact is about. A name may be an alias or left empty."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="subjects")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=150, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    age_estimated = models.BooleanField(default=False)
    age_group = models.CharField(max_length=10, choices=AgeGroup.choices, default=AgeGroup.UNKNOWN)
    # Not indexed: subjects are read through their contact (see Contact.Meta).
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", db_index=False)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", db_index=False)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", db_index=False)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name or f"subject {self.position + 1}"


class ContactTopic(models.Model):
    # Indexed by the unique (contact, topic) and by (topic, contact) below.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, db_index=False)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "topic"], name="contact_topic_unique")]
        indexes = [models.Index(fields=["topic", "contact"], name="contact_topic_by_topic")]

    def __str__(self) -> str:
        return f"{self.contact_id}:{self.topic_id}"
