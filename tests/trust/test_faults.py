"""Faults survived, on this machine's real services (never the shared PostgreSQL or Redis).

a. Redis stopped while officers save records: a private redis-server is started, the Celery
   app is pointed at it, then it is stopped; each save returns within 2 s and leaves its
   recompute recorded as a pending run; Redis comes back, ``resend_pending_runs`` sends the
   pending runs and a real worker completes each exactly once (one claim each).
b. A worker killed mid-task: tests/reports/test_indicator_tasks_e2e.py
   (test_a_killed_worker_leaves_no_partial_snapshot_and_the_redelivered_task_completes).
c. PostgreSQL restarted: a private cluster (benchmarks.load.PrivatePostgres) behind gunicorn
   is restarted (pg_ctl restart -m fast) under reads and writes: every failure is a 503
   problem+json with Retry-After (tracker.middleware), never a 500, and the requests after
   the restart succeed (connection health checks).
d. Two editors: tests/api/test_writing.py::test_updates_need_the_current_etag and
   tests/api/test_concurrency.py (If-Match conflicts give 412).
"""

import datetime
import json
import os
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection

from benchmarks.scale_out import PrivateRedis
from missions.models import Activity
from missions.services.activities import create_activity, update_activity
from reports.choices import RunStatus
from reports.models import ComputationRun, IndicatorDefinition
from reports.services import recompute
from reports.services.published_figures import load_published_figures
from tests.factories import CountryFactory
from tests.waiting import wait_for
from tracker.celery import app

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SAVE_BUDGET_SECONDS = 2.0


def _point_celery_at(url: str) -> None:
    app.conf.broker_url = url
    app._pool = None  # noqa: SLF001 -- Celery caches its connection pool and producer pool;
    app.amqp._producer_pool = None  # noqa: SLF001 -- dropping them makes the next send use ``url``


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    redis.start()
    previous = app.conf.broker_url
    _point_celery_at(redis.url)
    try:
        yield redis
    finally:
        redis.stop()
        _point_celery_at(previous)


def _timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def test_saves_while_redis_is_down_are_fast_and_their_recomputes_happen_once_it_is_back(
    settings, private_redis
) -> None:  # type: ignore[no-untyped-def]
    load_published_figures()  # the indicator definitions (a transactional test starts empty)
    settings.INDICATORS_RECOMPUTE_ON_COMMIT = True
    # This process leaves a Redis that failed alone for REDIS_RETRY_SECONDS (tracker/outages.py);
    # the re-send below comes at once, not minutes later as on the beat.
    settings.REDIS_RETRY_SECONDS = 0.2
    country = CountryFactory.create()
    indicator = IndicatorDefinition.objects.get(code="IND-COUNTRIES-DIRECT")
    private_redis.stop()

    def save(number: int) -> None:
        activities.append(
            create_activity(
                actor=None,
                reason="fault test",
                kind="workshop",
                title=f"Workshop saved while Redis is down {number}",
                start_date=datetime.date(2006, 10, 2),
                end_date=datetime.date(2006, 10, 3),
                host_country=country,
                countries=[(country.iso3, "host")],
            )
        )

    activities: list[Activity] = []
    durations = [_timed(lambda n=number: save(n)) for number in range(3)]  # type: ignore[misc]  # bound default
    durations.append(
        _timed(
            lambda: update_activity(
                actor=None, reason="fault test", activity=activities[0], title="Renamed while Redis is down"
            )
        )
    )
    durations.append(_timed(lambda: recompute.request_computation(indicator=indicator)))
    print(f"save durations with Redis down: {', '.join(f'{d:.2f}s' for d in durations)}")  # noqa: T201
    assert max(durations) < SAVE_BUDGET_SECONDS, durations

    pending = list(ComputationRun.objects.filter(status=RunStatus.PENDING))
    # The four saves share one standard refresh (coalesced: it has not started); plus the request.
    assert len(pending) == 2, pending
    assert ComputationRun.objects.count() == 2

    private_redis.start()
    # This process asks a Redis that failed again only after REDIS_RETRY_SECONDS: a restart
    # quicker than that (seen in CI: 0.14 s) would find the re-send below still skipped.
    time.sleep(settings.REDIS_RETRY_SECONDS + 0.1)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        sent = recompute.resend_pending_runs(older_than=datetime.timedelta(0))
        assert sorted(sent) == sorted(run.pk for run in pending)
        wait_for(
            lambda: not ComputationRun.objects.exclude(status=RunStatus.DONE).exists(),
            timeout=240,
            what="the re-sent runs to finish",
        )
        # A second re-send finds nothing pending; a duplicate message would be skipped anyway.
        assert recompute.resend_pending_runs(older_than=datetime.timedelta(0)) == []
    connection.close()
    runs = list(ComputationRun.objects.order_by("pk"))
    assert [(run.status, run.attempts) for run in runs] == [(RunStatus.DONE, 1)] * 2


def test_the_resend_task_is_on_the_beat() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["resend-pending-runs-v1"]
    assert entry["task"] == "reports.tasks.resend_pending_runs_task"
    assert "reports.tasks.resend_pending_runs_task" in app.tasks


# --- c. PostgreSQL restarted while requests are in flight ----------------------------------
# initdb and pg_ctl run as the postgres user through runuser, which needs root.
NEEDS_ROOT = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("runuser") is None, reason="a private PostgreSQL cluster needs root"
)


@pytest.fixture(scope="module")
def private_site() -> Iterator[tuple[Any, Any, list[str]]]:
    """A private PostgreSQL cluster, migrated, with gunicorn on loopback in front of it."""
    from benchmarks.load import private_site as site

    with site(accounts=2) as running:
        yield running


@NEEDS_ROOT
def test_a_postgres_restart_gives_clear_503s_then_the_requests_succeed(private_site) -> None:  # type: ignore[no-untyped-def]
    import http.client
    import threading

    from benchmarks.load import request

    cluster, server, tokens = private_site
    answers: list[tuple[float, int, dict[str, str], bytes]] = []
    stop = threading.Event()

    def client(token: str, write: bool) -> None:
        auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        number = 0
        while not stop.is_set():
            number += 1
            try:
                if write:
                    body = {
                        "code": f"PGR-{uuid.uuid4().hex[:20]}",
                        "name_en": "restart test",
                        "kind": "regional",
                    }
                    answer = request(conn, "POST", "/api/v1/organisations/", auth, body)
                else:
                    answer = request(conn, "GET", "/api/v1/organisations/?page_size=5", auth)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                answer = (0, {}, b"")
            answers.append((time.monotonic(), *answer))

    threads = [threading.Thread(target=client, args=(tokens[n % 2], n % 2 == 0)) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    restarted_at = time.monotonic()
    cluster.restart()
    back_at = time.monotonic()
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    statuses = [status for _, status, _, _ in answers]
    unavailable = [(headers, body) for _, status, headers, body in answers if status == 503]
    print(  # noqa: T201 -- the figure for docs/reliability.md
        f"restart took {back_at - restarted_at:.1f}s; {len(answers)} requests: "
        f"{dict(sorted(Counter(statuses).items()))}"
    )
    assert 500 not in statuses
    odd = [(status, body[:300]) for _, status, _, body in answers if status not in (200, 201, 503)]
    assert not odd, odd
    for headers, body in unavailable:
        assert headers["content-type"] == "application/problem+json"
        assert headers["retry-after"]
        assert json.loads(body)["status"] == 503
    after = [status for at, status, _, _ in answers if at > back_at + 1]
    assert after, "no request was answered after the restart"
    assert set(after) <= {200, 201}, after
