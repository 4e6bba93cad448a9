"""Signing in and out, lockout, language, and what anonymous visitors get."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tongdai.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def test_pages_require_sign_in(client):
    for name in ("home", "contact_list", "contact_new", "caller_history"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_login_page_is_vietnamese_with_stable_field_ids(client):
    html = client.get(reverse("login")).content.decode()
    assert 'id="id_username"' in html and 'id="id_password"' in html
    assert "Đăng nhập" in html and "Mật khẩu" in html


def test_sign_in_and_out_are_audited(client, people):
    response = client.post(reverse("login"), {"username": "hn_counsellor", "password": people.password})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert AuditEvent.objects.filter(action=Action.LOGIN, actor=people.hn).count() == 1
    assert client.get(reverse("logout")).status_code == 405  # a link cannot sign you out
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=Action.LOGOUT, actor=people.hn).count() == 1


def test_failed_sign_in_is_audited_without_username_or_password(client, people):
    response = client.post(reverse("login"), {"username": "hn_counsellor", "password": "sai-mat-khau-99"},
                           REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.content.decode()
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.actor is None and event.actor_username == ""
    assert event.ip == "10.1.2.3"
    assert "hn_counsellor" not in str(event.detail) and "sai-mat-khau" not in str(event.detail)


def test_repeated_failures_lock_the_sign_in_with_a_vietnamese_explanation(client, people, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post(reverse("login"), {"username": "hn_counsellor", "password": "wrong-password-1"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "Tạm khóa đăng nhập" in html and "giám sát viên" in html and "15 phút" in html
    # Even the right password is refused until the pause ends.
    response = client.post(reverse("login"), {"username": "hn_counsellor", "password": people.password})
    assert response.status_code == 429


def test_english_ui_after_switching_language(client, people):
    client.force_login(people.hn)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("contact_new")})
    assert response.status_code == 302
    html = client.get(reverse("contact_new")).content.decode()
    assert 'lang="en"' in html and "Save draft" in html and "Complete" in html
    assert "Lưu nháp" not in html
    client.post(reverse("set_language"), {"language": "vi", "next": "/"})
    assert "Lưu nháp" in client.get(reverse("contact_new")).content.decode()


def test_browser_language_alone_does_not_switch_the_ui(client, people):
    client.force_login(people.hn)
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Trang chủ" in html
