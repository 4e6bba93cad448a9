"""The one way to write to the audit trail."""

from __future__ import annotations

from collections.abc import Iterable

from tongdai.audit.models import Action, AuditEvent
from tongdai.core.fastinsert import insert_rows


def client_ip(request) -> str | None:
    """The peer address. Behind nginx, uvicorn puts the real client address here from the
    proxy's headers (``--forwarded-allow-ips``, docs/operations.md); reading
    ``X-Forwarded-For`` ourselves would let any client write the address we log."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_event(
    actor,
    action: Action | str,
    *,
    obj=None,
    object_type: str = "",
    object_id: int | None = None,
    object_ids: Iterable[int] = (),
    fields: Iterable[str] = (),
    detail: dict | None = None,
    request=None,
    via: str = "",
) -> AuditEvent:
    """The audit record of one action, not yet saved: ``audit_record`` saves one,
    ``audit_record_all`` several in one statement."""
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = obj.pk
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        actor=user,
        actor_username=getattr(user, "username", "") if user else "",
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        object_ids=list(object_ids),
        fields=sorted(set(fields)),
        detail=detail or {},
        ip=client_ip(request),
        via=via,
    )


def audit_record(actor, action: Action | str, **what) -> AuditEvent:
    """Record that ``actor`` did ``action`` (keywords as for ``audit_event``)."""
    event = audit_event(actor, action, **what)
    insert_rows([event], returning_pk=True)  # every audited read writes one: no ORM compile
    return event


def audit_record_all(events: list[AuditEvent]) -> None:
    """Record several ``audit_event`` results at once, in their order (one statement;
    the events get no id back)."""
    insert_rows(events)
