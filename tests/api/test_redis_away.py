"""Redis away: the API answers reads and writes from the database, never a 500.

"Away" is a loopback port nobody listens on (a stopped Redis: refused at once) for both caches
and the broker. The throttle then counts in the process (tracker/redis_cache.py) and a task
whose publish finds the broker away is left pending for its sweep (tracker/publishing.py).
tests/trust/test_redis_outage.py does the same with a real redis-server stopped and hung
under load.
"""

import datetime
import logging
import socket
from collections.abc import Iterator

import pytest

from missions.models import Activity
from reports.choices import RunStatus
from reports.models import ComputationRun, Delivery, Report
from tests.api.test_writing import workshop_body
from tests.factories import CountryFactory, OrganisationFactory, ReportFactory
from tests.trust.test_faults import _point_celery_at
from tracker import outages
from tracker.api.throttling import TokenRateThrottle
from tracker.celery import app

pytestmark = pytest.mark.django_db


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if (r.name, r.levelname) == ("tracker.outages", "WARNING")]


@pytest.fixture
def parts() -> None:
    """What workshop_body refers to."""
    CountryFactory.create(iso3="XHO", iso2="XO", m49="981")
    CountryFactory.create(iso3="XGE", iso2="XE", m49="982")
    OrganisationFactory.create(code="ORG-T1")


@pytest.fixture
def redis_away(settings, monkeypatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Both caches and the broker on a Redis that refuses connections."""
    monkeypatch.setattr(outages, "_outages", {})  # this process has seen no outage yet
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    settings.CACHES = {
        alias: {
            "BACKEND": "tracker.redis_cache.FallbackRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            "KEY_PREFIX": alias,
        }
        for alias in ("default", "api-pages")
    }
    previous = app.conf.broker_url
    _point_celery_at(url)
    try:
        yield url
    finally:
        _point_celery_at(previous)


def test_the_throttle_counts_in_the_process_while_redis_is_away(
    read_client, redis_away, monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(TokenRateThrottle, "rate", "2/minute", raising=False)
    monkeypatch.setattr(TokenRateThrottle, "num_requests", 2, raising=False)
    with caplog.at_level(logging.WARNING, logger="tracker.outages"):
        statuses = [read_client.get("/api/v1/regions/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = read_client.get("/api/v1/regions/")
    assert limited["Content-Type"] == "application/problem+json"
    assert limited["Retry-After"]
    assert len(warnings_of(caplog)) == 1  # however many requests


def test_reads_and_writes_answer_and_the_recompute_waits_for_its_resend(
    write_client, parts, redis_away, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.INDICATORS_RECOMPUTE_ON_COMMIT = True
    with django_capture_on_commit_callbacks(execute=True):
        created = write_client.post("/api/v1/activities/", workshop_body(), format="json")
    assert created.status_code == 201, created.content
    pages = [write_client.get("/api/v1/activities/") for _ in range(2)]
    assert [(p.status_code, p["X-List-Cache"]) for p in pages] == [(200, "miss"), (200, "hit")]
    assert [a["reference"] for a in pages[1].json()["results"]] == ["W-api"]
    assert Activity.objects.filter(reference="W-api").count() == 1
    # The save recorded its recompute before sending it; the send failed: it waits, pending.
    assert list(ComputationRun.objects.values_list("status", flat=True)) == [RunStatus.PENDING]


def test_a_report_regenerated_while_the_broker_is_away_is_accepted_and_stays_pending(
    write_client, redis_away, caplog, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    report = ReportFactory.create(status=RunStatus.DONE)
    with caplog.at_level(logging.INFO, logger="tracker"), django_capture_on_commit_callbacks(execute=True):
        answer = write_client.post(f"/api/v1/reports/{report.pk}/regenerate/")
    assert answer.status_code == 202, answer.content
    assert Report.objects.get(pk=report.pk).status == RunStatus.PENDING
    assert f"task reports.tasks.generate_report_task {{'args': [{report.pk}]}} not sent" in caplog.text


def test_a_report_and_its_deliveries_retried_while_the_broker_is_away_stay_pending(
    write_client, redis_away, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    failed = ReportFactory.create(status=RunStatus.FAILED, attempts=3)
    done = ReportFactory.create(status=RunStatus.DONE)
    unsent = Delivery.objects.create(
        report=done, address="a@example.org", status=RunStatus.FAILED, attempts=3
    )
    with django_capture_on_commit_callbacks(execute=True):
        answers = [write_client.post(f"/api/v1/reports/{r.pk}/retry/").status_code for r in (failed, done)]
    assert answers == [202, 202]
    assert Report.objects.get(pk=failed.pk).status == RunStatus.PENDING
    unsent.refresh_from_db()
    assert (unsent.status, unsent.attempts) == (RunStatus.PENDING, 0)


def test_the_resend_reports_only_the_runs_the_broker_took(redis_away) -> None:  # type: ignore[no-untyped-def]
    """The beat's resend, while the broker is still away: nothing sent, the run still pending."""
    from reports.services.recompute import resend_pending_runs

    run = ComputationRun.objects.create(scope_key="global", status=RunStatus.PENDING)
    assert resend_pending_runs(older_than=datetime.timedelta(0)) == []
    run.refresh_from_db()
    assert run.status == RunStatus.PENDING
