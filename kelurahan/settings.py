"""Settings for the kelurahan portal, read from the environment.

Development defaults are safe to run on a laptop; ``DJANGO_DEBUG=0`` switches to production
behaviour, refuses to start without ``DJANGO_SECRET_KEY`` and passes ``check --deploy``.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = env("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0 (production). "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    # Development only: a fixed, obviously insecure key so sessions survive restarts.
    SECRET_KEY = "django-insecure-dev-only-" + "x" * 40  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if not DEBUG else "*")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "kelurahan.apps.AxesConfig",  # django-axes, with an Indonesian heading
    "csp",
    "django_q",
    "kelurahan",
    "services",
    "verification",
    "simulation",  # manage.py simulate (the top floor: nothing imports it)
    # django-template-partials; loaders set up by hand below (SimpleAppConfig) so that
    # development keeps its uncached loaders.
    "template_partials.apps.SimpleAppConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kelurahan.middleware.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "kelurahan.middleware.NoStoreForStaffPagesMiddleware",
    # Axes must be last: it turns a lockout signalled by the auth backend into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kelurahan.urls"
WSGI_APPLICATION = "kelurahan.wsgi.application"
ASGI_APPLICATION = "kelurahan.asgi.application"

_loaders = [
    "django.template.loaders.filesystem.Loader",
    "django.template.loaders.app_directories.Loader",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "kelurahan.context_processors.portal",
                "verification.context_processors.rt_badge",
                "services.context_processors.bell",
            ],
            # The cached loader in production; plain loaders in development so edits show.
            # The partials loader around them finds "page.html#section" (a named partial).
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    _loaders if DEBUG else [("django.template.loaders.cached.Loader", _loaders)],
                )
            ],
            # {% partialdef %} in every template (the case page's sections) without a load.
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Database -----------------------------------------------------------------------------
# SQLite in the project folder by default; PostgreSQL (production) through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait (busy timeout)
        # instead of failing with "database is locked" on lock upgrade. WAL lets readers go on.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
    # Tests use a file too, so concurrency tests meet the real WAL + IMMEDIATE behaviour
    # (an in-memory shared-cache database locks differently).
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"kelurahan-test-{os.getpid()}.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out username+IP pairs before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, reading a user's permissions in one query (kelurahan/backends.py).
    "kelurahan.backends.PortalBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock one username from one address after repeated failures; colleagues behind the same
# office NAT keep working. The lock lifts by itself after the cool-off.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15")))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Number of reverse proxies in front (each appends the address it saw to X-Forwarded-For,
# as nginx's $proxy_add_x_forwarded_for does); kelurahan.access.client_ip reads it.
TRUSTED_PROXY_COUNT = int(env("AXES_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "kelurahan.access.client_ip"
AXES_VERBOSE = False

# Idle sessions expire after 30 minutes; activity renews the window (at most once a minute,
# kelurahan.middleware.SessionLifetimeMiddleware, instead of a write on every request).
SESSION_COOKIE_AGE = int(env("SESSION_IDLE_SECONDS", str(30 * 60)))
# However active, a session ends 12 hours after login.
SESSION_ABSOLUTE_SECONDS = int(env("SESSION_ABSOLUTE_SECONDS", str(12 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia")]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True
# Indonesian for third-party apps that ship none (django-q2's admin pages).
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Uploaded documents are private: they live outside STATIC_ROOT and are never given a public
# URL; a scoped view serves them.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
# No URL pattern serves this prefix and the web server must not either; it exists only
# because Django (and its test live server) expect a MEDIA_URL string.
MEDIA_URL = "/_private/"
FILE_UPLOAD_PERMISSIONS = 0o640
# Limits for residents' documents (services.documents.cleaning). FILE_UPLOAD_MAX_MEMORY_SIZE is
# only the spool-to-disk threshold, so the cap is enforced by the upload check itself; the
# reverse proxy should refuse bodies above ~25 MB (several files per request).
UPLOAD_MAX_BYTES = int(env("UPLOAD_MAX_MB", "10")) * 1024 * 1024
UPLOAD_MAX_PIXELS = 40_000_000
UPLOAD_IMAGE_MAX_SIDE = 2000
UPLOAD_MAX_PDF_PAGES = 20
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security headers ---------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        # The resident's WhatsApp button posts to us and is answered 303 to wa.me (which goes
        # on to api.whatsapp.com); browsers check form-action on every redirect of a submit.
        "form-action": [SELF, "https://wa.me", "https://api.whatsapp.com"],
    }
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- The 3-day SLA (services.sla) ----------------------------------------------------------
# Office hours (local time) and the daily cut-off: an application received after the cut-off
# starts its day 1 on the next working day. A milestone is due at the close of its day.
SLA_OFFICE_OPENS = env("SLA_OFFICE_OPENS", "08:00")
SLA_OFFICE_CLOSES = env("SLA_OFFICE_CLOSES", "16:00")
SLA_CUTOFF = env("SLA_CUTOFF", "14:00")
# The RT chair is reminded this many working hours before verify_due.
SLA_RT_REMINDER_HOURS = int(env("SLA_RT_REMINDER_HOURS", "3"))

# --- Background jobs (django-q2) ----------------------------------------------------------
# ORM broker by default (no extra server). `retry` must exceed `timeout`, or a slow task is
# handed to a second worker while the first still runs. On SQLite run one cluster only.
Q_CLUSTER = {
    "name": "kelurahan",
    "orm": "default",
    "workers": int(env("Q_WORKERS", "2")),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 3,
    "catch_up": True,
    "poll": 1,
    "ack_failures": True,
    "save_limit": 1000,
    "label": "Tugas latar",
}
if env("Q_REDIS_URL"):
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = env("Q_REDIS_URL")
if env_bool("Q_SYNC", False):
    Q_CLUSTER["sync"] = True

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
    },
}

# `make bench` only, never in production: the bench app (its command, seeding, and the floors
# of bench/views.py) and a root URLconf, bench/urls.py, that adds its URLs to the portal's.
BENCH_ENDPOINTS = env_bool("BENCH_ENDPOINTS", False)
if BENCH_ENDPOINTS:
    INSTALLED_APPS.append("bench")
    ROOT_URLCONF = "bench.urls"

# The public letter verification page: requests per minute from one address.
VERIFY_RATE_PER_MINUTE = int(env("VERIFY_RATE_PER_MINUTE", "30"))
# Public complaint form: reports accepted per address per hour (services.throttle).
COMPLAINTS_PER_HOUR = int(env("COMPLAINTS_PER_HOUR", "5"))

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", "layanan@kelurahan.local")
# Email (the resident's messages and the staff's notifications) gives up on a server that
# does not answer: Django's default is to wait forever, which would hold a job worker.
EMAIL_TIMEOUT = int(env("DJANGO_EMAIL_TIMEOUT", "20"))

# --- Messages to the resident (services.notifications.gateway, .sending) -----------------
# The backend that sends WhatsApp/SMS automatically, like EMAIL_BACKEND. The default sends
# nothing: WhatsApp messages wait for the officer's click-to-chat. The HTTP backend POSTs each
# message to the provider's URL below (only this URL: nothing a user types picks the address).
RESIDENT_MESSAGE_BACKEND = env(
    "RESIDENT_MESSAGE_BACKEND", "services.notifications.gateway.ClickToChatBackend"
)
RESIDENT_GATEWAY_URL = env("RESIDENT_GATEWAY_URL")
RESIDENT_GATEWAY_TOKEN = env("RESIDENT_GATEWAY_TOKEN")
RESIDENT_GATEWAY_TEMPLATE = env("RESIDENT_GATEWAY_TEMPLATE")
RESIDENT_GATEWAY_TIMEOUT = float(env("RESIDENT_GATEWAY_TIMEOUT", "10"))
# A message that fails with a temporary error (5xx, timeout, refused) is tried again after
# RETRY_SECONDS, doubling each time (at most an hour apart), and is marked failed after
# MAX_ATTEMPTS tries; the officer then sends it by click-to-chat.
RESIDENT_MESSAGE_MAX_ATTEMPTS = int(env("RESIDENT_MESSAGE_MAX_ATTEMPTS", "6"))
RESIDENT_MESSAGE_RETRY_SECONDS = int(env("RESIDENT_MESSAGE_RETRY_SECONDS", "60"))
if RESIDENT_MESSAGE_BACKEND == "services.notifications.gateway.HttpGatewayBackend" and not (
    RESIDENT_GATEWAY_URL.startswith(("https://", "http://"))
):
    raise ImproperlyConfigured(
        "RESIDENT_MESSAGE_BACKEND is the HTTP gateway: set RESIDENT_GATEWAY_URL to the "
        "provider's http(s):// address (and RESIDENT_GATEWAY_TOKEN)."
    )
