"""Prometheus metrics at ``/metrics``: requests and database (django-prometheus), Celery tasks
and queue lengths (here).

Every process of a machine (gunicorn's workers, the Celery worker's pool processes) writes its
samples into files under ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode;
default ``var/prometheus``; tracker/settings.py sets the variable before prometheus_client is
first imported), and ``/metrics`` on any web process adds up all of them, the worker's task
metrics included when the worker runs on the same machine with the same folder.
Files of processes that are gone are deleted when gunicorn or a Celery worker starts
(``prune_dead_process_files``; gunicorn's ``on_starting`` and the worker's ``worker_init``);
gunicorn's ``child_exit`` hook calls ``child_exit`` here (its live gauges go).

Tasks (Celery signals): ``tracker_celery_task_runtime_seconds{task}`` (histogram),
``tracker_celery_tasks_total{task,outcome}`` (succeeded, failed, retried) and, read from the
broker at each scrape, ``tracker_celery_queue_length{queue}`` (Redis broker only: the
file-system broker of development has no such count worth reading).

Access (``metrics_view``): clients whose address (tracker.security.client_ip) is in
``METRICS_ALLOWED_IPS`` (default: loopback only), or that send ``Authorization: Bearer
<METRICS_TOKEN>`` when that setting is set. Anyone else gets 403.

prometheus_client is imported inside the functions: gunicorn's configuration imports this
module in the master before the multiprocess folder is known.
"""

import hmac
import ipaddress
import logging
import os
import re
import time
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

_PID_FILE = re.compile(r"_(\d+)\.db$")


def prune_dead_process_files(directory: str | Path | None = None) -> int:
    """Delete the sample files of processes that no longer run; the number deleted."""
    folder = Path(directory or os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""))
    if not str(folder) or not folder.is_dir():
        return 0
    deleted = 0
    for path in folder.glob("*.db"):
        match = _PID_FILE.search(path.name)
        if match and not _alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def on_starting(server: Any = None) -> None:
    """gunicorn's on_starting hook: load the settings (they set PROMETHEUS_MULTIPROC_DIR for the
    workers to inherit) and delete the files of processes gone since the last run."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    directory = settings.PROMETHEUS_MULTIPROC_DIR
    if directory:
        prune_dead_process_files(directory)


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook: the gone worker's live gauges stop counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# --- Celery tasks ----------------------------------------------------------------------------
@cache
def _task_metrics() -> tuple[Any, Any]:
    from prometheus_client import Counter, Histogram

    runtime = Histogram(
        "tracker_celery_task_runtime_seconds",
        "Seconds a Celery task ran, by task.",
        ["task"],
        buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
    )
    outcomes = Counter("tracker_celery_tasks", "Celery tasks run, by task and outcome.", ["task", "outcome"])
    return runtime, outcomes


_started: dict[str, float] = {}


def task_started(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _started[task_id] = time.monotonic()


def task_finished(
    task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    started = _started.pop(task_id or "", None)
    if task is None:
        return
    runtime, outcomes = _task_metrics()
    if started is not None:
        runtime.labels(task=task.name).observe(time.monotonic() - started)
    if state == "SUCCESS":
        outcomes.labels(task=task.name, outcome="succeeded").inc()


def task_failed(sender: Any = None, **kwargs: Any) -> None:
    if sender is not None:
        _task_metrics()[1].labels(task=sender.name, outcome="failed").inc()


def task_retried(sender: Any = None, **kwargs: Any) -> None:
    if sender is not None:
        _task_metrics()[1].labels(task=sender.name, outcome="retried").inc()


def worker_started(**kwargs: Any) -> None:
    prune_dead_process_files()


def worker_process_stopped(**kwargs: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())


def connect_task_signals() -> None:
    from celery import signals

    signals.task_prerun.connect(task_started, weak=False)
    signals.task_postrun.connect(task_finished, weak=False)
    signals.task_failure.connect(task_failed, weak=False)
    signals.task_retry.connect(task_retried, weak=False)
    signals.worker_init.connect(worker_started, weak=False)
    signals.worker_process_shutdown.connect(worker_process_stopped, weak=False)


# --- The broker's queue lengths, read at each scrape ------------------------------------------
class QueueLengthCollector:
    """``tracker_celery_queue_length{queue}``: messages waiting in each queue of the Redis broker."""

    def collect(self) -> Any:
        from prometheus_client.core import GaugeMetricFamily

        url = str(_celery_app().conf.broker_url)
        if not url.startswith(("redis://", "rediss://", "unix://")):
            return
        import redis

        from .outages import REDIS_AWAY

        family = GaugeMetricFamily(
            "tracker_celery_queue_length",
            "Messages waiting in a Celery queue of the broker.",
            labels=["queue"],
        )
        seconds = settings.REDIS_BROKER_SOCKET_TIMEOUT
        client = redis.Redis.from_url(url, socket_timeout=seconds, socket_connect_timeout=seconds)
        try:
            for queue in _queue_names():
                family.add_metric([queue], float(client.llen(queue)))
        except REDIS_AWAY as error:
            logger.warning("queue length not read: the broker is unreachable (%s)", type(error).__name__)
            return
        finally:
            client.close()
        yield family


def _queue_names() -> list[str]:
    from .celery import app

    queues = app.conf.task_queues
    if queues:
        return sorted({queue.name for queue in queues})
    return [str(app.conf.task_default_queue)]


# --- /metrics ---------------------------------------------------------------------------------
def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    from .security import client_ip

    address = client_ip(request)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in _allowed_networks())


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.METRICS_ALLOWED_IPS]


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse(
            "Metrics are served to the addresses of METRICS_ALLOWED_IPS, or with the METRICS_TOKEN bearer.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    import prometheus_client
    from prometheus_client import multiprocess

    queues = prometheus_client.CollectorRegistry()
    queues.register(QueueLengthCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    body = prometheus_client.generate_latest(registry) + prometheus_client.generate_latest(queues)
    response = HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


def _celery_app() -> Any:
    """The Celery app (its configuration is the broker's truth: tests point it elsewhere)."""
    from .celery import app

    return app
