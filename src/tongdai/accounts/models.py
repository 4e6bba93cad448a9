"""People who use tongdai, where they belong, and machine tokens.

Every user belongs to exactly one place that bounds their reach: a hotline centre
(counsellors, supervisors, case managers, centre managers), a partner agency (agency
officers), a commune (commune child-protection workers), or the whole country (national
administrators, analysts). ``User.clean`` enforces that pairing.
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongdai.accounts.roles import CENTRE_ROLES, Perm, Role, role_has
from tongdai.core.joinrow import JoinedRow
from tongdai.geo.models import Commune, Province


class Centre(models.Model):
    """A hotline centre: national (Hà Nội), Central (Đà Nẵng) or Southern (An Giang).

    ``provinces`` are those whose callers it serves by default (routing, issue 4);
    editable by administrators.
    """

    code = models.CharField(max_length=2, primary_key=True)  # HN / DN / AG
    name_vi = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")
    provinces = models.ManyToManyField(Province, related_name="served_by", blank=True)
    is_national = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_vi


class AgencyType(models.TextChoices):
    POLICE = "police", _("Police")
    BORDER_GUARD = "border_guard", _("Border guard")
    COAST_GUARD = "coast_guard", _("Coast guard")
    FOREIGN_AFFAIRS = "foreign_affairs", _("Foreign affairs / mission abroad")
    WOMENS_UNION = "womens_union", _("Women's Union")
    COMMUNE_COMMITTEE = "commune_committee", _("Commune People's Committee")
    SOCIAL_PROTECTION = "social_protection", _("Social protection facility")
    SHELTER = "shelter", _("Shelter")
    HOSPITAL = "hospital", _("Hospital")
    LEGAL_AID = "legal_aid", _("Legal aid")
    NGO = "ngo", _("NGO / international organisation")


class Agency(models.Model):
    """A partner agency that receives referrals. The full directory (jurisdiction, services,
    contact points) is built with the referral network; here it anchors agency users."""

    name = models.CharField(max_length=200)
    type = models.CharField(max_length=30, choices=AgencyType.choices)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="agencies")  # empty = national
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person with a role, bound to one centre, agency or commune (see module doc)."""

    role = models.CharField(max_length=20, choices=Role.choices)
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="users")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="users")
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="users")
    full_name = models.CharField(max_length=150, blank=True)
    extension = models.CharField(max_length=20, blank=True)  # PBX extension (issue 4)

    objects = UserManager()

    def clean(self) -> None:
        super().clean()
        role = Role(self.role) if self.role in Role.values else None
        if role is None:
            raise ValidationError({"role": _("Unknown role.")})
        wants = {
            "centre": role in CENTRE_ROLES,
            "agency": role == Role.AGENCY_OFFICER,
            "commune": role == Role.COMMUNE_WORKER,
        }
        for field, needed in wants.items():
            present = getattr(self, f"{field}_id") is not None
            if needed and not present:
                raise ValidationError({field: _("This role requires a %(field)s.") % {"field": field}})
            if present and not needed:
                raise ValidationError({field: _("This role cannot belong to a %(field)s.") % {"field": field}})

    def can(self, perm: Perm) -> bool:
        return bool(self.is_active) and role_has(self.role, perm)

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class ApiTokenQuerySet(models.QuerySet):
    def authenticate(self, raw: str) -> ApiToken | None:
        """The live token matching ``raw``, or None. Tokens are stored only as SHA-256."""
        if not raw or len(raw) > 200:
            return None
        digest = hashlib.sha256(raw.encode()).hexdigest()
        join, sql = _token_join(self.db)
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, [digest, True])
            row = cursor.fetchone()
        if row is None:
            return None
        token, user, centre = join.instances(row)
        if token.expires_at and token.expires_at <= timezone.now():
            return None
        user.centre = centre
        token.user = user
        return token


@functools.cache
def _token_join(alias: str) -> tuple[JoinedRow, str]:
    """The live-token lookup as one hand-written statement: every API request runs it, and
    the ORM's ``select_related`` version of it cost ten times the CPU (core/joinrow.py).
    Same result as ``select_related("user", "user__centre").filter(digest=…,
    revoked_at__isnull=True, user__is_active=True)``; tests/test_api_errors.py checks both agree."""
    join = JoinedRow(alias, (ApiToken, User, Centre))
    t, u, c, q = join.table(ApiToken), join.table(User), join.table(Centre), join.quote
    sql = (f"SELECT {join.columns} FROM {t} "
           f"INNER JOIN {u} ON {u}.{q('id')} = {t}.{q('user_id')} "
           f"LEFT OUTER JOIN {c} ON {c}.{q(Centre._meta.pk.column)} = {u}.{q('centre_id')} "
           f"WHERE {t}.{q('digest')} = %s AND {t}.{q('revoked_at')} IS NULL "
           f"AND {u}.{q('is_active')} = %s")
    return join, sql


class ApiToken(models.Model):
    """A bearer token for a machine client (mobile app backend, partner system, script)."""

    PREFIX = "td_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)  # first characters, to tell tokens apart
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.hint}… ({self.name or 'token'})"

    @classmethod
    def issue(cls, user: User, name: str = "", expires_at=None) -> tuple[ApiToken, str]:
        """Create a token; the raw value is returned once and never stored."""
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, digest=hashlib.sha256(raw.encode()).hexdigest(),
            hint=raw[:10], expires_at=expires_at,
        )
        return token, raw

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
