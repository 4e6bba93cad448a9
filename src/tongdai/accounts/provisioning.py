"""Creating and retiring accounts and API tokens, from the command line and the demo builder.

Each function validates everything before writing (``User.full_clean`` for the role/place
pairing, Django's password validators), writes in one transaction, and records the change
in the audit trail. ``actor`` is the signed-in person when there is one; from the command
line it is ``None`` and the audit event names the operating-system account instead.
"""

from __future__ import annotations

import datetime
import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongdai.accounts.models import Agency, ApiToken, Centre, User
from tongdai.accounts.roles import Role
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.geo.models import Commune


class ProvisioningError(Exception):
    """Input that cannot become an account; the message is for the person at the console."""


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return ""


def _place(centre: str | None, agency: str | int | None, commune: str | None) -> dict:
    """Look up the place codes; unknown codes are errors, not silently empty."""
    place: dict = {}
    if centre:
        place["centre"] = Centre.objects.filter(pk=str(centre).upper()).first()
        if place["centre"] is None:
            codes = ", ".join(Centre.objects.values_list("code", flat=True))
            raise ProvisioningError(_("Unknown centre %(code)s (known: %(codes)s).")
                                    % {"code": centre, "codes": codes})
    if agency not in (None, ""):
        try:
            place["agency"] = Agency.objects.filter(pk=int(agency)).first()
        except (TypeError, ValueError):
            place["agency"] = None
        if place["agency"] is None:
            raise ProvisioningError(_("Unknown agency id %(id)s.") % {"id": agency})
    if commune:
        place["commune"] = Commune.objects.filter(pk=commune).first()
        if place["commune"] is None:
            raise ProvisioningError(_("Unknown commune code %(code)s.") % {"code": commune})
    return place


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


@transaction.atomic
def user_create(username: str, role: str, password: str, *, centre: str | None = None,
                agency: str | int | None = None, commune: str | None = None,
                full_name: str = "", extension: str = "", actor=None, via: str = "cli") -> User:
    """A new active account. Raises ``ProvisioningError`` with a readable message.

    ``extension``: the user's phone extension on the hotline PBX; call events name the
    counsellor who answered by it, so two active accounts cannot share one.
    """
    if role not in Role.values:
        raise ProvisioningError(_("Unknown role %(role)s (one of: %(roles)s).")
                                % {"role": role, "roles": ", ".join(Role.values)})
    if User.objects.filter(username__iexact=username).exists():
        raise ProvisioningError(_("A user named %(username)s already exists.") % {"username": username})
    extension = (extension or "").strip()
    holder = User.objects.filter(extension=extension, is_active=True).first() if extension else None
    if holder is not None:
        raise ProvisioningError(_("Extension %(extension)s already belongs to %(username)s.")
                                % {"extension": extension, "username": holder.username})
    user = User(username=username, role=role, full_name=full_name, extension=extension,
                **_place(centre, agency, commune))
    try:
        user.full_clean(exclude=["password"])
        validate_password(password, user)
    except ValidationError as exc:
        raise ProvisioningError(_messages(exc)) from exc
    user.set_password(password)
    user.save()
    audit_record(actor, Action.USER_CREATE, obj=user, via=via,
                 detail={"role": role, "centre": user.centre_id or "",
                         "agency": user.agency_id, "commune": user.commune_id or "",
                         "extension": user.extension,
                         "os_user": _os_user() if actor is None else ""})
    return user


@transaction.atomic
def user_deactivate(username: str, *, actor=None, via: str = "cli") -> User:
    """Switch an account off (it is never deleted: the audit trail points at it).

    Its API tokens stop working with it (``ApiToken.authenticate`` checks ``is_active``)
    and its sessions are ended.
    """
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        raise ProvisioningError(_("No user named %(username)s.") % {"username": username})
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        _end_sessions(user)
        audit_record(actor, Action.UPDATE, obj=user, via=via, fields=["is_active"],
                     detail={"os_user": _os_user() if actor is None else ""})
    return user


def _end_sessions(user: User) -> None:
    """Delete the user's database sessions so a deactivated account is signed out now."""
    from django.contrib.sessions.models import Session

    stale = [s.pk for s in Session.objects.filter(expire_date__gt=timezone.now())
             if str(s.get_decoded().get("_auth_user_id")) == str(user.pk)]
    Session.objects.filter(pk__in=stale).delete()


@transaction.atomic
def token_issue(username: str, *, name: str = "", days: int | None = None, actor=None,
                via: str = "cli") -> tuple[ApiToken, str]:
    """A new API token for an active user; the raw value is returned once."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ProvisioningError(_("No user named %(username)s.") % {"username": username})
    if not user.is_active:
        raise ProvisioningError(_("User %(username)s is deactivated.") % {"username": username})
    if days is not None and not 0 < days <= 3650:
        raise ProvisioningError(_("Days must be between 1 and 3650."))
    expires = timezone.now() + datetime.timedelta(days=days) if days else None
    token, raw = ApiToken.issue(user, name=name[:100], expires_at=expires)
    audit_record(actor, Action.TOKEN_CREATE, obj=token, via=via,
                 detail={"user": user.username, "hint": token.hint,
                         "os_user": _os_user() if actor is None else ""})
    return token, raw


@transaction.atomic
def token_revoke(hint: str, *, actor=None, via: str = "cli") -> ApiToken:
    """Revoke the one live token whose hint (first characters) is ``hint``."""
    matches = list(ApiToken.objects.select_for_update()
                   .filter(hint=hint, revoked_at__isnull=True)[:2])
    if not matches:
        raise ProvisioningError(_("No live token with hint %(hint)s.") % {"hint": hint})
    if len(matches) > 1:  # 10 characters of randomness: practically never
        raise ProvisioningError(_("More than one token has hint %(hint)s.") % {"hint": hint})
    token = matches[0]
    token.revoke()
    audit_record(actor, Action.UPDATE, obj=token, via=via, fields=["revoked_at"],
                 detail={"hint": token.hint, "os_user": _os_user() if actor is None else ""})
    return token
