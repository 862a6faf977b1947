"""End to end on the real services: a Celery worker on the real Redis broker and PostgreSQL.

No eager mode. The in-process worker is celery.contrib.testing's; the killed worker is a
subprocess (solo pool) that we SIGKILL half-way through a computation.
"""

import datetime
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection, transaction

from reports.choices import RunStatus
from reports.models import ComputationRun, IndicatorDefinition, IndicatorValue
from reports.services import recompute
from reports.services.published_figures import load_published_figures
from tests.factories import ActivityCountryFactory, ActivityFactory, CountryFactory, ToolFactory
from tests.waiting import wait_for
from tracker.celery import app

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

Y2006 = (datetime.date(2006, 1, 1), datetime.date(2006, 12, 31))
ROOT = Path(__file__).resolve().parents[2]


def run_status(run_id: int) -> str:
    return ComputationRun.objects.get(pk=run_id).status


@pytest.fixture
def broker() -> Iterator[None]:
    app.control.purge()  # nothing left over from an earlier run in this Redis database
    yield
    app.control.purge()


@pytest.fixture
def worker(broker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield
    connection.close()


def test_a_requested_run_is_computed_by_a_real_worker(worker) -> None:  # type: ignore[no-untyped-def]
    load_published_figures()
    ActivityCountryFactory.create(activity=ActivityFactory.create(), country=CountryFactory.create())

    run = recompute.request_computation(
        indicator=IndicatorDefinition.objects.get(code="IND-COUNTRIES-DIRECT"), period=Y2006
    )

    wait_for(lambda: run_status(run.pk) == RunStatus.DONE, timeout=60, what="the run to finish")
    snapshot = IndicatorValue.objects.get(audience="all")  # and its "open" twin
    assert (snapshot.indicator.code, snapshot.when_key, snapshot.value) == (
        "IND-COUNTRIES-DIRECT",
        "2006-01-01..2006-12-31",
        1,
    )


def test_an_import_of_1000_rows_causes_one_recompute_by_the_worker(settings, worker) -> None:  # type: ignore[no-untyped-def]
    load_published_figures()
    settings.INDICATORS_RECOMPUTE_ON_COMMIT = True

    with transaction.atomic():
        ToolFactory.create_batch(1000, status_date=datetime.date(2006, 6, 1))

    wait_for(
        lambda: ComputationRun.objects.filter(status=RunStatus.DONE).exists(),
        timeout=240,
        what="the recompute",
    )
    time.sleep(1)  # a second task, if one had been sent, would have started by now
    assert ComputationRun.objects.count() == 1
    tools_2006 = IndicatorValue.objects.get(
        indicator__code="IND-TOOLS-DEVELOPED", when_key="2006-01-01..2006-12-31", audience="all"
    )
    assert tools_2006.value == 1000


# A killed worker's claim lapses this many seconds after its last heartbeat (the default, two
# minutes, is for production): the redelivered task then takes the run over.
LEASE_SECONDS = 2


def _worker_env(*, visibility_timeout: int, **extra: str) -> dict[str, str]:
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    env = dict(os.environ)
    env.pop("TEST_DATABASE_NAME", None)
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        CELERY_VISIBILITY_TIMEOUT=str(visibility_timeout),
        LEASE_SECONDS=str(LEASE_SECONDS),
        DJANGO_SETTINGS_MODULE="tracker.settings",
        **extra,
    )
    return env


# The first worker upserts one snapshot, says so, then hangs inside the open transaction.
_SLOW_WORKER = """
import pathlib, sys, time
import django
django.setup()
from reports.services import snapshots
original = snapshots._upsert
def slow(*args, **kwargs):
    original(*args, **kwargs)
    pathlib.Path(sys.argv[1]).write_text("one snapshot written, transaction open")
    time.sleep(600)
snapshots._upsert = slow
from tracker.celery import app
app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "--without-gossip", "--without-mingle"])
"""
_WORKER = """
import django
django.setup()
from tracker.celery import app
app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "--without-gossip", "--without-mingle"])
"""


def _start(code: str, *args: str, visibility_timeout: int, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 -- our own interpreter and code
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=_worker_env(visibility_timeout=visibility_timeout, **env),
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    process.wait(timeout=60)


def test_a_killed_worker_leaves_no_partial_snapshot_and_the_redelivered_task_completes(
    broker, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    load_published_figures()
    ActivityCountryFactory.create(activity=ActivityFactory.create(), country=CountryFactory.create())
    run = recompute.request_computation(period=Y2006, reference_date=datetime.date(2007, 1, 1))
    marker = tmp_path / "partial"
    visibility_timeout = 3

    slow = _start(_SLOW_WORKER, str(marker), visibility_timeout=visibility_timeout)
    try:
        wait_for(marker.exists, timeout=120, what="the first worker to write a snapshot")
    finally:
        _stop(slow, signal.SIGKILL)

    assert IndicatorValue.objects.count() == 0  # the open transaction died with the worker
    assert (run_status(run.pk), ComputationRun.objects.get(pk=run.pk).attempts) == (RunStatus.RUNNING, 1)

    # The unacknowledged message becomes visible again, and the killed worker's lease lapses.
    time.sleep(max(visibility_timeout, LEASE_SECONDS) + 1)
    second = _start(_WORKER, visibility_timeout=visibility_timeout)
    try:
        wait_for(lambda: run_status(run.pk) == RunStatus.DONE, timeout=120, what="the redelivered task")
    finally:
        _stop(second, signal.SIGTERM)

    finished = ComputationRun.objects.get(pk=run.pk)
    assert (finished.attempts, finished.values_written) == (2, 2 * 19)  # both audiences
    assert IndicatorValue.objects.count() == 2 * 19
