"""The typed environment helpers behind settings.py: a bad value fails loudly at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tongdai.core.env import database_from_url, envbool, envint, envlist, envsecret, envstr


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", " yes ", "on"])
def test_envbool_reads_true_spellings(monkeypatch, raw):
    monkeypatch.setenv("TD_TEST_FLAG", raw)
    assert envbool("TD_TEST_FLAG") is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off", ""])
def test_envbool_reads_false_spellings(monkeypatch, raw):
    monkeypatch.setenv("TD_TEST_FLAG", raw)
    assert envbool("TD_TEST_FLAG", default=True) is False


def test_envbool_refuses_a_value_that_is_not_a_boolean(monkeypatch):
    monkeypatch.setenv("TD_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="TD_TEST_FLAG"):
        envbool("TD_TEST_FLAG")


def test_envbool_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("TD_TEST_FLAG", raising=False)
    assert envbool("TD_TEST_FLAG", default=True) is True


def test_envint_parses_and_refuses_garbage(monkeypatch):
    monkeypatch.setenv("TD_TEST_INT", "42")
    assert envint("TD_TEST_INT", 1) == 42
    monkeypatch.setenv("TD_TEST_INT", "12 hours")
    with pytest.raises(ImproperlyConfigured, match="TD_TEST_INT must be an integer"):
        envint("TD_TEST_INT", 1)


def test_envint_treats_blank_as_unset(monkeypatch):
    monkeypatch.setenv("TD_TEST_INT", "  ")
    assert envint("TD_TEST_INT", 7) == 7


def test_envlist_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("TD_TEST_LIST", " a.example , ,b.example,")
    assert envlist("TD_TEST_LIST", []) == ["a.example", "b.example"]
    monkeypatch.delenv("TD_TEST_LIST")
    assert envlist("TD_TEST_LIST", ["x"]) == ["x"]


def test_envstr_never_reads_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "value"
    secret.write_text("from-file")
    monkeypatch.delenv("TD_TEST_STR", raising=False)
    monkeypatch.setenv("TD_TEST_STR_FILE", str(secret))
    assert envstr("TD_TEST_STR", "default") == "default"


def test_envsecret_reads_the_file_named_by_NAME_FILE(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret-value\n", encoding="utf-8")
    monkeypatch.setenv("TD_TEST_SECRET", "from-env")
    monkeypatch.setenv("TD_TEST_SECRET_FILE", str(secret))
    # The file wins: orchestrators mount secrets as files and may leave a stale variable.
    assert envsecret("TD_TEST_SECRET") == "s3cret-value"


def test_envsecret_fails_loudly_when_the_file_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("TD_TEST_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(ImproperlyConfigured, match="TD_TEST_SECRET_FILE: cannot read"):
        envsecret("TD_TEST_SECRET")


def test_envsecret_treats_empty_as_unset(monkeypatch):
    monkeypatch.delenv("TD_TEST_SECRET_FILE", raising=False)
    monkeypatch.setenv("TD_TEST_SECRET", "")
    assert envsecret("TD_TEST_SECRET", "fallback") == "fallback"


def test_sqlite_url_with_relative_path_lands_in_the_data_dir(tmp_path):
    db = database_from_url("sqlite:///tongdai.sqlite3", tmp_path)
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "tongdai.sqlite3")
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert "busy_timeout" in db["OPTIONS"]["init_command"]


def test_sqlite_url_with_absolute_path_is_kept(tmp_path):
    db = database_from_url("sqlite:////srv/td/db.sqlite3", tmp_path)
    assert db["NAME"] == str(Path("/srv/td/db.sqlite3"))


def test_postgres_url_is_split_into_django_settings(tmp_path):
    db = database_from_url(
        "postgres://td%40app:p%2Fss@db.internal:6543/tongdai?sslmode=require", tmp_path)
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("tongdai", "td@app", "p/ss")
    assert (db["HOST"], db["PORT"]) == ("db.internal", "6543")
    assert db["OPTIONS"] == {"sslmode": "require", "options": "-c jit=off"}


def test_postgres_connections_run_without_jit_unless_the_url_says_otherwise(tmp_path):
    assert database_from_url("postgres://postgres@127.0.0.1/td", tmp_path)["OPTIONS"]["options"] == "-c jit=off"
    own = database_from_url("postgres://postgres@127.0.0.1/td?options=-c%20work_mem%3D64MB", tmp_path)
    assert own["OPTIONS"]["options"] == "-c work_mem=64MB"


@pytest.mark.django_db
def test_the_application_connection_has_jit_off_on_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_postgres_pool_size_in_the_url_turns_on_the_connection_pool(tmp_path):
    db = database_from_url("postgres://postgres@127.0.0.1/td?pool=10&sslmode=disable", tmp_path)
    assert db["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 10, "timeout": 10}
    assert db["OPTIONS"]["sslmode"] == "disable"
    assert db["CONN_MAX_AGE"] == 0  # Django refuses persistent connections with a pool
    assert database_from_url("postgres://postgres@127.0.0.1/td?pool=0",
                             tmp_path)["OPTIONS"]["pool"] is False
    assert "pool" not in database_from_url("postgres://postgres@127.0.0.1/td", tmp_path)["OPTIONS"]


@pytest.mark.parametrize("value", ["yes", "-1", "501"])
def test_bad_pool_size_is_refused_at_start(tmp_path, value):
    with pytest.raises(ImproperlyConfigured, match="pool"):
        database_from_url(f"postgres://postgres@127.0.0.1/td?pool={value}", tmp_path)


def test_postgresql_scheme_spelling_is_accepted(tmp_path):
    db = database_from_url("postgresql://postgres@127.0.0.1/td", tmp_path)
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["PORT"] == ""


@pytest.mark.parametrize("url", ["mysql://u@h/db", "sqlite3:///x.db", "tongdai.sqlite3"])
def test_unknown_database_scheme_is_refused(tmp_path, url):
    with pytest.raises(ImproperlyConfigured, match="not supported"):
        database_from_url(url, tmp_path)


def test_production_settings_hash_passwords_with_argon2():
    # Tests swap in a fast hasher (conftest); the module itself must keep Argon2 first.
    import tongdai.settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_a_fresh_checkout_needs_no_configuration(tmp_path):
    """settings.py imports with no TONGDAI_* variable set, on SQLite in the data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGDAI_")}
    code = ("import tongdai.settings as s; print(s.DATABASES['default']['ENGINE']); "
            "print(s.DATA_DIR); print((s.DATA_DIR / 'secret_key').stat().st_mode & 0o777)")
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    engine, data_dir, mode = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert data_dir == str((tmp_path / "data").resolve())
    assert mode == str(0o600)
