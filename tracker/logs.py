"""Log configuration of every process: Django (web), gunicorn, Celery worker and beat.

``LOG_FORMAT`` is ``json`` (one JSON object a line, python-json-logger) or ``text``; unset, it is
``json`` with ``DEBUG`` off and ``text`` with it on. Every line carries

- ``request_id``: the request's id (django-guid: a valid incoming ``X-Request-ID`` is kept,
  anything else replaced by a new one, and the response returns it), also on the lines of the
  Celery tasks that request enqueued (django-guid's Celery integration sends it in the task's
  headers and sets it while the worker runs the task);
- ``task_name`` and ``task_id`` on a worker's lines while it runs a task.

The formatters (``JsonFormatter``, ``TextFormatter``) redact every line before it is written
(a copy of the record: other handlers see it unchanged): credentials in URLs' query strings
(``?token=``, ``?api_key=`` ...: ``CREDENTIAL_PARAMETERS``), the value of an ``Authorization``
header or a ``Bearer``/``Token`` credential, an API secret (``trk_...``), and the value of a
``password=``/``secret=``-like pair, in messages, added fields and tracebacks. Such a request is refused
(tracker.query_credentials), but its request line still reaches the access log.

``gunicorn_logconfig_dict()`` is gunicorn's ``logconfig_dict`` (tracker/gunicorn.py): the same
formatters and filters for ``gunicorn.error`` and ``gunicorn.access``; an access line in JSON
has method, path (query redacted), status, bytes, duration_ms, remote_addr and the response's
request_id.
"""

import logging
import re
from typing import Any

import pythonjsonlogger.json

#: Query parameters that carry a credential (compared without regard to case): refused by
#: tracker.query_credentials, redacted here.
CREDENTIAL_PARAMETERS = frozenset(
    {
        "token",
        "access_token",
        "auth_token",
        "api_key",
        "apikey",
        "api-key",
        "key",
        "secret",
        "client_secret",
        "password",
        "bearer",
        "authorization",
    }
)

REDACTED = "[redacted]"

_names = "|".join(re.escape(name) for name in sorted(CREDENTIAL_PARAMETERS, key=len, reverse=True))
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # ?token=abc&... or &api_key=abc in a URL or a request line
    (re.compile(rf"(?i)([?&](?:{_names})=)[^&\s\"']*"), rf"\1{REDACTED}"),
    # Authorization: Bearer abc / 'HTTP_AUTHORIZATION': 'Token abc'
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n,}]+"), rf"\1{REDACTED}"),
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    # the API's own secrets, wherever they appear
    (re.compile(r"\btrk_[A-Za-z0-9_-]{8,}"), REDACTED),
    # password=..., "secret": "...", api_key: ...
    (
        re.compile(
            r"(?i)\b((?:[a-z_]*password|passwd|[a-z_]*secret[a-z_]*|api_?key|access_token|auth_token)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,}]+"
        ),
        rf"\1{REDACTED}",
    ),
]


def redact(text: str) -> str:
    """``text`` with every credential-looking value replaced by ``[redacted]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redacted(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of the record whose message (its arguments merged in) and every field that
    ``extra=`` or a filter added are redacted (Django's ``request`` field shows the URL with its
    query string). A copy: other handlers (pytest's, Sentry's) keep the record as it was."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a malformed call: logging reports it when formatting
        return record
    copy = logging.makeLogRecord(vars(record))
    copy.msg, copy.args = redact(message), ()
    for name, value in vars(record).items():
        if name in _STANDARD or value is None or isinstance(value, bool | int | float):
            continue
        setattr(copy, name, redact(value if isinstance(value, str) else str(value)))
    return copy


class _Redacting(logging.Formatter):
    """Formats the redacted copy of the record; tracebacks and stacks are redacted too."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(redacted(record))

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return redact(super().formatStack(stack_info))


class JsonFormatter(_Redacting, pythonjsonlogger.json.JsonFormatter):
    """python-json-logger's JSON lines, redacted."""


class TextFormatter(_Redacting):
    """Plain lines, redacted."""


#: A LogRecord's own attributes (not added by ``extra=``); ``message`` and ``asctime`` are set by
#: the formatter.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class TaskContext(logging.Filter):
    """``task_name`` and ``task_id`` of the Celery task this thread runs (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from celery import current_task

        task = current_task
        request = getattr(task, "request", None) if task else None
        record.task_name = getattr(task, "name", None) if request and request.id else None
        record.task_id = request.id if request and request.id else None
        return True


class GunicornAccess(logging.Filter):
    """Gunicorn's access record (its arguments are the atoms of the request) as named fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args
        if not isinstance(atoms, dict) and not hasattr(atoms, "get"):
            return True
        get: Any = atoms.get  # type: ignore[union-attr]  # gunicorn's case-insensitive atoms
        path = get("U") or ""
        query = get("q") or ""
        method = get("m")
        full_path = f"{path}?{query}" if query and query != "-" else path
        status = _int(get("s"))
        record.method = method
        record.path = full_path
        record.status = status
        record.bytes = _int(get("B"))
        record.duration_ms = round(float(get("D") or 0) / 1000, 1)
        record.remote_addr = get("h")
        record.user_agent = get("a")
        record.request_id = get("{x-request-id}o") if get("{x-request-id}o") not in (None, "-") else None
        record.msg = f"{method} {full_path} {status}"
        record.args = ()
        return True


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def _formatters() -> dict[str, dict[str, Any]]:
    return {
        "json": {
            "()": "tracker.logs.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
        "text": {"()": "tracker.logs.TextFormatter", "format": TEXT_FORMAT},
    }


def _filters() -> dict[str, dict[str, Any]]:
    return {
        "request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"},
        "task": {"()": "tracker.logs.TaskContext"},
        "gunicorn_access": {"()": "tracker.logs.GunicornAccess"},
    }


def _handler(log_format: str, *extra_filters: str) -> dict[str, Any]:
    return {
        "class": "logging.StreamHandler",
        "formatter": log_format,
        # The access filter after request_id: gunicorn logs after the request's id is cleared.
        "filters": ["request_id", "task", *extra_filters],
    }


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """settings.LOGGING: every record through one redacting handler on standard error."""
    if log_format not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": _formatters(),
        "filters": _filters(),
        "handlers": {"console": _handler(log_format)},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # django-guid logs each id it sets at info: noise, as the id is on every line anyway.
            "django_guid": {"level": "WARNING"},
            "django_guid.celery": {"level": "WARNING"},
            # django-health-check logs each failed check with a traceback; tracker.health logs
            # one line per check that is down instead (the library's errors stay).
            "health_check": {"level": "ERROR"},
            # gunicorn writes its own access line; Django's duplicate of a 4xx/5xx stays.
            "django.server": {"level": "WARNING"},
        },
    }


def gunicorn_logconfig_dict(*, log_format: str | None = None, level: str | None = None) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: its error and access logs through the same filters.

    The format and level default to the settings' (LOG_FORMAT, LOG_LEVEL)."""
    if log_format is None or level is None:
        import os

        from django.conf import settings

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")  # gunicorn's master

        log_format = log_format or settings.LOG_FORMAT
        level = level or settings.LOG_LEVEL
    config = logging_config(log_format=log_format, level=level)
    config["handlers"]["access"] = _handler(log_format, "gunicorn_access")
    config["loggers"].update(
        {
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        }
    )
    return config
