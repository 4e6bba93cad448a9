"""Open, meet, cancel, list and escalate the legal deadlines of cases.

The workflow modules (protection, trafficking, referrals) call ``deadline_open`` /
``deadline_meet`` / ``deadline_cancel`` from inside their own service functions, *after*
they checked reach and permission and while they hold the case lock
(``case_lock_for_edit``); these functions therefore take a ``Case`` object and do not
check permissions again (a commune worker meets ``emergency_12h`` through a referral
without being able to lock the case the hotline way). They are idempotent, write a
``deadline`` line on the case timeline and an audit record.

Due times (see ``tongdai.deadlines.calendar`` for the counting rules):

- ``emergency_12h`` — Decree 56/2017 Art. 26.3: emergency intervention within 12 hours
  of receiving the information; start = ``case.received_at``.
- ``plan_5wd`` — Decree 56/2017 Art. 28: support-and-intervention plan within 5 working
  days; start = ``case.received_at`` (per issue 3).
- ``verification_3d`` — Law 53/2024/QH15 Art. 27: verify with the police within 3 days
  (calendar days, counted as 72 hours).
- ``shelter_120d`` — Decree 162/2025 Art. 17: temporary shelter up to 120 days from the
  shelter start (``ref`` = shelter stay id); an extension cancels and reopens with a new
  start, or opens a new ``ref``.
- ``referral_ack`` — an urgent referral must be acknowledged within
  ``TONGDAI_REFERRAL_ACK_HOURS`` (default 2) hours of being sent (``ref`` = referral id).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tongdai.accounts.models import User
from tongdai.accounts.roles import CENTRE_ROLES, Role
from tongdai.audit.models import Action
from tongdai.audit.services import audit_record
from tongdai.cases.models import Case, EventKind
from tongdai.cases.services import case_event
from tongdai.deadlines.calendar import add_calendar_days, add_hours, add_working_days
from tongdai.deadlines.models import Deadline, DeadlineKind, EscalationLevel


def referral_ack_hours() -> float:
    return float(getattr(settings, "TONGDAI_REFERRAL_ACK_HOURS", 2))


def level2_hours() -> float:
    return float(getattr(settings, "TONGDAI_ESCALATION_LEVEL2_HOURS", 2))


def due_for(kind: str, start: datetime.datetime) -> datetime.datetime:
    """The due time of a deadline of ``kind`` that starts at ``start``."""
    if kind == DeadlineKind.EMERGENCY_12H:
        return add_hours(start, 12)
    if kind == DeadlineKind.PLAN_5WD:
        return add_working_days(start, 5)
    if kind == DeadlineKind.VERIFICATION_3D:
        return add_calendar_days(start, 3)
    if kind == DeadlineKind.SHELTER_120D:
        return add_calendar_days(start, 120)
    if kind == DeadlineKind.REFERRAL_ACK:
        return add_hours(start, referral_ack_hours())
    raise ValueError(f"unknown deadline kind {kind!r}")


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


def _record(deadline: Deadline, actor, what: str, action: Action, fields: list[str]) -> None:
    """Timeline line (codes and ids only) and audit record (field names only)."""
    label = DeadlineKind(deadline.kind).label
    texts = {"opened": _("Deadline set: %(kind)s"), "met": _("Deadline met: %(kind)s"),
             "cancelled": _("Deadline cancelled: %(kind)s"),
             "escalated": _("Deadline overdue, escalated: %(kind)s")}
    case_event(deadline.case, _actor(actor), EventKind.DEADLINE, texts[what] % {"kind": label},
               deadline=deadline.pk, deadline_kind=deadline.kind, ref=deadline.ref, action=what,
               due_at=deadline.due_at.isoformat(), level=deadline.escalation_level)
    audit_record(_actor(actor), action, obj=deadline, fields=fields, via="deadlines",
                 detail={"case": deadline.case_id, "kind": deadline.kind, "event": what})


def _current(case: Case, kind: str, ref: str) -> Deadline | None:
    """The latest deadline of (case, kind, ref) that was not cancelled."""
    return (Deadline.objects.filter(case=case, kind=kind, ref=ref, cancelled_at__isnull=True)
            .order_by("-created_at", "-id").first())


def deadline_open(case: Case, kind: str, *, start: datetime.datetime | None = None, actor=None,
                  ref: str = "") -> Deadline:
    """Start the clock of a legal deadline on ``case``. Idempotent per (case, kind, ref):
    an existing open or met deadline is returned unchanged; after a cancel a new one opens.
    ``start`` defaults to ``case.received_at`` (when the hotline got the information)."""
    kind = DeadlineKind(kind).value  # unknown kinds are a programming error: ValueError
    ref = str(ref or "")[:40]
    existing = _current(case, kind, ref)
    if existing is not None:
        return existing
    start = start or case.received_at
    try:
        with transaction.atomic():
            deadline = Deadline.objects.create(case=case, kind=kind, ref=ref, start_at=start,
                                               due_at=due_for(kind, start))
    except IntegrityError:
        # Opened at the same moment by another request: theirs is the one.
        return Deadline.objects.open().get(case=case, kind=kind, ref=ref)
    _record(deadline, actor, "opened", Action.CREATE, ["kind", "start_at", "due_at"])
    return deadline


def deadline_meet(case: Case, kind: str, *, at: datetime.datetime | None = None, actor=None,
                  ref: str = "") -> Deadline | None:
    """Mark the open deadline met (at ``at``, default now); ``None`` if none is open."""
    with transaction.atomic():
        deadline = (Deadline.objects.select_for_update().open()
                    .filter(case=case, kind=kind, ref=str(ref or "")).first())
        if deadline is None:
            return None
        deadline.met_at, deadline.met_by = at or timezone.now(), _actor(actor)
        deadline.save(update_fields=["met_at", "met_by"])
        deadline.case = case
        _record(deadline, actor, "met", Action.COMPLETE, ["met_at", "met_by"])
        return deadline


def deadline_cancel(case: Case, kind: str, *, ref: str = "", actor=None) -> Deadline | None:
    """Stop the clock without meeting it (the step no longer applies: referral revoked,
    case type changed, shelter extended); ``None`` if none is open."""
    with transaction.atomic():
        deadline = (Deadline.objects.select_for_update().open()
                    .filter(case=case, kind=kind, ref=str(ref or "")).first())
        if deadline is None:
            return None
        deadline.cancelled_at = timezone.now()
        deadline.save(update_fields=["cancelled_at"])
        deadline.case = case
        _record(deadline, actor, "cancelled", Action.UPDATE, ["cancelled_at"])
        return deadline


def deadlines_due(user, *, within: datetime.timedelta = datetime.timedelta(hours=24)):
    """Open deadlines of open cases ``user`` may see that are overdue or due within
    ``within``, soonest first. Reach is ``Case.objects.visible_to(user)``: case managers
    and counsellors see their centre's cases (restricted ones only if named), supervisors
    and centre managers their centre's, national administrators all, partners none."""
    horizon = timezone.now() + within
    return (Deadline.objects.visible_to(user).open().of_open_cases()
            .filter(due_at__lte=horizon).select_related("case").order_by("due_at", "id"))


def deadlines_overdue_count(user) -> int:
    return deadlines_due(user, within=datetime.timedelta(0)).count()


def case_deadlines(case: Case):
    """All deadlines of a case the caller already may see (case page), newest first."""
    return case.deadlines.order_by("-created_at", "-id")


# --- escalation ------------------------------------------------------------------------

#: Level-1 recipients by deadline kind, added by other apps (see ``escalation_recipients``).
_LEVEL1_HOOKS: dict[str, Callable[[Deadline], list]] = {}


def register_escalation_recipients(kind: str) -> Callable:
    """Decorator: ``fn(deadline) -> list[User]`` chooses who is told first when a deadline
    of ``kind`` is overdue. The referrals app registers ``referral_ack`` to reach the
    inter-agency working-group member for the referral's agency type; an empty list falls
    back to the case's supervisors."""
    def register(fn):
        _LEVEL1_HOOKS[DeadlineKind(kind).value] = fn
        return fn
    return register


def _centre_users(case: Case, role: str) -> list:
    return list(User.objects.filter(is_active=True, role=role, centre_id=case.centre_id)
                .order_by("id"))


def escalation_recipients(deadline: Deadline, level: int = EscalationLevel.SUPERVISOR) -> list:
    """Who is notified when ``deadline`` reaches ``level``: level 1 the supervisors of the
    case's centre (or a registered hook's choice), level 2 its centre manager(s). Only
    users who can see the case are kept: a restricted case stays restricted."""
    if level >= EscalationLevel.MANAGER:
        users = _centre_users(deadline.case, Role.CENTRE_MANAGER)
    else:
        hook = _LEVEL1_HOOKS.get(deadline.kind)
        users = list(hook(deadline)) if hook else []
        if not users:
            users = _centre_users(deadline.case, Role.SUPERVISOR)
    return [u for u in users if u.role not in CENTRE_ROLES or deadline.case.is_visible_to(u)]


def _claim(deadline_id: int, level: int, *, before: datetime.datetime | None = None) -> bool:
    """Move one open deadline to ``level`` if it is still one below (a conditional UPDATE,
    so two sweeps running at once never both win)."""
    now = timezone.now()
    condition = Q(pk=deadline_id, escalation_level=level - 1, met_at__isnull=True,
                  cancelled_at__isnull=True)
    if before is not None:
        condition &= Q(escalated_at__lte=before)
    return Deadline.objects.filter(condition).update(escalation_level=level, escalated_at=now) == 1


def _notify_escalation(deadline: Deadline, level: int) -> None:
    from tongdai.notifications.services import notify

    if level >= EscalationLevel.MANAGER:
        text = _("Still overdue: %(kind)s, case %(number)s")
    else:
        text = _("Overdue: %(kind)s, case %(number)s")
    text %= {"kind": DeadlineKind(deadline.kind).label, "number": deadline.case.number}
    notify(escalation_recipients(deadline, level), text, _case_url(deadline.case))


def _case_url(case: Case) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("case_detail", args=[case.pk])
    except NoReverseMatch:
        return reverse("deadlines_mine")


def deadline_escalate(deadline_id: int, level: int) -> bool:
    """Escalate one deadline to ``level`` once: claim, timeline, audit, notify."""
    with transaction.atomic():
        before = timezone.now() - datetime.timedelta(hours=level2_hours()) if level == 2 else None
        if not _claim(deadline_id, level, before=before):
            return False
        deadline = Deadline.objects.select_related("case").get(pk=deadline_id)
        _record(deadline, None, "escalated", Action.UPDATE, ["escalation_level", "escalated_at"])
        _notify_escalation(deadline, level)
        return True


def deadlines_escalate_due() -> int:
    """The sweep: every overdue open deadline of an open case moves up one level when its
    time has come. Safe to run twice or concurrently. Returns how many escalated."""
    now = timezone.now()
    base = Deadline.objects.open().of_open_cases()
    first = base.filter(escalation_level=EscalationLevel.NONE, due_at__lte=now)
    second = base.filter(escalation_level=EscalationLevel.SUPERVISOR,
                         escalated_at__lte=now - datetime.timedelta(hours=level2_hours()))
    done = sum(deadline_escalate(pk, 1) for pk in first.values_list("pk", flat=True))
    done += sum(deadline_escalate(pk, 2) for pk in second.values_list("pk", flat=True))
    return done
