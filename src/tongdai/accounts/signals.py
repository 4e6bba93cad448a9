"""Sign-in events on the audit trail.

A failed attempt records only that it happened and from which address: never the
password, and not the username either (a mistyped password in the username box would
otherwise land in the trail).
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from tongdai.audit.models import Action
from tongdai.audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="tongdai_audit_login")
def audit_login(sender, request, user, **kwargs) -> None:
    audit_record(user, Action.LOGIN, request=request, via="ui")


@receiver(user_logged_out, dispatch_uid="tongdai_audit_logout")
def audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:  # logging out an already-anonymous session is not an event
        audit_record(user, Action.LOGOUT, request=request, via="ui")


@receiver(user_login_failed, dispatch_uid="tongdai_audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    audit_record(None, Action.LOGIN_FAILED, request=request, via="ui")
