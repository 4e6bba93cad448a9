"""Notifications: in the app, and by e-mail through a real SMTP server started by the test."""

import email
import socket
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from tongdai.notifications.models import Notification
from tongdai.notifications.services import notification_email_send, notify

SUBJECT = "Quá hạn: Can thiệp khẩn cấp trong 12 giờ, vụ việc HN-2026-000001"


class Inbox:
    """aiosmtpd handler keeping every message received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(email.message_from_bytes(envelope.original_content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    # pytest-django swaps in the in-memory backend; these tests use the real SMTP one.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.DEFAULT_FROM_EMAIL = "Tổng đài 111 <no-reply@tongdai.test>"
    settings.TONGDAI_BASE_URL = "https://111.example.vn"
    yield inbox
    controller.stop()


@pytest.fixture
def jobs_run_now():
    """Huey runs tasks at once (in this process) while the test runs."""
    HUEY.immediate = True
    yield
    HUEY.immediate = False


def _with_email(user, address):
    user.email = address
    user.save(update_fields=["email"])
    return user


def test_a_notification_is_emailed_once_with_its_vietnamese_subject(
        people, smtp, jobs_run_now, django_capture_on_commit_callbacks):
    sup = _with_email(people.hn_super, "giam.sat@tongdai.test")
    with django_capture_on_commit_callbacks(execute=True):
        notes = notify([sup, sup, people.hn_manager], SUBJECT, "/cases/1/")
    assert [n.user for n in notes] == [sup, people.hn_manager]
    note = notes[0]
    assert len(smtp.messages) == 1  # the manager has no e-mail address; sup only once
    message = smtp.messages[0]
    # RFC 2047: the subject travels as encoded words; decoded it is the Vietnamese text.
    assert str(make_header(decode_header(message["Subject"]))) == "[Tổng đài 111] " + SUBJECT
    assert message["To"] == "giam.sat@tongdai.test"
    assert "https://111.example.vn/cases/1/" in message.get_payload(decode=True).decode()
    note.refresh_from_db()
    assert note.email_sent_at is not None and note.email_attempts == 1
    assert notification_email_send(note.pk) is False  # idempotent: never twice
    assert len(smtp.messages) == 1
    assert Notification.objects.filter(user=people.hn_manager, text=SUBJECT).exists()


def test_an_unreachable_mail_server_raises_for_a_retry_and_nothing_is_marked_sent(people, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", _free_port(), False
    settings.EMAIL_TIMEOUT = 2
    sup = _with_email(people.hn_super, "giam.sat@tongdai.test")
    [note] = notify([sup], SUBJECT, "")
    with pytest.raises(OSError):
        notification_email_send(note.pk)
    note.refresh_from_db()
    assert note.email_sent_at is None and note.email_attempts == 1


def test_without_an_smtp_host_notifications_stay_in_the_app(
        people, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_HOST = ""
    sup = _with_email(people.hn_super, "giam.sat@tongdai.test")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify([sup], SUBJECT, "")
    assert callbacks == [] and Notification.objects.count() == 1


def test_inactive_users_are_not_notified(people):
    assert notify([people.former], SUBJECT) == []


def test_the_notifications_page_lists_and_marks_read_only_ones_own(client, people):
    [mine] = notify([people.hn], "Quá hạn: vụ việc HN-2026-000007", "/deadlines/")
    [theirs] = notify([people.ag], "Quá hạn: vụ việc AG-2026-000003", "")
    client.force_login(people.hn)
    html = client.get(reverse("notifications")).content.decode()
    assert "HN-2026-000007" in html and "AG-2026-000003" not in html
    assert "badge-unread" in html
    response = client.post(reverse("notifications_read"), {"id": [theirs.pk, "x", mine.pk]})
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    client.force_login(people.ag)
    client.post(reverse("notifications_read"))
    theirs.refresh_from_db()
    assert theirs.read_at is not None
    assert client.get(reverse("notifications_read")).status_code == 405
