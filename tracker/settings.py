"""Settings for tracker, read from the environment (see README, "Configuration").

With nothing set, everything runs on embedded defaults: SQLite and a file-system Celery
broker under ./var, e-mail written to files. DATABASE_URL and REDIS_URL switch to the real
PostgreSQL and Redis. DEBUG is off unless set; in production (DEBUG off on PostgreSQL or
Redis) the settings refuse to start without SECRET_KEY and SITE_URL.
"""

import contextlib
import ipaddress
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django_guid.integrations import CeleryIntegration

from .env import env_bool, env_float, env_int, env_list, env_str
from .logs import logging_config
from .sentry import init_sentry

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("TRACKER_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "tracker",
    "missions",
    "partners",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files with DEBUG off (see "Processes")
    "tracker.security.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # a locked-out sign-in gets security.lockout_response
    "tracker.middleware.DatabaseUnavailableMiddleware",  # last: a lost database is a 503
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"
AUTH_USER_MODEL = "tracker.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "tracker.sqlite3"),
            "OPTIONS": {"timeout": 20},
            # Kept open across requests as on PostgreSQL: reopening the file and setting it up
            # cost about a millisecond per request, more than a cached API page.
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
            "CONN_HEALTH_CHECKS": True,
        }
    }
# Lets parallel test runs on one PostgreSQL server use their own test database.
if env_str("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Processes and safe defaults (procs; docs/deploy.md) ----------------------------------
# DEBUG is off unless asked for (`make dev` asks). "Production" is DEBUG off on the real
# services (DATABASE_URL or REDIS_URL set): there SECRET_KEY and SITE_URL must be set, and
# start-up stops naming the one missing. On the embedded defaults (`make run`, the SQLite
# tests) nothing needs setting: the secret key is made once into var/secret-key (0600).
DEBUG = env_bool("DEBUG", default=False)
EMBEDDED = not DATABASE_URL and not env_str("REDIS_URL")
PRODUCTION = not DEBUG and not EMBEDDED
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off on PostgreSQL or Redis (production)"
        )
    _key_file = VAR_DIR / "secret-key"
    if not _key_file.exists():
        # Written beside and linked into place: parallel first starts agree on one key, and
        # no process ever reads a half-written file.
        _draft = VAR_DIR / f".secret-key.{os.getpid()}"
        _fd = os.open(_draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(_fd, "w") as _out:
            _out.write(secrets.token_urlsafe(50))
        with contextlib.suppress(FileExistsError):
            os.link(_draft, _key_file)
        _draft.unlink()
    SECRET_KEY = _key_file.read_text().strip()

# Where the site is reached (scheme, host, port; no path): the base of the links in e-mails.
SITE_URL = env_str("SITE_URL").rstrip("/")
if not SITE_URL:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SITE_URL must be set when DEBUG is off on PostgreSQL or Redis (production), "
            "e.g. https://tracker.example.org: the links in report e-mails start with it"
        )
    SITE_URL = "http://127.0.0.1:8000"  # what `make run` and `make dev` serve
if not re.fullmatch(r"https?://[^/?#\s]+", SITE_URL):
    raise ImproperlyConfigured(f"SITE_URL must be http(s)://host[:port] with no path, not {SITE_URL!r}")

# HTTPS follows SITE_URL: served at an https:// address (production's usual case), plain HTTP
# is redirected, HSTS is sent and cookies are marked Secure; at http:// (`make run` on
# loopback) none of them, or the admin's sign-in cookies would never come back.
SITE_IS_HTTPS = SITE_URL.startswith("https://")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=SITE_IS_HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if SITE_IS_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SITE_IS_HTTPS
# The header a TLS-terminating reverse proxy sets to "https" (it must overwrite what clients
# send); empty: none is trusted. On by default in production, where a proxy is expected.
_proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto" if PRODUCTION else "")
if not re.fullmatch(r"[A-Za-z0-9-]*", _proxy_ssl_header):
    raise ImproperlyConfigured(
        f"SECURE_PROXY_SSL_HEADER must be an HTTP header name, not {_proxy_ssl_header!r}"
    )
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")

# Static files (the admin's, the API docs'): WhiteNoise serves them from the web process with
# DEBUG off, from STATIC_ROOT with their gzip and Brotli copies once `manage.py collectstatic`
# (which bootstrap runs) has filled it; before that, from the apps' own folders, uncompressed
# (WhiteNoise would otherwise prefer those to STATIC_ROOT's files and their compressed copies).
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up about a missing one
WHITENOISE_USE_FINDERS = not any(STATIC_ROOT.iterdir())

# Database connections: on PostgreSQL each process keeps a psycopg pool of at most DB_POOL_MAX
# connections, shared by its threads (a thread past that waits up to DB_POOL_TIMEOUT seconds,
# then gets a 503). The server sees at most (gunicorn workers + Celery worker processes + beat)
# x DB_POOL_MAX connections whatever the load; size it to WEB_THREADS (docs/deploy.md).
# DB_POOL_MAX=0 turns the pool off: one connection per thread kept for DB_CONN_MAX_AGE.
DB_POOL_MIN = env_int("DB_POOL_MIN", 0)
DB_POOL_MAX = env_int("DB_POOL_MAX", 4)
DB_POOL_TIMEOUT = env_float("DB_POOL_TIMEOUT", 10.0)
if not 0 <= DB_POOL_MIN <= DB_POOL_MAX:
    raise ImproperlyConfigured(
        f"DB_POOL_MIN ({DB_POOL_MIN}) must be 0 or more and at most DB_POOL_MAX ({DB_POOL_MAX})"
    )
if DB_POOL_TIMEOUT <= 0:
    raise ImproperlyConfigured(f"DB_POOL_TIMEOUT must be more than 0 seconds, not {DB_POOL_TIMEOUT}")
if DATABASE_URL and DB_POOL_MAX > 0:
    # CONN_HEALTH_CHECKS (on) makes Django's pool check each connection as it is handed out:
    # one left broken by a database restart is replaced instead of failing a request.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them; Django refuses both
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": DB_POOL_MIN,
        "max_size": DB_POOL_MAX,
        "timeout": DB_POOL_TIMEOUT,
        "max_idle": 300,  # an idle connection above min_size is closed after 5 minutes
    }

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

MEDIA_URL = "media/"  # never served: report files go out through views that check who asks
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# --- Upload limits (bad input is refused, never half-read) ------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- File storage (report files) ---------------------------------------------------------
# The file system under MEDIA_ROOT by default; S3-compatible object storage (django-storages)
# when S3_BUCKET is set. Either way files are private: no URL of the storage is ever handed out,
# and the API and the admin stream them after the visibility check (reports/services/downloads.py).
# Objects are written without an ACL, so they keep the bucket's (private unless made public).
S3_BUCKET = env_str("S3_BUCKET")
_default_storage: dict[str, object] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,  # None: AWS itself
            "region_name": env_str("S3_REGION") or None,
            # None: boto3's own chain (AWS_ACCESS_KEY_ID, a profile, an instance role).
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("S3_PREFIX"),
            "default_acl": None,
            "querystring_auth": True,  # a storage URL, if anything asked for one, would be signed
            "file_overwrite": False,
            # A download reads the object through a spooled file: past this size, on disk, not in memory.
            "max_memory_size": FILE_UPLOAD_MAX_MEMORY_SIZE,
        },
    }
STORAGES = {
    "default": _default_storage,
    # gzip and Brotli copies made by collectstatic, served by WhiteNoise (see "Processes").
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Passwords and sessions -------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# HTTPS (redirect, HSTS, secure cookies): see "Processes and safe defaults" above.

# --- Password guessing (django-axes; tracker/security.py) --------------------------------
# After LOGIN_LOCKOUT_FAILURES failed sign-ins for one user name from one address, that name is
# refused at that address until LOGIN_LOCKOUT_SECONDS pass without a further attempt; other
# addresses are not affected. A successful sign-in clears the count.
AUTHENTICATION_BACKENDS = [
    "tracker.security.LoginAttemptBackend",  # first: refuses before a password is checked
    "tracker.security.OneQueryModelBackend",
]
LOGIN_LOCKOUT_FAILURES = env_int("LOGIN_LOCKOUT_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900)
LOGIN_LOG_DAYS = env_int("LOGIN_LOG_DAYS", 90)  # successful sign-ins (axes' access log) kept
for _name, _value in [
    ("LOGIN_LOCKOUT_FAILURES", LOGIN_LOCKOUT_FAILURES),
    ("LOGIN_LOCKOUT_SECONDS", LOGIN_LOCKOUT_SECONDS),
    ("LOGIN_LOG_DAYS", LOGIN_LOG_DAYS),
]:
    if _value < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more, not {_value}")
AXES_ENABLED = True
AXES_LOCK_OUT_AT_FAILURE = True
AXES_ONLY_ADMIN_SITE = False  # every password sign-in counts, whatever the page
AXES_FAILURE_LIMIT = LOGIN_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_LOCKOUT_SECONDS)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True  # what LoginAttemptHandler does
AXES_HANDLER = "tracker.security.LoginAttemptHandler"
AXES_LOCKOUT_CALLABLE = "tracker.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "tracker.security.client_ip"
AXES_VERBOSE = False  # no start-up banner on every command
# The client's address: REMOTE_ADDR, unless TRUSTED_PROXY_COUNT reverse proxies stand in front
# (each appending its peer to CLIENT_IP_HEADER). Never set it where clients can reach the
# site directly: they could then write the header themselves.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER", "X-Forwarded-For")
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}")
if not re.fullmatch(r"[A-Za-z0-9-]+", CLIENT_IP_HEADER):
    raise ImproperlyConfigured(f"CLIENT_IP_HEADER must be an HTTP header name, not {CLIENT_IP_HEADER!r}")

# --- E-mail -----------------------------------------------------------------------------
# Report e-mail: the organisation's own domains (its users' addresses) and the outside domains an
# administrator allows for a schedule's extra addresses (comma-separated, lower case; empty: none).
ORGANISATION_EMAIL_DOMAINS = [d.lower() for d in env_list("ORGANISATION_EMAIL_DOMAINS", [])]
REPORT_ALLOWED_EXTERNAL_DOMAINS = [d.lower() for d in env_list("REPORT_ALLOWED_EXTERNAL_DOMAINS", [])]
# Report schedules one account may create (counted on created_by; the service refuses the next).
REPORT_SCHEDULES_PER_USER = env_int("REPORT_SCHEDULES_PER_USER", 20)
if REPORT_SCHEDULES_PER_USER < 1:
    raise ImproperlyConfigured(
        f"REPORT_SCHEDULES_PER_USER must be 1 or more, not {REPORT_SCHEDULES_PER_USER}"
    )

# SITE_URL, the base of the links in e-mails: see "Processes and safe defaults" above.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tracker@localhost")

# --- Cache (API throttle counts, cached API pages): shared through Redis when configured ----
# "api-pages" holds cached API list pages (tracker/api/list_cache.py) apart from the default
# cache, so big pages never push throttle counters out; per process and bounded without Redis.
# REDIS_CACHE_URL may put the cache in another Redis database (or server) than the broker:
# advisable where Redis evicts keys under memory pressure, which must never hit queued tasks.
#
# Redis away (stopped, or hung: accepting connections and never answering) never fails a
# request (tracker/outages.py). Each cache call gives up after REDIS_CACHE_SOCKET_TIMEOUT
# seconds (to connect, or for an answer) and is then served by a bounded store of the process
# (tracker/redis_cache.py: throttle counts become per process); each publish gives up after
# REDIS_BROKER_SOCKET_TIMEOUT, retried once (CELERY_TASK_PUBLISH_RETRY_POLICY), and its row
# stays pending for its sweep (tracker/publishing.py). After a failure a process does not ask
# that Redis again for REDIS_RETRY_SECONDS, so a hung Redis costs a request at most about one
# timeout, once per process and window; a warning is logged at most once a minute meanwhile.
REDIS_CACHE_SOCKET_TIMEOUT = env_float("REDIS_CACHE_SOCKET_TIMEOUT", 0.5)
REDIS_RETRY_SECONDS = env_float("REDIS_RETRY_SECONDS", 5.0)
REDIS_BROKER_SOCKET_TIMEOUT = env_float("REDIS_BROKER_SOCKET_TIMEOUT", 1.0)
for _name, _seconds in [
    ("REDIS_CACHE_SOCKET_TIMEOUT", REDIS_CACHE_SOCKET_TIMEOUT),
    ("REDIS_RETRY_SECONDS", REDIS_RETRY_SECONDS),
    ("REDIS_BROKER_SOCKET_TIMEOUT", REDIS_BROKER_SOCKET_TIMEOUT),
]:
    if not 0 < _seconds <= 60:
        raise ImproperlyConfigured(f"{_name} must be more than 0 and at most 60 seconds, not {_seconds}")
CACHES: dict[str, dict[str, Any]]
if env_str("REDIS_URL"):
    _REDIS_CACHE: dict[str, Any] = {
        "BACKEND": "tracker.redis_cache.FallbackRedisCache",
        "LOCATION": env_str("REDIS_CACHE_URL") or env_str("REDIS_URL"),
        "OPTIONS": {
            "socket_connect_timeout": REDIS_CACHE_SOCKET_TIMEOUT,
            "socket_timeout": REDIS_CACHE_SOCKET_TIMEOUT,
        },
    }
    CACHES = {
        "default": {**_REDIS_CACHE, "KEY_PREFIX": "tracker"},
        # While Redis is away a process keeps at most 50 pages (a page is up to 1 MB).
        "api-pages": {**_REDIS_CACHE, "KEY_PREFIX": "tracker-pages", "FALLBACK_MAX_ENTRIES": 50},
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"},
        "api-pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "api-pages",
            "OPTIONS": {"MAX_ENTRIES": 200},
        },
    }

# --- Celery -----------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object]
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than the longest task (see task time limits), so a running task is not
        # redelivered to a second worker; a task whose worker died comes back after this.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 900),
        # See "Redis away" above. A worker waits for messages with BRPOP read only when the
        # socket is readable, so a short timeout does not cut that wait.
        "socket_timeout": REDIS_BROKER_SOCKET_TIMEOUT,
        "socket_connect_timeout": REDIS_BROKER_SOCKET_TIMEOUT,
        # One attempt per publish try: redis-py's own retry would double each wait on a hung Redis.
        "retry_on_timeout": False,
    }
else:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "data_folder_processed": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 5
# One retry, 0.1 s later (a connection Redis closed on restart is replaced): a publish gives up
# within 2 x REDIS_BROKER_SOCKET_TIMEOUT + 0.1 s on a hung Redis, at once on a stopped one.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.1, "interval_step": 0.2}
CELERY_TIMEZONE = TIME_ZONE
# Entries are named "<what>-v<version>"; change the version when an entry's meaning changes.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "refresh-indicators-nightly-v1": {
        "task": "reports.tasks.refresh_standard_indicators_task",
        "schedule": crontab(hour=2, minute=15),
    },
    "dispatch-due-reports-v1": {
        "task": "reports.tasks.dispatch_due_reports_task",
        "schedule": timedelta(minutes=5),
    },
    # Computation runs still pending after INDICATORS_RESEND_PENDING_AFTER seconds (the broker
    # was down when they were requested) are sent again; a duplicate message is a no-op.
    "resend-pending-runs-v1": {
        "task": "reports.tasks.resend_pending_runs_task",
        "schedule": timedelta(minutes=5),
    },
    # Reports, deliveries and computation runs whose worker stopped (lapsed lease: LEASE_SECONDS)
    # go back to pending and are sent again, or fail with their reason (reports/services/recovery.py).
    "sweep-expired-leases-v1": {
        "task": "reports.tasks.sweep_expired_leases_task",
        "schedule": timedelta(minutes=1),
    },
    # API Idempotency-Key records live 24 hours (tracker.api.idempotency); expired ones go hourly.
    "purge-idempotency-keys-v1": {
        "task": "tracker.tasks.purge_expired_idempotency_keys_task",
        "schedule": timedelta(hours=1),
    },
    # The API list cache's change log (tracker/api/list_cache.py) keeps its last 1,000 rows
    # (its row count is read on every cached list, so it is pruned often).
    "prune-data-changes-v1": {
        "task": "tracker.tasks.prune_data_changes_task",
        "schedule": timedelta(minutes=10),
    },
    # Sign-in attempts past their cool-off and sign-in logs past LOGIN_LOG_DAYS (tracker/security.py).
    "prune-login-records-v1": {
        "task": "tracker.tasks.prune_login_records_task",
        "schedule": timedelta(hours=1),
    },
}
INDICATORS_RESEND_PENDING_AFTER = env_int("INDICATORS_RESEND_PENDING_AFTER", 300)
# Reports and deliveries still pending this many seconds after their task was handed to the
# broker (or never handed over: the broker was away) are sent again by the minute sweep.
REPORTS_RESEND_PENDING_AFTER = env_int("REPORTS_RESEND_PENDING_AFTER", 300)
# Leased work (tracker/leases.py: reports, deliveries, computation runs): a claim lapses after
# LEASE_SECONDS unless its worker's heartbeat (every third of it) renews it; the sweep then
# queues it again, and fails it with its reason after LEASE_MAX_ATTEMPTS claims.
LEASE_SECONDS = env_int("LEASE_SECONDS", 120)
LEASE_MAX_ATTEMPTS = env_int("LEASE_MAX_ATTEMPTS", 3)

# --- Scale-out: one beat dispatches (tracker/beat.py) -------------------------------------
# Any number of `celery -A tracker beat` processes may run (a standby on a second machine, an
# overlapping restart): only the one holding the beat lease in the database (tracker.BeatLease)
# sends the schedule's entries, each dispatch fenced by an UPDATE conditional on holding it. A
# standby takes over once the lease has lapsed: within BEAT_LEASE_SECONDS and a third of it
# after the active beat died (at once after a clean stop). The entries' last runs live in the
# same row, so no schedule file is kept (CELERY_BEAT_SCHEDULE_FILENAME is no longer used).
CELERY_BEAT_SCHEDULER = "tracker.beat:LeasedScheduler"
BEAT_LEASE_SECONDS = env_int("BEAT_LEASE_SECONDS", 30)
if not 3 <= BEAT_LEASE_SECONDS <= 600:
    raise ImproperlyConfigured(f"BEAT_LEASE_SECONDS must be from 3 to 600 seconds, not {BEAT_LEASE_SECONDS}")

# --- Import limits (missions/services/import_files.py; docs/reliability.md "Bounded imports") --
# A ratification or legislation file over IMPORT_MAX_BYTES or IMPORT_MAX_ROWS data rows is
# refused, naming the limit, at every door (admin import pages, manage.py import_*). Reports
# list at most IMPORT_MAX_LISTED errors and changed rows (the rest are counted). An upload in
# the admin over IMPORT_BACKGROUND_BYTES is imported by a Celery job (missions.ImportJob) whose
# progress the admin shows; its worker holds a lease (LEASE_SECONDS, LEASE_MAX_ATTEMPTS above).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 100_000)
IMPORT_MAX_LISTED = env_int("IMPORT_MAX_LISTED", 1_000)
IMPORT_BACKGROUND_BYTES = env_int("IMPORT_BACKGROUND_BYTES", 1024 * 1024)
for _name, _value in [
    ("IMPORT_MAX_BYTES", IMPORT_MAX_BYTES),
    ("IMPORT_MAX_ROWS", IMPORT_MAX_ROWS),
    ("IMPORT_MAX_LISTED", IMPORT_MAX_LISTED),
]:
    if _value < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more, not {_value}")
if IMPORT_BACKGROUND_BYTES < 0:
    raise ImproperlyConfigured(f"IMPORT_BACKGROUND_BYTES must be 0 or more, not {IMPORT_BACKGROUND_BYTES}")
# Running jobs whose lease lapsed go back to pending (or fail); jobs nobody picked up are re-sent.
CELERY_BEAT_SCHEDULE["sweep-import-jobs-v1"] = {
    "task": "missions.tasks.sweep_import_jobs_task",
    "schedule": timedelta(minutes=1),
}

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "tracker.api.filters.ApiFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tracker.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # browsers; enforces CSRF
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "tracker.api.permissions.TokenScope",
        "tracker.api.permissions.ModelPermissions",
    ],
    "DEFAULT_PAGINATION_CLASS": "tracker.api.pagination.ApiCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "tracker.api.renderers.CSVRenderer",
        "tracker.api.renderers.XLSXRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["tracker.api.parsers.SafeJSONParser"],
    "EXCEPTION_HANDLER": "tracker.api.exceptions.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["tracker.api.throttling.TokenRateThrottle"],
    # Per token (per user for sessions). Counted in the default cache: per process unless
    # CACHES points at a shared cache such as Redis, and per process while Redis is away.
    "DEFAULT_THROTTLE_RATES": {"token": env_str("API_THROTTLE_RATE", "600/minute")},
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Cached JSON pages of the activity list (tracker/api/list_cache.py): seconds an entry may
# live at most (a write makes it a miss at once); 0 turns the cache off.
API_LIST_CACHE_SECONDS = env_int("API_LIST_CACHE_SECONDS", 300)
SPECTACULAR_SETTINGS = {
    "TITLE": "tracker API",
    "DESCRIPTION": (
        "Records and impact of a UN office's counter-terrorism legal assistance. "
        "Authenticate with `Authorization: Bearer <token>` (tokens are issued in the admin). "
        "Lists are cursor-paginated (`page_size` up to 500) and filter by `updated_since` for "
        "incremental synchronisation; `?format=csv` or `?format=xlsx` gives spreadsheets. "
        "Errors are application/problem+json (RFC 9457). Updates and deletes need `If-Match` "
        "with the object's ETag; creates accept an `Idempotency-Key`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tracker.api.schema.add_problems",
    ],
    "ENUM_NAME_OVERRIDES": {
        "QualifierEnum": "missions.choices.Qualifier",
        "DatePrecisionEnum": "missions.choices.DatePrecision",
        "ReportFormatEnum": "reports.choices.ReportFormat",
        "ActivityKindEnum": "missions.choices.ActivityKind",
        "ActivityStatusEnum": "missions.choices.ActivityStatus",
        "ToolStatusEnum": "missions.choices.ToolStatus",
        "ActionPlanStatusEnum": "missions.choices.ActionPlanStatus",
        "FollowUpKindEnum": "missions.choices.FollowUpKind",
        "FollowUpStatusEnum": "missions.choices.FollowUpStatus",
        "OutcomeKindEnum": "missions.choices.OutcomeKind",
        "RegionKindEnum": "missions.choices.RegionKind",
        "LegislationKindEnum": "missions.choices.LegislationKind",
        "OrganisationKindEnum": "partners.choices.OrganisationKind",
        "PartnershipKindEnum": "partners.choices.PartnershipKind",
        "ContributionKindEnum": "partners.choices.ContributionKind",
        "DonorKindEnum": "partners.choices.DonorKind",
        "RunStatusEnum": "reports.choices.RunStatus",
    },
}

# --- Health and observability (docs/deploy.md "Health and observability") ------------------
# /health/live answers while the process does; /health/ready checks the database, the cache's
# Redis, the broker, a worker's heartbeat and beat's (tracker/health.py), each within
# HEALTH_CHECK_TIMEOUT seconds (plus one), and answers 503 naming what is down. Workers write
# their heartbeat every HEALTH_HEARTBEAT_SECONDS and beat whenever it sends a task (every minute
# with this schedule), and once a heartbeat is older than its STALE limit ready says so.
HEALTH_CHECK_TIMEOUT = env_float("HEALTH_CHECK_TIMEOUT", 2.0)
HEALTH_HEARTBEAT_SECONDS = env_float("HEALTH_HEARTBEAT_SECONDS", 15.0)
HEALTH_WORKER_STALE_SECONDS = env_float("HEALTH_WORKER_STALE_SECONDS", 60.0)
HEALTH_BEAT_STALE_SECONDS = env_float("HEALTH_BEAT_STALE_SECONDS", 180.0)
for _name, _seconds in [
    ("HEALTH_CHECK_TIMEOUT", HEALTH_CHECK_TIMEOUT),
    ("HEALTH_HEARTBEAT_SECONDS", HEALTH_HEARTBEAT_SECONDS),
    ("HEALTH_WORKER_STALE_SECONDS", HEALTH_WORKER_STALE_SECONDS),
    ("HEALTH_BEAT_STALE_SECONDS", HEALTH_BEAT_STALE_SECONDS),
]:
    if not 0 < _seconds <= 3600:
        raise ImproperlyConfigured(f"{_name} must be more than 0 and at most 3600 seconds, not {_seconds}")
if HEALTH_WORKER_STALE_SECONDS <= HEALTH_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        f"HEALTH_WORKER_STALE_SECONDS ({HEALTH_WORKER_STALE_SECONDS}) must be more than "
        f"HEALTH_HEARTBEAT_SECONDS ({HEALTH_HEARTBEAT_SECONDS}), or a live worker would look stale"
    )

# Logs (tracker/logs.py): LOG_FORMAT json (one object a line) or text; json unless DEBUG is on.
# Every line has the request's id (X-Request-ID: a valid incoming one is kept, otherwise one is
# made; the response returns it), also on the lines of the Celery tasks the request enqueued
# (django-guid, its Celery integration: the id travels in the task's headers). Credentials are
# redacted from every line, and a credential in a query string is refused with a 400
# (tracker/query_credentials.py) before any view runs.
LOG_FORMAT = env_str("LOG_FORMAT").strip().lower() or ("text" if DEBUG else "json")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").strip().upper()
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}"
    )
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,  # anything but a UUID (any of its spellings) is replaced by a new id
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "UUID_LENGTH": 32,
    # Celery's own logging is replaced by LOGGING in tracker/celery.py (setup_logging).
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=False, log_parent=False)],
}

# Prometheus (tracker/metrics.py): /metrics for the addresses of METRICS_ALLOWED_IPS (addresses or
# networks; default loopback only) or with "Authorization: Bearer <METRICS_TOKEN>" when set.
# Samples of every process go to files under PROMETHEUS_MULTIPROC_DIR (prometheus_client's
# multiprocess mode; set here before prometheus_client is first imported; "" turns it off).
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
METRICS_TOKEN = env_str("METRICS_TOKEN")
for _entry in METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_entry, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_IPS: {_entry!r} is not an address or a network"
        ) from _error
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 16 characters long")
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "prometheus"))
if PROMETHEUS_MULTIPROC_DIR:
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR
else:
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
INSTALLED_APPS += ["django_prometheus", "django_guid"]
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # first: times the whole request
    "django_guid.middleware.guid_middleware",  # the request id, before anything logs
    "tracker.query_credentials.QueryCredentialMiddleware",  # a credential in a URL: 400 at once
    *MIDDLEWARE,
]
MIDDLEWARE.insert(  # after the views' middleware, before the database-unavailable one (last)
    MIDDLEWARE.index("tracker.middleware.DatabaseUnavailableMiddleware"),
    "django_prometheus.middleware.PrometheusAfterMiddleware",
)
# Query counts and times by database: django-prometheus's wrapper of the same engine.
for _database in DATABASES.values():
    if str(_database["ENGINE"]).startswith("django.db.backends."):
        _database["ENGINE"] = str(_database["ENGINE"]).replace(
            "django.db.backends.", "django_prometheus.db.backends."
        )
        if _database["ENGINE"].endswith(".sqlite3"):
            # Django's own default (an in-memory test database), said out loud: pytest-django
            # recognises SQLite by Django's engine name only, and would make a file name of it.
            _database.setdefault("TEST", {}).setdefault("NAME", ":memory:")
# Probes and scrapers reach these over plain HTTP on the internal network.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]

# Sentry (errors of the web processes, the worker and beat) when SENTRY_DSN is set; nothing
# otherwise. No personal data is sent (send_default_pii off).
SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "development" if DEBUG else "production")
SENTRY_RELEASE = env_str("SENTRY_RELEASE")
SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0)
if not 0 <= SENTRY_TRACES_SAMPLE_RATE <= 1:
    raise ImproperlyConfigured(
        f"SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1, not {SENTRY_TRACES_SAMPLE_RATE}"
    )
if SENTRY_DSN:
    init_sentry(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE or None,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
