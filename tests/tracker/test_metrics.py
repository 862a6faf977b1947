"""``/metrics`` (tracker/metrics.py): request metrics by view, task runtimes and outcomes, the
broker's queue length, and who may read them.

Samples of every process of the machine add up in PROMETHEUS_MULTIPROC_DIR, so other test
processes may count too (each test process has its own folder: tests/settings.py); each test
reads a value before and after.
"""

import os

import pytest
from celery.contrib.testing.worker import start_worker
from prometheus_client.parser import text_string_to_metric_families

from tests.tracker.test_logs import private_broker  # noqa: F401 -- a fixture of this module too
from tests.waiting import wait_for
from tracker.celery import app

TASK = "tests.tracker.test_metrics.metered_task"


@app.task(name=TASK, bind=True, max_retries=1)
def metered_task(self, fail: bool) -> None:  # type: ignore[no-untyped-def]
    if fail:
        raise ValueError("the metered task fails on purpose")


def _samples(client) -> dict[tuple[str, frozenset], float]:  # type: ignore[no-untyped-def]
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_the_metrics_are_kept_in_the_multiprocess_folder(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.PROMETHEUS_MULTIPROC_DIR
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == settings.PROMETHEUS_MULTIPROC_DIR


@pytest.mark.django_db
def test_requests_are_counted_and_timed_by_view_and_status(client) -> None:  # type: ignore[no-untyped-def]
    name = "django_http_responses_total_by_status_view_method_total"
    before = _samples(client)
    for _ in range(3):
        assert client.get("/health/live").status_code == 200
    after = _samples(client)
    labels = {"method": "GET", "status": "200", "view": "health-live"}
    assert _value(after, name, **labels) - _value(before, name, **labels) == 3
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    assert (
        _value(after, latency, view="health-live", method="GET")
        - _value(before, latency, view="health-live", method="GET")
        == 3
    )
    assert any(key[0] == "django_db_execute_total" for key in after)  # the database wrapper's


@pytest.mark.django_db(transaction=True)
def test_task_runtimes_and_failures_are_counted(client, private_broker) -> None:  # type: ignore[no-untyped-def]  # noqa: F811 -- the fixture
    before = _samples(client)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        metered_task.delay(fail=False)
        metered_task.delay(fail=False)
        metered_task.delay(fail=True)

        def counted() -> bool:
            now = _samples(client)
            return (
                _value(now, "tracker_celery_tasks_total", task=TASK, outcome="failed")
                - _value(before, "tracker_celery_tasks_total", task=TASK, outcome="failed")
                >= 1
                and _value(now, "tracker_celery_tasks_total", task=TASK, outcome="succeeded")
                - _value(before, "tracker_celery_tasks_total", task=TASK, outcome="succeeded")
                >= 2
            )

        wait_for(counted, timeout=60, what="the tasks to be counted")
    after = _samples(client)
    delta = {
        outcome: _value(after, "tracker_celery_tasks_total", task=TASK, outcome=outcome)
        - _value(before, "tracker_celery_tasks_total", task=TASK, outcome=outcome)
        for outcome in ("succeeded", "failed")
    }
    assert delta == {"succeeded": 2, "failed": 1}
    runtimes = _value(after, "tracker_celery_task_runtime_seconds_count", task=TASK) - _value(
        before, "tracker_celery_task_runtime_seconds_count", task=TASK
    )
    assert runtimes == 3


@pytest.fixture
def far_client(client):  # type: ignore[no-untyped-def]
    client.defaults["REMOTE_ADDR"] = "192.0.2.10"  # TEST-NET-1: documentation only, never routed
    return client


def test_metrics_are_refused_to_other_addresses(far_client) -> None:  # type: ignore[no-untyped-def]
    response = far_client.get("/metrics")
    assert response.status_code == 403
    assert b"METRICS_ALLOWED_IPS" in response.content


def test_a_network_in_metrics_allowed_ips_is_served(far_client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.METRICS_ALLOWED_IPS = ["192.0.2.0/24"]
    assert far_client.get("/metrics").status_code == 200


def test_the_metrics_token_opens_them_to_any_address(far_client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.METRICS_TOKEN = "m" * 32
    assert far_client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "m" * 32).status_code == 200
    assert far_client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + "x" * 32).status_code == 403
    assert far_client.get("/metrics").status_code == 403


def test_the_queue_length_is_left_out_for_the_file_system_broker(client) -> None:  # type: ignore[no-untyped-def]
    if not str(app.conf.broker_url).startswith("filesystem://"):
        pytest.skip("Redis's queue length: tests/trust/test_health_services.py")
    assert not any(key[0] == "tracker_celery_queue_length" for key in _samples(client))
