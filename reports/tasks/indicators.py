"""Celery tasks that compute indicator snapshots (thin: each executes one ComputationRun).

acks_late with idempotent work: a run is claimed with a lease (tracker/leases.py), computed in
one transaction under a database lock (see services.snapshots), and a finished run is skipped,
so a redelivered or duplicated message is harmless; one that finds the run held under a live
lease asks again once the lease could have lapsed (its holder may be a killed worker). Only
transient database and broker errors are retried, a bounded number of times; every failure
is written on the run, then re-raised.
"""

from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tracker.leases import LeaseBusy

from ..services import recompute
from .reporting import ask_again_later

TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    BrokerOperationalError,
    RedisConnectionError,
    RedisTimeoutError,
)
MAX_RETRIES = 3
OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "max_retries": MAX_RETRIES,
    "soft_time_limit": 540,
    "time_limit": 600,
}


def _execute(task: Task, run_id: int) -> str:
    will_retry = task.request.retries < MAX_RETRIES
    try:
        return recompute.execute_run(run_id=run_id, retry_errors=TRANSIENT_ERRORS if will_retry else ())
    except LeaseBusy as busy:
        return ask_again_later(task, busy)
    except TRANSIENT_ERRORS as exc:
        if will_retry:
            raise task.retry(exc=exc, countdown=2 ** (task.request.retries + 1)) from exc
        raise


@shared_task(name="reports.tasks.compute_indicator_task", **OPTIONS)
def compute_indicator_task(self: Task, run_id: int) -> str:
    """Compute one indicator for the run's period or reference date and scope."""
    return _execute(self, int(run_id))


@shared_task(name="reports.tasks.compute_all_indicators_task", **OPTIONS)
def compute_all_indicators_task(self: Task, run_id: int) -> str:
    """Compute every active indicator for the run's period and/or reference date and scope."""
    return _execute(self, int(run_id))


@shared_task(name="reports.tasks.refresh_standard_indicators_task", **OPTIONS)
def refresh_standard_indicators_task(self: Task, run_id: int | None = None, reason: str = "nightly") -> str:
    """Refresh every indicator for each year since 2003, the cumulative period and each 1 January.

    The nightly beat entry and the on-commit recompute send it without a run; it takes over an
    unfinished standard run (a killed predecessor's) or records a new one."""
    if run_id is None:
        run_id = recompute.standard_run(reason=reason).pk
    return _execute(self, int(run_id))


@shared_task(
    name="reports.tasks.resend_pending_runs_task", acks_late=True, soft_time_limit=90, time_limit=120
)
def resend_pending_runs_task() -> list[int]:
    """Send again the computation runs left pending (the broker was down when they were
    requested); the beat entry "resend-pending-runs-v1" runs it every few minutes."""
    return recompute.resend_pending_runs()
