"""Tell people something happened: in the app and by e-mail.

``notify(users, text, url)`` is the one entry point (deadline escalations, new referrals).
``text`` must hold no personal data (case or referral number and a kind only). E-mail is
sent by a Huey job after the transaction commits, with retries; a notification is
e-mailed at most once (``email_sent_at``). Without ``TONGDAI_SMTP_HOST`` no e-mail is
attempted and notifications stay in the app.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tongdai.notifications.models import Notification

SUBJECT_PREFIX = "[Tổng đài 111] "


def email_enabled() -> bool:
    return bool(getattr(settings, "EMAIL_HOST", ""))


def notify(users: Iterable, text: str, url: str = "") -> list[Notification]:
    """One notification per distinct active user; e-mail queued for those with an address."""
    seen, created = set(), []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        created.append(Notification.objects.create(user=user, text=text[:300], url=url[:300]))
    if email_enabled():
        ids = [n.pk for n in created if n.user.email]
        if ids:
            transaction.on_commit(lambda: _queue_emails(ids))
    return created


def _queue_emails(ids: list[int]) -> None:
    from tongdai.notifications.tasks import notification_email

    for pk in ids:
        notification_email(pk)


def _body(notification: Notification) -> str:
    link = notification.url
    base = getattr(settings, "TONGDAI_BASE_URL", "")
    if link and base:
        link = base.rstrip("/") + link
    return f"{notification.text}\n\n{link}\n" if link else f"{notification.text}\n"


def notification_email_send(notification_id: int) -> bool:
    """Send the e-mail of one notification unless already sent; True when sent now.
    An SMTP failure raises (the job retries). No lock is held while talking to the mail
    server (SQLite would block every writer meanwhile); the job queue runs a task once, and
    a retry after a crash between sending and marking is the only way to send twice."""
    notification = (Notification.objects.select_related("user")
                    .filter(pk=notification_id, email_sent_at__isnull=True).first())
    if notification is None or not notification.user.email:
        return False
    Notification.objects.filter(pk=notification.pk).update(email_attempts=F("email_attempts") + 1)
    message = EmailMessage(subject=SUBJECT_PREFIX + notification.text, body=_body(notification),
                           from_email=settings.DEFAULT_FROM_EMAIL, to=[notification.user.email])
    message.send(fail_silently=False)
    Notification.objects.filter(pk=notification.pk, email_sent_at__isnull=True).update(
        email_sent_at=timezone.now())
    return True


def notifications_mark_read(user, ids: Iterable | None = None) -> int:
    """Mark the user's own notifications read (all unread ones when ``ids`` is None)."""
    qs = Notification.objects.for_user(user).unread()
    if ids is not None:
        clean = [int(i) for i in ids if str(i).isdigit() and len(str(i)) < 19]
        qs = qs.filter(pk__in=clean)
    return qs.update(read_at=timezone.now())
