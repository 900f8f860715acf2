"""join run settings: every tunable comes from the environment (see .env.example)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from joinrun.passkey_origin import passkey_origin

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Values already in the environment win over .env, so CI and tests can override it.
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Put one in the environment or .env "
            "(`make run` writes a fresh one), or set DEBUG=true for development."
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-true"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
HTTPS = env.bool("HTTPS", default=False)
# The reverse proxy (comma list, or *): only its X-Forwarded-For is believed. gunicorn
# reads the same variable for X-Forwarded-Proto.
FORWARDED_ALLOW_IPS = env.list("FORWARDED_ALLOW_IPS", default=["127.0.0.1", "::1"])
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Ljubljana")

DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="join run <info@join.run>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PRIVACY_CONTACT_EMAIL = env.str("PRIVACY_CONTACT_EMAIL", default="info@join.run")
# Emails wait in the outbox (joinrun/outbox) and the task worker sends them. Without
# EMAIL_URL they are written as files to sent-emails/ in the project folder, never into a
# log: they hold reset links and private addresses.
EMAIL_FILE_DIR = BASE_DIR / "sent-emails"
vars().update(env.email_url("EMAIL_URL", default=f"filemail:///{EMAIL_FILE_DIR}"))
# Seconds the worker waits on each step of a conversation with the mail server.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)

# Background work (the outbox, reminders) goes through Django's Tasks framework (the
# django-tasks backport): the queue is a table in this database, run by
# `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

STRAVA_CLIENT_ID = env.str("STRAVA_CLIENT_ID", default="")
STRAVA_CLIENT_SECRET = env.str("STRAVA_CLIENT_SECRET", default="")
STRAVA_OAUTH_URL = env.str("STRAVA_OAUTH_URL", default="https://www.strava.com/oauth").rstrip("/")
STRAVA_API_URL = env.str("STRAVA_API_URL", default="https://www.strava.com/api/v3").rstrip("/")
STRAVA_WEBHOOK_VERIFY_TOKEN = env.str("STRAVA_WEBHOOK_VERIFY_TOKEN", default="")
# How many athletes the Strava app may connect (its page at Strava shows it; 10 for a
# new Standard-tier app): past it, Strava refuses new ones on its own page, so join run
# tells a runner before sending them there.
STRAVA_ATHLETE_CAPACITY = env.int("STRAVA_ATHLETE_CAPACITY", default=10)
# Seconds to wait for Strava (read; connecting gets at most 3): a page that asks Strava
# never hangs longer than this.
STRAVA_TIMEOUT = env.float("STRAVA_TIMEOUT", default=8.0)
# Fernet keys for tokens at rest, newest first (joinrun/encryption.py); when empty, one
# is derived from SECRET_KEY.
TOKEN_KEYS = env.list("TOKEN_KEYS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.sessions",  # for `clearsessions`; our session rows are accounts.Session
    "django.contrib.staticfiles",
    # Apps may import from joinrun/ and from apps listed before them, never backwards.
    "accounts",
    "clubs",
    "runs",
    "strava",
    "privacy",
    # After the apps (its register entry is erased first: it points at their accounts),
    # before django_tasks_db, so its `db_worker` (which first recovers what a killed
    # worker left) replaces the package's.
    "joinrun.outbox",
    "django_tasks",
    "django_tasks_db",
    # Second factors (accounts/second_factor.py): TOTP apps and one-time recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Passkeys (accounts/passkeys.py): sign-in without a password, and a second factor.
    "django_otp_webauthn",
]

MIDDLEWARE = [
    "privacy.middleware.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "privacy.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Stored public pages for visitors without cookies, before everything below.
    "joinrun.page_cache.SignedOutPages",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # A new session's coarse browser name ("Firefox on Android") for My account.
    "accounts.sessions.BrowserMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the account loaded in the session's own query (accounts/backends.py).
    "accounts.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): a second factor was given in this session.
    "django_otp.middleware.OTPMiddleware",
    # Whoever has a second factor gives it before any other page (accounts/second_factor.py).
    "accounts.second_factor.SecondStepMiddleware",
    # A signed-in person's pages in their account's language (visitors: Accept-Language).
    "accounts.middleware.AccountLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "joinrun.unreadable_forms.UnreadableFormMiddleware",
]

ROOT_URLCONF = "joinrun.urls"
WSGI_APPLICATION = "joinrun.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "joinrun.context_processors.site",
            ],
            # ``|html_datetime`` for <time datetime>, in every template.
            "builtins": ["joinrun.html_time"],
            # {% kept %}: fragments kept per language, with the CSRF token put in per request.
            "libraries": {"page_cache": "joinrun.page_cache"},
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL says otherwise.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers write to one file: WAL lets readers and a writer work at
    # once, IMMEDIATE takes the write lock when a transaction starts (so two writers queue
    # instead of failing mid-transaction), and the busy timeout is how long they queue.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Each worker keeps its connection between requests: opening one (and, on SQLite, running
# the PRAGMAs above) cost more than the rest of a run page.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The shared cache holds rate-limit counters; a file cache is shared by every worker on
# one machine. Use Redis or Memcached (CACHE_URL) when there are several machines.
CACHES = {
    "default": env.cache("CACHE_URL", default=f"filecache://{BASE_DIR / '.django_cache'}"),
    # Whole public pages for signed-out visitors (joinrun/page_cache.py), in each worker's
    # memory. Kept apart from "default" so pages never push out the rate-limit counters.
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "TIMEOUT": 120,
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
}

if CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    # Django's default of 300 entries culls a random third when full: rate-limit counters
    # and Strava's pauses must not be among them. Not far more: every write lists the
    # cache's folder to count its files.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 3000)

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "runs:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("email", "display_name")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3
# The name authenticator apps show next to the codes for join run.
OTP_TOTP_ISSUER = "join run"
# Django's and django-otp-webauthn's, answering from the account row a session's query
# loaded with it (accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.PasswordBackend",
    # Signing in with a passkey alone (accounts/passkey_views.py).
    "accounts.backends.PasskeyBackend",
]
# Passkeys belong to the site's host name. Browsers refuse them on an IP address, so a
# SITE_URL of http://127.0.0.1:8000 offers them at http://localhost:8000.
PASSKEY_ORIGIN = passkey_origin(SITE_URL)
OTP_WEBAUTHN_RP_ID = PASSKEY_ORIGIN.split("://", 1)[1].rsplit(":", 1)[0]
OTP_WEBAUTHN_RP_NAME = "join run"
OTP_WEBAUTHN_ALLOWED_ORIGINS = [PASSKEY_ORIGIN]
OTP_WEBAUTHN_HELPER_CLASS = "accounts.passkeys.PasskeyHelper"
# The package would log every refused answer with its traceback (and strings the browser
# chose): anyone could fill the log. Refusals are answered with a 4xx and a message.
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = ""

# Sessions: database rows that know their user, so erasing an account or changing a
# password ends every session server-side. "Remember me" sets 30 days; without it the
# cookie ends with the browser (accounts.views.login_view).
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_AGE = int(timedelta(days=30).total_seconds())
SESSION_EXPIRE_AT_BROWSER_CLOSE = True  # unless "Remember me" asked for 30 days
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "joinrun.views.csrf_failure"
# Messages live in the session, never in a cookie of their own, so they are only used
# where somebody is signed in.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Failed password checks (login, and re-entering it on the account pages) and password
# reset emails allowed per window, counted in the shared cache.
LOGIN_RATE_LIMIT = env.int("LOGIN_RATE_LIMIT", default=10)
LOGIN_RATE_WINDOW = env.int("LOGIN_RATE_WINDOW", default=15 * 60)
PASSWORD_RESET_RATE_LIMIT = env.int("PASSWORD_RESET_RATE_LIMIT", default=5)
PASSWORD_RESET_RATE_WINDOW = env.int("PASSWORD_RESET_RATE_WINDOW", default=60 * 60)

# Security headers; the Content-Security-Policy and Permissions-Policy are set by
# privacy.middleware.SecurityHeadersMiddleware.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = [SITE_URL]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("sl", "Slovenščina")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# How runs show their day and time, per language (joinrun/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["joinrun.formats"]

# Data-request exports (privacy admin): JSON files outside the web root, deleted after 7 days.
DATA_EXPORT_DIR = env.str("DATA_EXPORT_DIR", default=str(BASE_DIR / "exports"))

# Uploads (a run's GPX route): no file beyond 5 MB is kept, in memory or on disk.
FILE_UPLOAD_HANDLERS = [
    "joinrun.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# One access line per request (privacy.middleware) and nothing that names a person.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(message)s"}},
    # Django's own warnings can quote a client's address or a full Referer URL.
    "filters": {"redact": {"()": "joinrun.log_redaction.RedactAddresses"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
    },
    "loggers": {
        "joinrun.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
