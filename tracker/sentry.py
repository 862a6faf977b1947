"""Error reports to Sentry, when SENTRY_DSN is set (tracker/settings.py calls ``init_sentry``).

The Django and Celery integrations report unhandled errors of requests and tasks (and Celery
beat's); ``send_default_pii`` stays off, so no user name, address, cookie or request body is
sent, and the same redaction as the logs (tracker/logs.py) is applied to each event's message
and breadcrumbs before it leaves.
"""

from typing import Any


def _scrub(event: Any, hint: Any) -> Any:
    from .logs import redact

    for breadcrumb in (event.get("breadcrumbs") or {}).get("values", []):
        if isinstance(breadcrumb.get("message"), str):
            breadcrumb["message"] = redact(breadcrumb["message"])
    logentry = event.get("logentry") or {}
    if isinstance(logentry.get("message"), str):
        logentry["message"] = redact(logentry["message"])
    request = event.get("request") or {}
    if isinstance(request.get("query_string"), str):
        request["query_string"] = redact("?" + request["query_string"])[1:]
    return event


def init_sentry(*, dsn: str, environment: str, release: str | None, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=False)],
        before_send=_scrub,
    )
