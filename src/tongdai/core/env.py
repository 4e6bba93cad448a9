"""Typed environment helpers for the one settings module.

Each helper reads ``NAME`` or, for secrets, the file named by ``NAME_FILE`` (Docker/K8s
secrets). A value that cannot be parsed raises ``ImproperlyConfigured`` at start-up:
a misconfigured helpline must fail loudly, never run with a silent default.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str, allow_file: bool) -> str | None:
    file_var = f"{name}_FILE"
    if allow_file and os.environ.get(file_var):
        path = Path(os.environ[file_var])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{file_var}: cannot read {path}: {exc}") from exc
    return os.environ.get(name)


def envstr(name: str, default: str = "") -> str:
    value = _raw(name, allow_file=False)
    return default if value is None else value


def envsecret(name: str, default: str | None = None) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    value = _raw(name, allow_file=True)
    return default if value is None or value == "" else value


def envbool(name: str, default: bool = False) -> bool:
    value = _raw(name, allow_file=False)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name: str, default: int) -> int:
    value = _raw(name, allow_file=False)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def envlist(name: str, default: list[str]) -> list[str]:
    value = _raw(name, allow_file=False)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str, base_dir: Path) -> dict:
    """Turn ``sqlite:///path`` or ``postgres://user:pw@host:port/name`` into a Django DB dict.

    Written here rather than adding a dependency: two schemes are all we support, and a
    typo in the scheme must be an error, not a fallback to SQLite.
    """
    from urllib.parse import parse_qs, unquote, urlparse

    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        raw_path = unquote(parsed.path)
        # sqlite:///relative.db -> relative to the data dir; sqlite:////abs/path.db -> absolute
        path = Path(raw_path[1:])
        if not path.is_absolute():
            path = base_dir / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                # WAL + busy timeout: web, worker and scheduler share one file.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 10,
            },
            "TEST": {"NAME": None},
        }
    if parsed.scheme in {"postgres", "postgresql"}:
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        if "pool" in options:
            options["pool"] = _pool_options(options["pool"])
        # No JIT compilation on the application's connections (unless the URL gives its
        # own ``options``): it pays only for long analytical scans, and ours are short or
        # read the daily rollups. Once a connection had run one large query, JIT made
        # every dashboard on it about twice as slow (docs/performance.md).
        options.setdefault("options", "-c jit=off")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            # No persistent connections: a connection is closed at the end of each request
            # unless ?pool=N keeps a pool (Django requires CONN_MAX_AGE 0 with a pool). Web
            # requests run on a fixed pool of threads (tongdai/asgi.py), so their number is
            # bounded; before that, under Django's ASGI handler, every request had a thread
            # of its own and a burst of webhooks exhausted max_connections
            # (docs/performance.md, "Webhook intake"). PgBouncer is the other way to save
            # the connection set-up.
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"TONGDAI_DATABASE_URL scheme {parsed.scheme!r} is not supported (use sqlite:// or postgres://)"
    )


def _pool_options(value: str) -> dict | bool:
    """``?pool=N`` on a PostgreSQL URL: a per-process connection pool of at most N
    connections (psycopg_pool, Django's ``OPTIONS["pool"]``); ``?pool=0`` turns it off.
    A pool saves the connection set-up of every request (several ms), otherwise paid per
    request (``CONN_MAX_AGE`` must stay 0 with a pool)."""
    try:
        size = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"pool={value!r} in TONGDAI_DATABASE_URL: give the pool's maximum size, e.g. pool=10"
        ) from None
    if size < 0 or size > 500:
        raise ImproperlyConfigured("pool in TONGDAI_DATABASE_URL must be between 0 and 500")
    return {"min_size": min(2, size), "max_size": size, "timeout": 10} if size else False


def imap_from_url(url: str, password: str | None = None) -> dict | None:
    """The hotline mailbox from ``TONGDAI_IMAP_URL``, or None when it is not set.

    ``imaps://user:password@host:993/INBOX`` — TLS from the first byte (port 993 default);
    ``imap://user:password@host:143/INBOX`` — STARTTLS, required unless ``?starttls=no``
    (only for a server on the same host or a test). User and password are URL-encoded
    (``%40`` for ``@``); ``password`` (``TONGDAI_IMAP_PASSWORD``/``_FILE``) replaces the one in
    the URL so the URL itself need not be a secret. The path is the folder (default INBOX).
    """
    from urllib.parse import parse_qs, unquote, urlparse

    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in {"imap", "imaps"}:
        raise ImproperlyConfigured(
            f"TONGDAI_IMAP_URL scheme {parsed.scheme!r} is not supported (use imaps:// or imap://)")
    options = {k: v[-1].strip().lower() for k, v in parse_qs(parsed.query).items()}
    starttls = options.get("starttls", "yes")
    if starttls not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"TONGDAI_IMAP_URL: starttls must be yes or no, got {starttls!r}")
    try:
        port = parsed.port
    except ValueError as exc:
        raise ImproperlyConfigured(f"TONGDAI_IMAP_URL: bad port: {exc}") from exc
    user = unquote(parsed.username or "")
    secret = password if password else unquote(parsed.password or "")
    if not parsed.hostname or not user or not secret:
        raise ImproperlyConfigured(
            "TONGDAI_IMAP_URL needs a host, a user and a password (in the URL or "
            "TONGDAI_IMAP_PASSWORD)")
    folder = unquote(parsed.path.lstrip("/")) or "INBOX"
    if not folder.isascii() or not folder.isprintable():
        raise ImproperlyConfigured("TONGDAI_IMAP_URL: the folder name must be printable ASCII")
    tls = parsed.scheme == "imaps"
    return {"host": parsed.hostname, "port": port or (993 if tls else 143), "user": user,
            "password": secret, "folder": folder,
            "tls": tls, "starttls": not tls and starttls in _TRUE}
