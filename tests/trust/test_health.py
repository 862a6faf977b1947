"""``/health/live`` and ``/health/ready`` (tracker/health.py) on the embedded defaults: SQLite,
the file-system broker, the local-memory cache. The PostgreSQL + Redis pass, with Redis and
PostgreSQL stopped under a real gunicorn, worker and beat: tests/trust/test_health_services.py.

The checks run in threads of their own, which see only committed rows: hence transactional tests.
"""

import datetime
import json
import logging
import time
from pathlib import Path

import pytest
from freezegun import freeze_time

from tracker.celery import app
from tracker.heartbeats import HeartbeatStep, _Beat, _beat_sends, _beat_started, beat_name
from tracker.models import Heartbeat
from tracker.services import heartbeats

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
OK_CHECKS: dict[str, str] = {"database": "ok", "cache": "ok", "broker": "ok", "worker": "ok", "beat": "ok"}
ALL_OK = {"status": "ok", "checks": OK_CHECKS}
# asyncio's clock stays the real one: the checks' time limits are measured on it.
frozen = freeze_time(NOW, ignore=["asyncio", "concurrent.futures"])


def _beats(*, worker_age: float, beat_age: float) -> None:
    heartbeats.record(kind="worker", name="celery@a", now=NOW - datetime.timedelta(seconds=worker_age))
    heartbeats.record(kind="beat", name="host:1", now=NOW - datetime.timedelta(seconds=beat_age))


def _ready(client) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    with frozen:
        response = client.get("/health/ready")
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


def test_live_answers_without_asking_anything(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/health/live")  # no database access allowed here: it would raise
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db(transaction=True)
def test_ready_is_200_when_every_check_is_ok(client) -> None:  # type: ignore[no-untyped-def]
    _beats(worker_age=59, beat_age=179)  # within the limits (60 s and 180 s)
    assert _ready(client) == (200, ALL_OK)


@pytest.mark.django_db(transaction=True)
def test_ready_names_a_stale_worker_and_a_stale_beat(client) -> None:  # type: ignore[no-untyped-def]
    _beats(worker_age=61, beat_age=181)
    assert _ready(client) == (
        503,
        {
            "status": "down",
            "checks": {
                "database": "ok",
                "cache": "ok",
                "broker": "ok",
                "worker": "down: last worker heartbeat 61 s ago (more than 60 s)",
                "beat": "down: last beat heartbeat 181 s ago (more than 180 s)",
            },
        },
    )


@pytest.mark.django_db(transaction=True)
def test_ready_names_a_worker_and_a_beat_that_never_beat(client, caplog) -> None:  # type: ignore[no-untyped-def]
    status, body = _ready(client)
    assert status == 503
    assert body["checks"]["worker"] == "down: no worker heartbeat recorded yet"
    assert body["checks"]["beat"] == "down: no beat heartbeat recorded yet"
    # One warning per check that is down, and no error (Sentry would get one per probe).
    assert sorted(
        (r.name, r.levelname, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING
    ) == [
        ("tracker.health", "WARNING", "health check beat is down: no beat heartbeat recorded yet"),
        ("tracker.health", "WARNING", "health check worker is down: no worker heartbeat recorded yet"),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_staleness_limits_are_settings(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HEALTH_WORKER_STALE_SECONDS = 10
    settings.HEALTH_BEAT_STALE_SECONDS = 20
    _beats(worker_age=11, beat_age=19)
    status, body = _ready(client)
    assert (status, body["checks"]["worker"], body["checks"]["beat"]) == (
        503,
        "down: last worker heartbeat 11 s ago (more than 10 s)",
        "ok",
    )


@pytest.mark.django_db(transaction=True)
def test_ready_names_the_broker_when_its_folders_are_gone(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _beats(worker_age=0, beat_age=0)
    if not str(app.conf.broker_url).startswith("filesystem://"):
        pytest.skip("the file-system broker's check; Redis's: tests/trust/test_health_services.py")
    previous = app.conf.broker_transport_options
    missing = str(tmp_path / "gone")
    app.conf.broker_transport_options = {
        "data_folder_in": missing,
        "data_folder_out": missing,
        "data_folder_processed": missing,
    }
    try:
        status, body = _ready(client)
    finally:
        app.conf.broker_transport_options = previous
    assert status == 503
    assert body == {
        "status": "down",
        "checks": {
            **OK_CHECKS,
            "broker": "down: the broker's folder (data_folder_in) is missing or not writable",
        },
    }


@pytest.mark.django_db(transaction=True)
def test_a_check_that_hangs_is_cut_at_its_time_limit(client, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    from tracker import health

    release = threading.Event()
    monkeypatch.setattr(health.BrokerCheck, "run", lambda self: release.wait(10))  # a hung broker
    settings.HEALTH_CHECK_TIMEOUT = 0.1
    _beats(worker_age=0, beat_age=0)
    started = time.monotonic()
    try:
        status, body = _ready(client)
        seconds = time.monotonic() - started
    finally:
        release.set()
    assert seconds < 3, seconds  # the limit plus the library's second, not the hung 10 s
    assert status == 503
    assert body["checks"] == {**OK_CHECKS, "broker": "down: Timed out after 0.1 seconds"}


def test_health_needs_no_sign_in_and_is_not_throttled(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "1/minute"}}
    assert [client.get("/health/live").status_code for _ in range(3)] == [200, 200, 200]


# --- Who writes the heartbeats ---------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_worker_beats_when_it_starts_and_on_its_timer() -> None:
    class Timer:
        def __init__(self) -> None:
            self.calls: list[tuple[float, object, dict]] = []

        def call_repeatedly(self, seconds: float, function: object, kwargs: dict) -> object:
            self.calls.append((seconds, function, kwargs))
            return self

        def cancel(self) -> None:
            self.calls.clear()

    class Worker:
        hostname = "celery@test-host"
        timer = Timer()

    step = HeartbeatStep(Worker())
    with freeze_time(NOW):
        step.start(Worker())
    assert list(Heartbeat.objects.values_list("kind", "name", "at")) == [("worker", "celery@test-host", NOW)]
    ((seconds, function, kwargs),) = Worker.timer.calls
    assert seconds == 15.0
    later = NOW + datetime.timedelta(seconds=15)
    with freeze_time(later):
        function(**kwargs)  # type: ignore[operator]  # what the worker's timer calls
    assert list(Heartbeat.objects.values_list("at", flat=True)) == [later]
    step.stop(Worker())
    assert Worker.timer.calls == []


@pytest.mark.django_db(transaction=True)
def test_beat_beats_when_it_starts_and_when_it_sends() -> None:
    try:
        with freeze_time(NOW):  # the monotonic clock too: beat's writes are at most every 15 s
            _beat_sends()  # not the beat yet: a web process's publish writes nothing
            assert not Heartbeat.objects.exists()
            _beat_started()
        assert list(Heartbeat.objects.values_list("kind", "name", "at")) == [("beat", beat_name(), NOW)]
        with freeze_time(NOW + datetime.timedelta(seconds=10)):
            _beat_sends()  # within HEALTH_HEARTBEAT_SECONDS of the last: not written
        assert list(Heartbeat.objects.values_list("at", flat=True)) == [NOW]
        later = NOW + datetime.timedelta(minutes=1)
        with freeze_time(later):
            _beat_sends()
        assert list(Heartbeat.objects.values_list("at", flat=True)) == [later]
    finally:
        _Beat.name = None


@pytest.mark.django_db
def test_old_rows_of_gone_processes_are_deleted() -> None:
    heartbeats.record(kind="worker", name="celery@retired", now=NOW - datetime.timedelta(days=8))
    heartbeats.record(kind="worker", name="celery@live", now=NOW)
    assert list(Heartbeat.objects.values_list("name", flat=True)) == ["celery@live"]


def test_the_worker_blueprint_has_the_heartbeat_step() -> None:
    assert HeartbeatStep in app.steps["worker"]
