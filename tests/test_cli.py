"""``tongdai user`` and ``tongdai token``: console administration of accounts and tokens."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from tongdai.accounts.models import Agency, AgencyType, ApiToken, User
from tongdai.audit.models import Action, AuditEvent
from tongdai.geo.models import Commune

GOOD_PASSWORD = "Mot-mat-khau-du-manh-2026"


@pytest.fixture
def password_file(tmp_path):
    def write(text: str = GOOD_PASSWORD + "\n"):
        path = tmp_path / "password.txt"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def run(*args) -> str:
    """Run a command in English (messages follow the site language, Vietnamese by default)."""
    out = io.StringIO()
    with translation.override("en"):
        call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --------------------------------------------------------------------------- user create


def test_user_create_makes_a_counsellor_at_a_centre_and_audits_it(db, password_file):
    output = run("user", "create", "tuvan.hue", "--role", "counsellor", "--centre", "dn",
                 "--password-file", password_file(), "--full-name", "Trần Thị Huế")
    user = User.objects.get(username="tuvan.hue")
    assert (user.role, user.centre_id, user.full_name) == ("counsellor", "DN", "Trần Thị Huế")
    assert user.check_password(GOOD_PASSWORD)
    assert user.is_active
    assert "Created tuvan.hue" in output
    event = AuditEvent.objects.get(action=Action.USER_CREATE, object_id=user.pk)
    assert (event.via, event.object_type, event.detail["role"]) == ("cli", "user", "counsellor")


def test_user_create_binds_agency_officers_and_commune_workers(db, password_file):
    agency = Agency.objects.create(name="Bộ đội Biên phòng tỉnh Lào Cai",
                                   type=AgencyType.BORDER_GUARD, province_id="15")
    commune = Commune.objects.filter(province_id="91").order_by("code").first()
    run("user", "create", "bienphong", "--role", "agency_officer", "--agency", str(agency.pk),
        "--password-file", password_file())
    run("user", "create", "canbo.ag", "--role", "commune_worker", "--commune", commune.pk,
        "--password-file", password_file())
    run("user", "create", "phantich2", "--role", "analyst", "--password-file", password_file())
    assert User.objects.get(username="bienphong").agency == agency
    assert User.objects.get(username="canbo.ag").commune == commune
    assert User.objects.get(username="phantich2").centre is None


def test_user_create_reads_the_password_from_standard_input(db, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(GOOD_PASSWORD + "\n"))
    run("user", "create", "quantri2", "--role", "national_admin", "--password-file", "-")
    assert User.objects.get(username="quantri2").check_password(GOOD_PASSWORD)


def test_user_create_sets_the_pbx_extension_once_per_active_account(db, password_file):
    run("user", "create", "tuvan.may1", "--role", "counsellor", "--centre", "HN",
        "--extension", " 1001 ", "--password-file", password_file())
    user = User.objects.get(username="tuvan.may1")
    assert user.extension == "1001"
    assert AuditEvent.objects.get(action=Action.USER_CREATE, object_id=user.pk).detail["extension"] == "1001"
    with pytest.raises(CommandError, match="Extension 1001 already belongs to tuvan.may1"):
        run("user", "create", "tuvan.may2", "--role", "counsellor", "--centre", "HN",
            "--extension", "1001", "--password-file", password_file())
    assert not User.objects.filter(username="tuvan.may2").exists()
    run("user", "deactivate", "tuvan.may1")
    run("user", "create", "tuvan.may2", "--role", "counsellor", "--centre", "HN",
        "--extension", "1001", "--password-file", password_file())
    assert User.objects.get(username="tuvan.may2").extension == "1001"


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "wizard", "--centre", "HN"], "Unknown role wizard"),
    (["--role", "counsellor", "--centre", "XX"], "Unknown centre XX"),
    (["--role", "agency_officer", "--agency", "999999"], "Unknown agency id 999999"),
    (["--role", "agency_officer", "--agency", "abc"], "Unknown agency id abc"),
    (["--role", "commune_worker", "--commune", "99999"], "Unknown commune code 99999"),
    (["--role", "counsellor"], "centre: This role requires a centre"),
    (["--role", "analyst", "--centre", "HN"], "centre: This role cannot belong to a centre"),
])
def test_user_create_refuses_bad_role_or_place(db, password_file, args, message):
    with pytest.raises(CommandError, match=message):
        run("user", "create", "someone", *args, "--password-file", password_file())
    assert not User.objects.filter(username="someone").exists()
    assert not AuditEvent.objects.filter(action=Action.USER_CREATE).exists()


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901234"])
def test_user_create_refuses_weak_passwords(db, password_file, password):
    with pytest.raises(CommandError):
        run("user", "create", "someone", "--role", "counsellor", "--centre", "HN",
            "--password-file", password_file(password + "\n"))
    assert not User.objects.filter(username="someone").exists()


def test_user_create_refuses_a_missing_or_empty_password_file(db, tmp_path, password_file):
    with pytest.raises(CommandError, match="Cannot read the password file"):
        run("user", "create", "someone", "--role", "counsellor", "--centre", "HN",
            "--password-file", str(tmp_path / "absent.txt"))
    with pytest.raises(CommandError, match="is empty"):
        run("user", "create", "someone", "--role", "counsellor", "--centre", "HN",
            "--password-file", password_file("\n"))
    assert not User.objects.filter(username="someone").exists()


def test_user_create_refuses_a_duplicate_username_whatever_the_case(db, password_file):
    run("user", "create", "tuvan.hn", "--role", "counsellor", "--centre", "HN",
        "--password-file", password_file())
    with pytest.raises(CommandError, match="already exists"):
        run("user", "create", "TuVan.HN", "--role", "counsellor", "--centre", "HN",
            "--password-file", password_file())
    assert User.objects.filter(username__iexact="tuvan.hn").count() == 1


def test_user_create_refuses_an_invalid_username(db, password_file):
    with pytest.raises(CommandError, match="username"):
        run("user", "create", "bad name!", "--role", "analyst", "--password-file", password_file())


def test_a_failing_command_exits_non_zero_with_a_clear_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TONGDAI_DATABASE_URL"}
    env["TONGDAI_DATA_DIR"] = str(tmp_path / "data")
    pw = tmp_path / "pw"
    pw.write_text(GOOD_PASSWORD)
    result = subprocess.run(
        [sys.executable, "-m", "tongdai.cli", "user", "create", "x", "--role", "wizard",
         "--password-file", str(pw)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "CommandError" in result.stderr and "wizard" in result.stderr
    assert "Traceback" not in result.stderr
    assert GOOD_PASSWORD not in result.stderr + result.stdout


# --------------------------------------------------------------------------- user list / deactivate


def test_user_list_shows_active_accounts_with_their_place(people):
    output = run("user", "list")
    assert "hn_counsellor" in output and "centre HN" in output
    assert "police_officer" in output and "Công an tỉnh Lào Cai" in output
    assert "former_counsellor" not in output
    assert "former_counsellor" in run("user", "list", "--all")


def test_user_list_filters_by_role_and_centre(people):
    output = run("user", "list", "--role", "counsellor", "--centre", "ag")
    assert "ag_counsellor" in output
    assert "hn_counsellor" not in output and "ag_supervisor" not in output


def test_user_deactivate_switches_the_account_and_its_tokens_off(people, api):
    _, raw = ApiToken.issue(people.hn, name="script")
    assert ApiToken.objects.authenticate(raw) is not None
    run("user", "deactivate", "hn_counsellor")
    people.hn.refresh_from_db()
    assert not people.hn.is_active
    assert ApiToken.objects.authenticate(raw) is None
    event = AuditEvent.objects.get(action=Action.UPDATE, object_type="user", object_id=people.hn.pk)
    assert (event.fields, event.via) == (["is_active"], "cli")


def test_user_deactivate_ends_the_users_sessions(people, client):
    client.force_login(people.hn)
    other = type(client)()
    other.force_login(people.hn2)
    from django.contrib.sessions.models import Session

    assert Session.objects.count() == 2
    run("user", "deactivate", "hn_counsellor")
    assert Session.objects.count() == 1


def test_user_deactivate_unknown_user_is_an_error(db):
    with pytest.raises(CommandError, match="No user named ghost"):
        run("user", "deactivate", "ghost")


# --------------------------------------------------------------------------- tokens


def test_token_create_prints_only_a_working_token(people):
    output = run("token", "create", "hn_counsellor", "--name", "mobile backend", "--days", "30")
    raw = output.strip()
    assert output.count("\n") == 1 and raw.startswith(ApiToken.PREFIX)
    token = ApiToken.objects.authenticate(raw)
    assert token.user == people.hn and token.name == "mobile backend"
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    event = AuditEvent.objects.get(action=Action.TOKEN_CREATE)
    assert raw not in str(event.detail) and event.via == "cli"


def test_token_create_refuses_unknown_or_deactivated_users_and_silly_durations(people):
    with pytest.raises(CommandError, match="No user named ghost"):
        run("token", "create", "ghost")
    with pytest.raises(CommandError, match="deactivated"):
        run("token", "create", "former_counsellor")
    with pytest.raises(CommandError, match="Days must be between"):
        run("token", "create", "hn_counsellor", "--days", "0")
    assert not ApiToken.objects.exists()


def test_token_list_shows_hints_never_tokens(people):
    raw = run("token", "create", "hn_counsellor", "--name", "script").strip()
    listing = run("token", "list", "hn_counsellor")
    assert raw[:10] in listing and raw not in listing
    assert "hn_counsellor" not in run("token", "list", "ag_counsellor")


def test_token_revoke_by_hint_stops_the_token(people):
    raw = run("token", "create", "hn_counsellor").strip()
    output = run("token", "revoke", raw[:10])
    assert "Revoked" in output
    assert ApiToken.objects.authenticate(raw) is None
    with pytest.raises(CommandError, match="No live token"):
        run("token", "revoke", raw[:10])
