"""E-mail delivery of notifications (thin, idempotent: the service checks ``email_sent_at``)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from tongdai.notifications.services import notification_email_send


@db_task(retries=5, retry_delay=120, name="notification_email")
def notification_email(notification_id: int) -> None:
    """Send one notification's e-mail; an SMTP error raises and Huey retries later."""
    notification_email_send(notification_id)
