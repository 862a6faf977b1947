"""Celery tasks that dispatch, render and deliver scheduled reports (thin: each calls one service).

No lock is needed on the dispatcher: it claims each schedule with a conditional UPDATE.
"""

import datetime

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from ..services import delivery, schedules
from ..services.reporting import generate_report


@shared_task(name="reports.tasks.dispatch_due_reports_task", soft_time_limit=120, time_limit=180)
def dispatch_due_reports_task(now: str | None = None) -> list[int]:
    """Create the due schedules' reports; ``now`` (ISO datetime) is for tests and replays."""
    moment = datetime.datetime.fromisoformat(now) if now else timezone.now()
    return [report.pk for report in schedules.dispatch_due(now=moment)]


@shared_task(
    name="reports.tasks.generate_report_task",
    autoretry_for=(OperationalError,),  # the database went away: transient
    max_retries=3,
    retry_backoff=10,
    soft_time_limit=540,
    time_limit=600,
)
def generate_report_task(report_id: int) -> str:
    return str(generate_report(report_id=int(report_id)).status)


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
