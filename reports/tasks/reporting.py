"""Celery tasks that dispatch, render and deliver scheduled reports (thin: each calls one service).

No lock is needed on the dispatcher: it claims each schedule with a conditional UPDATE.
"""

import datetime

from celery import Task, shared_task
from django.db import OperationalError
from django.utils import timezone

from tracker.leases import LeaseBusy

from ..services import delivery, recovery, schedules
from ..services.reporting import generate_report


@shared_task(name="reports.tasks.dispatch_due_reports_task", soft_time_limit=120, time_limit=180)
def dispatch_due_reports_task(now: str | None = None) -> list[int]:
    """Create the due schedules' reports; ``now`` (ISO datetime) is for tests and replays."""
    moment = datetime.datetime.fromisoformat(now) if now else timezone.now()
    return [report.pk for report in schedules.dispatch_due(now=moment)]


# A task that finds its row held under a live lease asks again just after the lease could
# have lapsed, this many times; past them the sweep ("sweep-expired-leases-v1") has it.
BUSY_RETRIES = 5


def ask_again_later(task: Task, busy: LeaseBusy) -> str:
    """Retry the task once the lease holding its row could have lapsed (the holder may be a
    killed worker whose message this is); give up quietly past BUSY_RETRIES."""
    if task.request.retries >= BUSY_RETRIES:
        return "busy"
    raise task.retry(countdown=busy.countdown(now=timezone.now()), max_retries=BUSY_RETRIES + 3) from busy


@shared_task(
    name="reports.tasks.generate_report_task",
    bind=True,
    autoretry_for=(OperationalError,),  # the database went away: transient
    max_retries=3,
    retry_backoff=10,
    soft_time_limit=540,
    time_limit=600,
)
def generate_report_task(self: Task, report_id: int) -> str:
    try:
        return str(generate_report(report_id=int(report_id)).status)
    except LeaseBusy as busy:
        return ask_again_later(self, busy)


@shared_task(
    name="reports.tasks.deliver_report_task",
    autoretry_for=(delivery.DeliveryIncomplete, OperationalError),
    max_retries=delivery.MAX_ATTEMPTS - 1,
    retry_backoff=30,
    soft_time_limit=240,
    time_limit=300,
)
def deliver_report_task(report_id: int) -> int:
    return len(delivery.deliver_report(report_id=int(report_id)))


@shared_task(
    name="reports.tasks.sweep_expired_leases_task", acks_late=True, soft_time_limit=50, time_limit=60
)
def sweep_expired_leases_task() -> dict[str, list[int]]:
    """Take back the reports, deliveries and computation runs whose worker stopped (lapsed
    lease) and queue them again; the beat entry "sweep-expired-leases-v1" runs it every minute.
    Safe to run concurrently: the sweep skips rows another sweep has locked."""
    return recovery.sweep_expired_leases(now=timezone.now())
