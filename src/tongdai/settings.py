"""The one settings module of tongdai, fed by environment variables (see docs/operations.md).

A fresh checkout runs with no configuration: SQLite in ``./data``, a generated secret key
kept in ``./data/secret_key``, debug off unless asked for.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from tongdai.core.env import (
    database_from_url,
    envbool,
    envint,
    envlist,
    envsecret,
    envstr,
    imap_from_url,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(envstr("TONGDAI_DATA_DIR", str(Path.cwd() / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    configured = envsecret("TONGDAI_SECRET_KEY")
    if configured:
        return configured
    # Embedded default: one random key per installation, kept beside the database.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("TONGDAI_DEBUG", False)
ALLOWED_HOSTS = envlist("TONGDAI_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("TONGDAI_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # API docs page rendered from local static files (no CDN)
    "axes",
    "huey.contrib.djhuey",
    "tongdai.core",
    "tongdai.geo",
    "tongdai.taxonomy",
    "tongdai.accounts",
    "tongdai.audit",
    "tongdai.contacts",
    "tongdai.cases",
    "tongdai.deadlines",
    "tongdai.notifications",
    "tongdai.trafficking",
    "tongdai.referrals",
    "tongdai.protection",
    "tongdai.documents",
    "tongdai.channels",
    "tongdai.workspace",
    "tongdai.webreport",
    "tongdai.telephony",
    "tongdai.reports",
    "tongdai.scale",
]

MIDDLEWARE = [
    "tongdai.core.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tongdai.accounts.middleware.LanguageMiddleware",  # Vietnamese unless chosen otherwise
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tongdai.urls"
ASGI_APPLICATION = "tongdai.asgi.application"
WSGI_APPLICATION = "tongdai.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tongdai.core.context_processors.ui",
            ],
        },
    }
]

DATABASE_URL = envsecret("TONGDAI_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'tongdai.sqlite3'}"
DATABASES = {"default": database_from_url(DATABASE_URL, DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins (django-axes), per username + IP.
AXES_FAILURE_LIMIT = envint("TONGDAI_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("TONGDAI_LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = envbool("TONGDAI_AXES_ENABLED", True)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

SESSION_COOKIE_AGE = envint("TONGDAI_SESSION_HOURS", 12) * 3600  # one shift
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("TONGDAI_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
    }
}

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"  # shown to users; stored in UTC (USE_TZ)
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"  # filled by collectstatic in production
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start when it is missing
STATICFILES_DIRS = [PACKAGE_DIR / "static"]  # the web UI's css/js (static/tongdai/)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(DATA_DIR / "media")}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve from app folders when collectstatic was not run

# Request size: a contact is a few KB; anything near this limit is an attack or a bug.
MAX_REQUEST_BYTES = envint("TONGDAI_MAX_REQUEST_BYTES", 1_000_000)
# Threads per web process running requests (tongdai.asgi); give the database pool
# (?pool=N in TONGDAI_DATABASE_URL) at least as many connections.
WEB_THREADS = envint("TONGDAI_WEB_THREADS", 8)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# Case attachments (tongdai.documents): the one place bodies may exceed MAX_REQUEST_BYTES.
# Only paths matching UPLOAD_PATH_PATTERNS get the larger limit (file + form overhead);
# the JSON API and every other form keep the 1 MB guard.
MAX_UPLOAD_MB = envint("TONGDAI_MAX_UPLOAD_MB", 10)
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
UPLOAD_PATH_PATTERNS = [r"^/cases/\d+/documents/$", r"^/portal/referrals/\d+/files/$"]

# Background jobs: SQLite-backed Huey in the embedded default, Redis when configured.
REDIS_URL = envsecret("TONGDAI_REDIS_URL")
if REDIS_URL:
    HUEY = {"huey_class": "huey.RedisHuey", "name": "tongdai", "url": REDIS_URL,
            "immediate": False}
else:
    HUEY = {"huey_class": "tongdai.core.jobstore.SqliteHuey", "name": "tongdai",
            "filename": str(DATA_DIR / "jobs.sqlite3"), "immediate": False}
HUEY["immediate"] = envbool("TONGDAI_JOBS_IMMEDIATE", False)

# Page sizes.
CONTACT_PAGE_SIZE = envint("TONGDAI_CONTACT_PAGE_SIZE", 25)

# Deadlines: hours an overdue deadline waits at the supervisor before the centre manager
# is told (level 2). See tongdai.deadlines.
TONGDAI_ESCALATION_LEVEL2_HOURS = envint("TONGDAI_ESCALATION_LEVEL2_HOURS", 2)

# E-mail (notifications). No TONGDAI_SMTP_HOST: notifications stay in the app only.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = envstr("TONGDAI_SMTP_HOST", "")
EMAIL_PORT = envint("TONGDAI_SMTP_PORT", 587)
EMAIL_HOST_USER = envstr("TONGDAI_SMTP_USER", "")
EMAIL_HOST_PASSWORD = envsecret("TONGDAI_SMTP_PASSWORD") or ""
EMAIL_USE_TLS = envbool("TONGDAI_SMTP_USE_TLS", True)
EMAIL_TIMEOUT = envint("TONGDAI_SMTP_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = envstr("TONGDAI_EMAIL_FROM", "Tổng đài 111 <no-reply@localhost>")
# Absolute address of this site, for links in e-mails (e.g. https://111.example.gov.vn).
TONGDAI_BASE_URL = envstr("TONGDAI_BASE_URL", "")
# Hours a partner has to acknowledge an urgent referral before the working group is told.
TONGDAI_REFERRAL_ACK_HOURS = envint("TONGDAI_REFERRAL_ACK_HOURS", 2)

# Hotline mailbox (tongdai.channels.email): read over IMAP every TONGDAI_IMAP_POLL_MINUTES;
# replies go out through the SMTP server above, From TONGDAI_MAILBOX_FROM (the hotline's
# address, so people's answers come back to the mailbox). Unset URL: no e-mail channel.
TONGDAI_IMAP = imap_from_url(envsecret("TONGDAI_IMAP_URL") or "",
                             envsecret("TONGDAI_IMAP_PASSWORD"))
TONGDAI_IMAP_POLL_MINUTES = envint("TONGDAI_IMAP_POLL_MINUTES", 1)
if not 1 <= TONGDAI_IMAP_POLL_MINUTES <= 59:
    raise ImproperlyConfigured("TONGDAI_IMAP_POLL_MINUTES must be between 1 and 59")
TONGDAI_IMAP_TIMEOUT = envint("TONGDAI_IMAP_TIMEOUT", 30)
TONGDAI_MAILBOX_FROM = envstr("TONGDAI_MAILBOX_FROM", "") or DEFAULT_FROM_EMAIL

# Messaging channels (tongdai.channels): a channel whose secrets are unset refuses its
# webhook with 503.
TONGDAI_ZALO_APP_ID = envsecret("TONGDAI_ZALO_APP_ID") or ""
TONGDAI_ZALO_OA_SECRET = envsecret("TONGDAI_ZALO_OA_SECRET") or ""
TONGDAI_MESSENGER_APP_SECRET = envsecret("TONGDAI_MESSENGER_APP_SECRET") or ""
TONGDAI_MESSENGER_VERIFY_TOKEN = envsecret("TONGDAI_MESSENGER_VERIFY_TOKEN") or ""

# Public report form and 111 app reports (tongdai.webreport): where "Quick exit" goes,
# the limits on guessing receipts (failures per code and per client address, counted in
# the database), new reports per client address per hour, and the reporter's idle time.
TONGDAI_QUICK_EXIT_URL = envstr("TONGDAI_QUICK_EXIT_URL", "https://www.google.com/")
if not TONGDAI_QUICK_EXIT_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("TONGDAI_QUICK_EXIT_URL must be an http(s) address")
TONGDAI_REPORT_FAILURE_LIMIT = envint("TONGDAI_REPORT_FAILURE_LIMIT", 5)
TONGDAI_REPORT_IP_FAILURE_LIMIT = envint("TONGDAI_REPORT_IP_FAILURE_LIMIT", 20)
TONGDAI_REPORT_LOCK_MINUTES = envint("TONGDAI_REPORT_LOCK_MINUTES", 15)
TONGDAI_REPORT_CREATE_LIMIT = envint("TONGDAI_REPORT_CREATE_LIMIT", 10)
TONGDAI_REPORT_SESSION_MINUTES = envint("TONGDAI_REPORT_SESSION_MINUTES", 15)

# Telephony (tongdai.telephony): PBX call events, screen pop and recordings. A webhook
# whose secret is unset answers 503; the AMI listener runs only when its URL is set.
TONGDAI_CALLS_TOKEN = envsecret("TONGDAI_CALLS_TOKEN") or ""
TONGDAI_TWILIO_AUTH_TOKEN = envsecret("TONGDAI_TWILIO_AUTH_TOKEN") or ""
TONGDAI_STRINGEE_SIGNING_SECRET = envsecret("TONGDAI_STRINGEE_SIGNING_SECRET") or ""
# Public base URL providers call (https://111.example.gov.vn) when behind a proxy: the
# Twilio signature covers the URL as Twilio saw it.
TONGDAI_PUBLIC_URL = envstr("TONGDAI_PUBLIC_URL", "")
TONGDAI_AMI_URL = envsecret("TONGDAI_AMI_URL") or ""  # ami://user:secret@host:5038
# Where recordings may be streamed from: the PBX's recording server and/or a local share.
TONGDAI_RECORDINGS_BASE_URL = envstr("TONGDAI_RECORDINGS_BASE_URL", "")
TONGDAI_RECORDINGS_DIR = envstr("TONGDAI_RECORDINGS_DIR", "")
TONGDAI_RECORDING_RETENTION_DAYS = envint("TONGDAI_RECORDING_RETENTION_DAYS", 365)
# Outbound replies (tongdai.channels.providers). Zalo: the *app* secret key (OAuth token
# requests; not the OA secret key that signs webhooks) and the first refresh token (seeds
# the database, which keeps the rotated one). Messenger: the Page access token. Base URLs
# are settings so tests and staging point them at a local stand-in.
TONGDAI_ZALO_APP_SECRET = envsecret("TONGDAI_ZALO_APP_SECRET") or ""
TONGDAI_ZALO_REFRESH_TOKEN = envsecret("TONGDAI_ZALO_REFRESH_TOKEN") or ""
TONGDAI_ZALO_API_BASE = envstr("TONGDAI_ZALO_API_BASE", "https://openapi.zalo.me")
TONGDAI_ZALO_OAUTH_BASE = envstr("TONGDAI_ZALO_OAUTH_BASE", "https://oauth.zaloapp.com")
TONGDAI_MESSENGER_PAGE_TOKEN = envsecret("TONGDAI_MESSENGER_PAGE_TOKEN") or ""
TONGDAI_MESSENGER_API_BASE = envstr("TONGDAI_MESSENGER_API_BASE",
                                    "https://graph.facebook.com/v21.0")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("TONGDAI_LOG_LEVEL", "INFO")},
    "loggers": {
        # Personal data (phone numbers, names in search boxes) travels in query strings:
        # request logs carry the path only. See tongdai.core.middleware.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "uvicorn.access": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # PDF forms (tongdai.documents): WeasyPrint logs every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Huey: own handler (else run_huey adds a second one), start-up lines from the
        # consumer, but not a line per periodic task run every minute.
        "huey": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "huey.consumer": {"level": "INFO"},
        "huey.consumer.Scheduler": {"level": "WARNING"},
    },
}
