"""Settings for the kelurahan portal, read from the environment.

Development defaults are safe to run on a laptop; ``DJANGO_DEBUG=0`` switches to production
behaviour, refuses to start without ``DJANGO_SECRET_KEY`` and passes ``check --deploy``.
"""

import ipaddress
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
# The public address printed into every letter's QR code and every resident's link: an issued
# PDF never changes, so production refuses to run without it (kelurahan.checks, E002/E003).
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").strip().rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # The admin site is kelurahan.admin_site.PortalAdminSite: superusers with a second factor.
    "kelurahan.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "kelurahan.apps.AxesConfig",  # django-axes, with an Indonesian heading
    "csp",
    # Two-factor sign-in (TOTP) for superusers and supervisors (kelurahan/two_factor.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    # kelurahan before django_q: its `qcluster` command (the job key check, kelurahan.jobkey)
    # takes the place of django-q2's.
    "kelurahan",
    "django_q",
    "services",
    "verification",
    "simulation",  # manage.py simulate (the top floor: nothing imports it)
]

MIDDLEWARE = [
    # First: every log line of the request carries its id (kelurahan.logs).
    "kelurahan.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the path or the query: NUL and other control bytes → 404/400.
    "kelurahan.middleware.ControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # request.user.is_verified(); then superusers and supervisors are sent to the TOTP step
    # until they pass it (after the CSRF and login checks, which run in process_view first).
    "kelurahan.two_factor.PortalOTPMiddleware",
    "kelurahan.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Rate limits before any view runs (kelurahan.ratelimit): the login POST before the
    # password is hashed, and every public page.
    "kelurahan.login_limits.LoginLimitMiddleware",
    "kelurahan.middleware.PublicRateLimitMiddleware",
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
            "loaders": _loaders if DEBUG else [("django.template.loaders.cached.Loader", _loaders)],
            # {% url %} in every template, its argument-less URLs reversed once per process.
            "builtins": ["kelurahan.urltag"],
        },
    },
    {
        # The bodies of the hottest pages (``*.jinja`` beside their page, rendered only by
        # kelurahan.jinja.render_with_body): Jinja2 printed the queue's rows in about half
        # Django's time (issue 12). Compiled once per process, re-read in development.
        "BACKEND": "kelurahan.jinja.Jinja2",  # Django's, the CSRF token read once per render
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "kelurahan.jinja.environment"},
    },
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django turns psycopg's prepared statements off (prepare_threshold None); the reads of
    # kelurahan.prepared ask for theirs explicitly, which needs a threshold. Django's own
    # cursors bind client-side and never prepare, so no other query is affected.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 2**31 - 1)
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
# The authenticator app shows this name beside the six-digit code.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Portal Kelurahan")
# The device's key is never shown again after enrollment, not even to a superuser.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock one username from one address after repeated failures; colleagues behind the same
# office NAT keep working. The lock lifts by itself after the cool-off.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15")))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address (kelurahan.access.client_ip: axes, every rate limit, the logs).
# X-Forwarded-For is read only from a connection whose address is in TRUSTED_PROXIES
# (addresses or networks), and then its TRUSTED_PROXY_COUNT-th entry from the right: each
# proxy appends the address it saw (nginx: $proxy_add_x_forwarded_for). Anyone reaching the
# app port directly is known by REMOTE_ADDR whatever header they send. README "Di belakang proxy".
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", env("AXES_PROXY_COUNT", "0")))
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "127.0.0.1,::1")
try:
    [ipaddress.ip_network(item, strict=False) for item in TRUSTED_PROXIES]
except ValueError as exc:
    raise ImproperlyConfigured(
        f"TRUSTED_PROXIES: {exc}. Give addresses or networks, e.g. 10.0.0.1,10.0.1.0/24"
    ) from exc
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
# Django's database sessions, read with SQL compiled once per connection (kelurahan/sessions.py).
SESSION_ENGINE = "kelurahan.sessions"

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
# manage.py backup / restore (kelurahan.backup): where backups go, the age public keys that
# encrypt them (comma-separated; empty = a plain folder), and pg_dump's folder if not on PATH.
BACKUP_DIR = Path(env("BACKUP_DIR", str(BASE_DIR / "backups")))
BACKUP_AGE_RECIPIENTS = env_list("BACKUP_AGE_RECIPIENTS")
BACKUP_PG_BINDIR = env("BACKUP_PG_BINDIR")
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
# The decoding budget of one request (services.documents.budget, SECURITY.md J59): a service
# asks for 3–6 documents of 1–2 pages, so 16 files; 200 MP is those 16 at a phone's usual
# 12.5 MP, or five photos at the 40-MP per-file cap (~4 s of decoding at worst, PNG, here).
UPLOAD_MAX_FILES_PER_REQUEST = int(env("UPLOAD_MAX_FILES_PER_REQUEST", "16"))
UPLOAD_MAX_PIXELS_PER_REQUEST = int(env("UPLOAD_MAX_MEGAPIXELS_PER_REQUEST", "200")) * 1_000_000
# Django's own parser refuses (400) a body with more file parts than this, before any is
# spooled; above the budget, so up to 50 files still get the budget's clear message.
DATA_UPLOAD_MAX_NUMBER_FILES = 50
# Files kept for a form that failed (services.documents.pending): per session (40 files,
# 80 MB), per client address on the public forms, and in total for every session together,
# so anonymous visitors cannot fill the disk; deleted after 2 h (job every 10 min).
PENDING_UPLOAD_MAX_BYTES_PER_ADDRESS = (
    int(env("PENDING_UPLOAD_MAX_MB_PER_ADDRESS", "50")) * 1024 * 1024
)
PENDING_UPLOAD_TOTAL_MAX_BYTES = int(env("PENDING_UPLOAD_TOTAL_MAX_MB", "1024")) * 1024 * 1024
# Optional virus scan of every upload by ClamAV's daemon (services.documents.virus): a unix
# socket (Debian's clamav-daemon: /run/clamav/clamd.ctl) or host:port. Unset: no scan. Set
# but unreachable: uploads are refused (fail closed) until clamd answers again.
CLAMAV_SOCKET = env("CLAMAV_SOCKET", "")
CLAMAV_ADDRESS = env("CLAMAV_ADDRESS", "")
CLAMAV_TIMEOUT = float(env("CLAMAV_TIMEOUT", "10"))
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
# The reconciliation job (services.letters.renders): a letter or archive bundle still without
# its PDF this many minutes after its render was queued is queued again, at most
# RENDER_MAX_REQUEUES times; then the office's supervisors are alerted instead.
RENDER_RETRY_MINUTES = int(env("RENDER_RETRY_MINUTES", "10"))
RENDER_MAX_REQUEUES = int(env("RENDER_MAX_REQUEUES", "3"))
# /healthz answers 503 past these (kelurahan.health): tasks waiting, the oldest one's age,
# failed tasks in the last hour, and letters/bundles still without a PDF after
# RENDER_RETRY_MINUTES (services.letters.renders).
HEALTH_MAX_QUEUED = int(env("HEALTH_MAX_QUEUED", "500"))
HEALTH_MAX_QUEUE_AGE_SECONDS = int(env("HEALTH_MAX_QUEUE_AGE_SECONDS", "900"))
HEALTH_MAX_FAILED_PER_HOUR = int(env("HEALTH_MAX_FAILED_PER_HOUR", "20"))
HEALTH_MAX_UNRENDERED = int(env("HEALTH_MAX_UNRENDERED", "5"))
if env("Q_REDIS_URL"):
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = env("Q_REDIS_URL")
if env_bool("Q_SYNC", False):
    Q_CLUSTER["sync"] = True

# --- Scale-out (REDIS_URL; docs/deploy.md) ------------------------------------------------
# With REDIS_URL every node shares one Redis: django-q2's broker, Django's cache (rate-limit
# counters, cached_db sessions). Unset: nothing here changes. MEDIA_ROOT must then be a folder
# every node mounts. PRIVATE_MEDIA_ACCEL_PREFIX (e.g. /_protected): scoped views answer with
# X-Accel-Redirect and nginx sends the file (its `internal` location aliases MEDIA_ROOT).
PRIVATE_MEDIA_ACCEL_PREFIX = env("PRIVATE_MEDIA_ACCEL_PREFIX", "")
REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    Q_CLUSTER.pop("orm", None)
    Q_CLUSTER["redis"] = REDIS_URL
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Logging ------------------------------------------------------------------------------
# JSON lines with UTC times, the request id and the user id; NIK/KK numbers and phone numbers
# masked in every line (kelurahan.logs). DJANGO_LOG_FORMAT=plain prints readable lines instead.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "kelurahan.logs.RequestContextFilter"},
        "scrub": {"()": "kelurahan.logs.ScrubPersonalDataFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "json": {"()": "kelurahan.logs.UtcJsonFormatter"},
        "plain": {
            "()": "kelurahan.logs.UtcPlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s u=%(user_id)s] "
            "%(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if env("DJANGO_LOG_FORMAT", "json") == "plain" else "json",
            "filters": ["context", "scrub"],
        },
        # A 500 (and django.security errors) in production mails ADMINS, scrubbed of NIK/KK
        # and phone numbers (kelurahan/errors.py). It needs the record's request object, so
        # the console's filters (which turn it into its masked path) are not on it; it runs
        # first ("django" before the root logger).
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "kelurahan.errors.ScrubbedAdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Replaces Django's default handlers for "django" (whose mail_admins is unscrubbed,
        # and whose console would print runserver's request lines, query strings included).
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
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

# --- Rate limits (kelurahan.ratelimit, on CACHES["default"]) ------------------------------
# The default cache is per process: each gunicorn worker counts alone. Several workers or nodes
# share one cache through DJANGO_CACHE_URL (redis://… with the redis package, or "db" for a
# table in the database: run `manage.py createcachetable`).
_cache_url = env("DJANGO_CACHE_URL")
if _cache_url.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
        }
    }
elif _cache_url == "db":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
        }
    }
elif _cache_url:
    raise ImproperlyConfigured("DJANGO_CACHE_URL: give redis://host:6379/0 or db.")
# Scale-out: REDIS_URL is the cache too unless DJANGO_CACHE_URL names another.
if REDIS_URL and not _cache_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }

# The login POST, per address, before any password is hashed: a clock minute's posts. An
# office of 20 behind one NAT logging in at 08:00 stays under it; a guessing script is cut off.
LOGIN_RATE_PER_MINUTE = int(env("LOGIN_RATE_PER_MINUTE", "20"))
# Failed logins from one address, whatever the usernames: the address is refused for the
# lock time. Higher than the per-account lock (AXES_FAILURE_LIMIT) so one colleague's typos
# never lock the office's NAT.
LOGIN_ADDRESS_FAILURES = int(env("LOGIN_ADDRESS_FAILURES", "30"))
LOGIN_ADDRESS_LOCK_MINUTES = int(env("LOGIN_ADDRESS_LOCK_MINUTES", "15"))
# Failed logins of one username from any address (a guess spread over many addresses):
# at most 50 an hour, within ASVS 4.0.3 2.2.1's 100.
LOGIN_USERNAME_FAILURES = int(env("LOGIN_USERNAME_FAILURES", "50"))
LOGIN_USERNAME_LOCK_MINUTES = int(env("LOGIN_USERNAME_LOCK_MINUTES", "60"))
# The login views whose POST the three limits above guard (URL names): the password step and
# the TOTP step after it (django-otp also slows wrong codes down per device).
LOGIN_THROTTLED_VIEWS = ["login", "admin:login", "second_factor", "second_factor_setup"]
# Every public page and form (a view marked login_not_required), per address per minute.
# Residents behind one mobile carrier's NAT share an address: 60 is a page a second.
PUBLIC_RATE_PER_MINUTE = int(env("PUBLIC_RATE_PER_MINUTE", "60"))
# Public views left out: the health check (probed by the load balancer), the login views
# (their own limits above), logout; the admin has its own login.
PUBLIC_RATE_EXEMPT = ["health", "login", "logout"]
# The public letter verification page: requests per minute from one address.
VERIFY_RATE_PER_MINUTE = int(env("VERIFY_RATE_PER_MINUTE", "30"))
# Public complaint form: reports accepted per address per hour (services.throttle).
COMPLAINTS_PER_HOUR = int(env("COMPLAINTS_PER_HOUR", "5"))
# Staff case and document views (case page, receipt, scans, letter and bundle PDFs; the RT
# chair's request pages): distinct cases one user opens in a clock hour. Reopening a case, its
# scans and PDFs does not count again. 150 is more than a busy office's whole day of intake
# opened in one hour (a 50-row queue page worked through three times over); a script walking
# every case of the office passes it within minutes. Above it: 429 until the hour ends, and
# the office's supervisors get one notification per user per hour
# (services.throttle.case_view_budget).
CASE_VIEWS_PER_HOUR = int(env("CASE_VIEWS_PER_HOUR", "150"))

# UU PDP retention (services.pdp.retention), counted from the day a case closed: its files
# (documents, bundle, letter PDFs) are deleted after the first, its personal data replaced
# after the second. Letters' numbers and hashes stay for verification.
PDP_DOCUMENTS_RETENTION_DAYS = int(env("PDP_DOCUMENTS_RETENTION_DAYS", "730"))
PDP_ANONYMISE_AFTER_DAYS = int(env("PDP_ANONYMISE_AFTER_DAYS", "1826"))
if PDP_ANONYMISE_AFTER_DAYS < PDP_DOCUMENTS_RETENTION_DAYS:
    raise ImproperlyConfigured(
        "PDP_ANONYMISE_AFTER_DAYS must not be shorter than PDP_DOCUMENTS_RETENTION_DAYS."
    )

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", "layanan@kelurahan.local")
EMAIL_HOST = env("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", False)


def env_admins(name: str) -> list[tuple[str, str]]:
    """``DJANGO_ADMINS="Nama <a@b.id>, Lain <c@d.id>"`` → [("Nama", "a@b.id"), ...]."""
    from email.utils import getaddresses

    return [(n, a) for n, a in getaddresses([env(name)]) if "@" in a]


# Who receives error reports (a 500 in production) by email; none when unset.
ADMINS = env_admins("DJANGO_ADMINS")
SERVER_EMAIL = env("DJANGO_SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = "[Portal Kelurahan] "
# Error reports hide personal data: fields by name and any NIK/KK/phone-shaped value.
DEFAULT_EXCEPTION_REPORTER_FILTER = "kelurahan.errors.PortalExceptionReporterFilter"
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
