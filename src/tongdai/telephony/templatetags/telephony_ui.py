from __future__ import annotations

from django import template

from tongdai.accounts.roles import Perm
from tongdai.telephony.models import Call

register = template.Library()


@register.inclusion_tag("telephony/_contact_recordings.html", takes_context=True)
def contact_recordings(context, contact):
    """On the contact page, for RECORDING_PLAY holders: a play link per recorded call of
    this contact within their reach (the playback itself is checked and audited again)."""
    user = context["request"].user
    if not user.can(Perm.RECORDING_PLAY):
        return {"calls": []}
    calls = (Call.objects.visible_to(user)
             .filter(contact=contact, recordings__deleted_at__isnull=True)
             .distinct().order_by("started_at"))
    return {"calls": list(calls)}
