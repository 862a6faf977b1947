"""Handing reports and deliveries to the workers, and sending again what the broker lost.

A report or delivery waits ``pending`` until a worker claims it. Its task can be lost on the
way: the broker was away when it was sent (tracker/publishing.py logs it and leaves the row),
or Redis restarted with the queue in memory. So each successful hand-over is recorded on the
row (``queued_at``), and the minute sweep (``resend_unqueued``, called by
``recovery.sweep_expired_leases``) sends again every row still pending that was never handed
over, or was handed over longer than ``REPORTS_RESEND_PENDING_AFTER`` seconds ago. A task sent
twice is harmless: the claim (tracker/leases.py) lets one worker do the work.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tracker import leases, publishing

from ..models import Delivery, Report

GENERATE_TASK = "reports.tasks.generate_report_task"
DELIVER_TASK = "reports.tasks.deliver_report_task"


def resend_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=int(getattr(settings, "REPORTS_RESEND_PENDING_AFTER", 300)))


def queue_generation(report_ids: Iterable[int]) -> list[int]:
    """Send each report's generation now; returns the ids the broker took (recorded on them)."""
    sent = [pk for pk in report_ids if publishing.send(GENERATE_TASK, args=[pk])]
    if sent:
        Report.objects.filter(pk__in=sent).update(queued_at=timezone.now())
    return sent


def queue_delivery(report_ids: Iterable[int]) -> list[int]:
    """Send each report's delivery task now; its pending deliveries record the hand-over."""
    sent = [pk for pk in sorted(set(report_ids)) if publishing.send(DELIVER_TASK, args=[pk])]
    if sent:
        Delivery.objects.filter(report_id__in=sent, status=leases.LeaseStatus.PENDING).update(
            queued_at=timezone.now()
        )
    return sent


def queue_generation_on_commit(report_id: int) -> None:
    transaction.on_commit(lambda: queue_generation([report_id]))


def queue_delivery_on_commit(report_id: int) -> None:
    transaction.on_commit(lambda: queue_delivery([report_id]))


def _unqueued(now: datetime.datetime) -> Q:
    """Pending, and never handed to the broker or handed over too long ago."""
    before = now - resend_after()
    return Q(status=leases.LeaseStatus.PENDING) & (Q(queued_at__isnull=True) | Q(queued_at__lt=before))


def resend_unqueued(*, now: datetime.datetime) -> dict[str, list[int]]:
    """Send again the pending reports and deliveries whose task was lost (see the module's
    docstring); a row younger than the resend delay is left to the send already under way."""
    before = now - resend_after()
    reports = list(
        Report.objects.filter(_unqueued(now), created_at__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    deliveries = list(
        Delivery.objects.filter(
            _unqueued(now), report__status=leases.LeaseStatus.DONE, report__generated_at__lt=before
        )
        .order_by("report_id")
        .values_list("report_id", flat=True)
        .distinct()
    )
    return {"reports_resent": queue_generation(reports), "deliveries_resent": queue_delivery(deliveries)}
