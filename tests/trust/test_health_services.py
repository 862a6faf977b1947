"""``/health/ready`` of a real stack: a private PostgreSQL cluster and a private redis-server
(never the shared ones), gunicorn with tracker's log configuration, a Celery worker and beat.

In order: everything up gives 200 (the worker's and beat's heartbeats written by the real
processes); Redis stopped gives 503 naming the cache and the broker, at once, while
``/health/live`` stays 200; Redis back gives 200 again; a credential in a query string is
refused and the access log line shows it redacted, with the request id; the worker stopped
gives 503 naming the worker once its heartbeat is stale; PostgreSQL stopped gives 503 naming
the database. SQLite and the file-system broker: tests/trust/test_health.py.
"""

import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks.load import ROOT, PrivatePostgres, _pg, free_port, migrate, server_env
from tests.trust.test_faults import NEEDS_ROOT, PrivateRedis
from tests.waiting import wait_for

pytestmark = [pytest.mark.services, NEEDS_ROOT]

GUNICORN_CONFIG = """\
from tracker.logs import gunicorn_logconfig_dict
from tracker.metrics import child_exit, on_starting  # noqa: F401 -- gunicorn's hooks

logconfig_dict = gunicorn_logconfig_dict(log_format="json", level="INFO")
"""


@dataclass
class Stack:
    postgres: PrivatePostgres
    redis: PrivateRedis
    port: int
    folder: Path
    processes: dict[str, subprocess.Popen[bytes]]

    def get(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes, float]:
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        return response.status, dict(response.getheaders()), body, time.monotonic() - started

    def ready(self) -> tuple[int, Any, float]:
        status, _, body, seconds = self.get("/health/ready")
        return status, json.loads(body), seconds

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start(name: str, args: list[str], env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    log = (folder / f"{name}.log").open("wb")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603 -- our own commands


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("health-stack")
    postgres = PrivatePostgres()
    redis = PrivateRedis()
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        postgres.create()
        redis.start()
        env = {
            **server_env(postgres.url, str(folder)),
            "REDIS_URL": redis.url,
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "prometheus"),
            "HEALTH_HEARTBEAT_SECONDS": "1",
            "HEALTH_WORKER_STALE_SECONDS": "4",
            "HEALTH_CHECK_TIMEOUT": "1",
            "REDIS_RETRY_SECONDS": "1",
            "LOG_FORMAT": "json",
        }
        migrate(env)
        (folder / "gunicorn_conf.py").write_text(GUNICORN_CONFIG)
        port = free_port()
        processes["web"] = _start(
            "web",
            [sys.executable, "-m", "gunicorn", "-c", str(folder / "gunicorn_conf.py"), "--bind",
             f"127.0.0.1:{port}", "--workers", "2", "tracker.wsgi:application"],
            env,
            folder,
        )  # fmt: skip
        celery = [sys.executable, "-m", "celery", "-A", "tracker"]
        processes["worker"] = _start(
            "worker", [*celery, "worker", "--pool=solo", "--loglevel=INFO"], env, folder
        )
        processes["beat"] = _start(
            "beat", [*celery, "beat", "--loglevel=INFO", "-s", str(folder / "beat-schedule")], env, folder
        )
        yield Stack(postgres, redis, port, folder, processes)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.stop()
        postgres.destroy()


OK_CHECKS: dict[str, str] = {"database": "ok", "cache": "ok", "broker": "ok", "worker": "ok", "beat": "ok"}
ALL_OK = {"status": "ok", "checks": OK_CHECKS}


def _answers_ok(stack: Stack) -> bool:
    try:
        return stack.ready()[0] == 200
    except (OSError, ValueError):
        return False


def test_ready_follows_redis_the_worker_and_postgres(stack: Stack) -> None:
    wait_for(lambda: _answers_ok(stack), timeout=120, what="/health/ready to answer 200")
    status, body, _ = stack.ready()
    assert (status, body) == (200, ALL_OK)

    # Redis stopped: the cache (the web process falls back to its own store) and the broker.
    stack.redis.stop()
    status, body, seconds = stack.ready()
    print(f"/health/ready with Redis stopped: {status} in {seconds:.2f} s")  # noqa: T201
    assert (status, body) == (
        503,
        {
            "status": "down",
            "checks": {
                **OK_CHECKS,
                "cache": "down: Redis unreachable (ConnectionError)",
                "broker": "down: Redis unreachable (ConnectionError)",
            },
        },
    )
    assert seconds < 3
    assert stack.get("/health/live")[0] == 200
    # A request that uses the cache meanwhile is served from the process's fallback, not a 500.
    assert stack.get("/api/v1/")[0] in (200, 401, 403)

    stack.redis.start()
    wait_for(lambda: _answers_ok(stack), timeout=30, what="/health/ready to be 200 once Redis is back")

    # The queue length, read from the broker's Redis.
    status, headers, metrics, _ = stack.get("/metrics")
    assert status == 200
    assert b'tracker_celery_queue_length{queue="celery"}' in metrics
    assert b"django_http_responses_total_by_status_view_method_total" in metrics

    # A credential in the query string: refused, and redacted in gunicorn's access line.
    secret = "trk_" + "NeverLogged" * 3
    request_id = "0123456789abcdef0123456789abcdef"
    status, headers, _, _ = stack.get(f"/api/v1/activities/?token={secret}", {"X-Request-ID": request_id})
    assert (status, headers["X-Request-ID"]) == (400, request_id)

    def access_line() -> dict | None:
        for line in (stack.folder / "web.log").read_text().splitlines():
            if line.startswith("{") and '"logger": "gunicorn.access"' in line and request_id in line:
                return json.loads(line)
        return None

    wait_for(lambda: access_line() is not None, timeout=10, what="the access line")
    line = access_line()
    assert line is not None
    assert (line["path"], line["status"], line["request_id"]) == (
        "/api/v1/activities/?token=[redacted]",
        400,
        request_id,
    )
    logs = "".join(path.read_text() for path in stack.folder.glob("*.log"))
    assert secret not in logs
    assert all(
        json.loads(text)["logger"]
        for text in (stack.folder / "web.log").read_text().splitlines()
        if text.startswith("{")
    )

    # The worker stopped: its heartbeat goes stale after HEALTH_WORKER_STALE_SECONDS (4).
    stack.stop("worker")
    wait_for(lambda: stack.ready()[0] == 503, timeout=30, what="/health/ready to name the stopped worker")
    status, body, _ = stack.ready()
    assert body["checks"]["worker"].startswith("down: last worker heartbeat "), body
    assert {name: value for name, value in body["checks"].items() if name != "worker"} == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "beat": "ok",
    }

    # PostgreSQL stopped: the database, and the heartbeats cannot be read.
    stack.postgres._as_postgres(  # noqa: SLF001 -- the private cluster's own tool
        _pg("pg_ctl"), "-D", str(stack.postgres.data), "-m", "fast", "-w", "stop", check=False
    )
    status, body, seconds = stack.ready()
    # Refused at once, or (the psycopg pool waits DB_POOL_TIMEOUT for a connection) cut at the
    # check's time limit: either way named, within the limit.
    assert (status, body["status"]) == (503, "down"), body
    assert body["checks"]["database"] in (
        "down: unreachable (OperationalError)",
        "down: Timed out after 1 seconds",
    ), body
    assert body["checks"]["beat"].startswith("down: "), body
    assert seconds < 3
    assert stack.get("/health/live")[0] == 200
    assert os.path.isdir(stack.folder / "prometheus")
