"""Delivery of a generated report by e-mail, one Delivery row per recipient.

Each delivery is claimed with a conditional UPDATE (pending or failed -> running), so a task
run twice sends each e-mail once. A failure is recorded on its row; ``deliver_report`` then
raises ``DeliveryIncomplete`` so the task retries, at most MAX_ATTEMPTS times per address.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from tracker import publishing
from tracker.actors import Actor
from tracker.history import change_context

from ..choices import ReportFormat, RunStatus
from ..models import Delivery, Report
from .reporting import CONTENT_TYPES
from .schedules import recipient_addresses

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Above this total size the e-mail carries links to the admin instead of the files.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class DeliveryIncomplete(Exception):
    """Some recipients could not be reached yet; their rows say why."""


def addresses_for(report: Report) -> list[str]:
    if report.schedule is not None:
        return recipient_addresses(report.schedule)
    requester = report.requested_by
    return [requester.email] if requester is not None and requester.email else []


def _message(report: Report, address: str) -> EmailMessage:
    files = list(report.files.all())
    base = getattr(settings, "SITE_URL", "http://localhost:8000").rstrip("/")
    body = [
        f"{report.title}",
        f"Period: {report.period_start.isoformat()} to {report.period_end.isoformat()}",
        f"Scope: {report.get_scope_kind_display()}"
        + (f" ({report.scope_region or report.scope_country})" if report.scope_kind != "global" else ""),
        "",
    ]
    attach = sum(f.size for f in files) <= MAX_ATTACHMENT_BYTES
    if attach:
        body.append("The report is attached (" + ", ".join(f.get_format_display() for f in files) + ").")
    else:
        body.append("The report is too large to attach; download it from the archive:")
        for f in files:
            url = reverse("admin:reports_report_download", args=[report.pk, f.format])
            body.append(f"  {f.get_format_display()}: {base}{url}")
    for f in files:
        body.append(f"  {f.get_format_display()} sha256 {f.sha256}")
    message = EmailMessage(
        subject=f"[tracker] {report.title}",
        body="\n".join(body),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
    )
    if attach:
        for f in files:
            with f.file.open("rb") as handle:
                name = (f.file.name or f"report.{f.format}").rsplit("/", 1)[-1]
                message.attach(name, handle.read(), CONTENT_TYPES[ReportFormat(f.format)])
    return message


def deliver_report(*, report_id: int) -> list[Delivery]:
    """E-mail a done report to each recipient not yet reached; returns its deliveries."""
    report = Report.objects.select_related("schedule", "requested_by", "scope_region", "scope_country").get(
        pk=report_id
    )
    if report.status != RunStatus.DONE:
        raise ValueError(f"report {report_id} is {report.status}, not done: nothing to deliver")
    for address in addresses_for(report):
        Delivery.objects.get_or_create(report=report, address=address)
    pending = Delivery.objects.filter(
        Q(status=RunStatus.PENDING) | Q(status=RunStatus.FAILED, attempts__lt=MAX_ATTEMPTS), report=report
    )
    incomplete = False
    for pk in list(pending.values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = Delivery.objects.filter(
                Q(status=RunStatus.PENDING) | Q(status=RunStatus.FAILED), pk=pk, attempts__lt=MAX_ATTEMPTS
            ).update(status=RunStatus.RUNNING, attempts=F("attempts") + 1)
        if claimed != 1:
            continue
        delivery = Delivery.objects.get(pk=pk)
        try:
            _message(report, delivery.address).send(fail_silently=False)
        except OSError as exc:  # smtplib.SMTPException is an OSError
            Delivery.objects.filter(pk=pk).update(
                status=RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}"
            )
            logger.warning("delivery of report %s to %s failed: %s", report_id, delivery.address, exc)
            incomplete = incomplete or delivery.attempts < MAX_ATTEMPTS
            continue
        Delivery.objects.filter(pk=pk).update(status=RunStatus.DONE, error="", sent_at=timezone.now())
    if incomplete:
        raise DeliveryIncomplete(f"report {report_id}: some deliveries failed and will be retried")
    return list(report.deliveries.all())


DELIVER_TASK = "reports.tasks.deliver_report_task"


def retry_deliveries(*, actor: object, deliveries: QuerySet[Delivery], reason: str) -> int:
    """Put the failed deliveries among ``deliveries`` back to pending (attempts reset) and send
    their reports again once committed; returns how many were queued."""
    failed = deliveries.filter(status=RunStatus.FAILED)
    report_ids = sorted(set(failed.values_list("report_id", flat=True)))
    with transaction.atomic(), change_context(actor=Actor.of(actor), reason=reason):
        count = failed.update(status=RunStatus.PENDING, attempts=0)
        for report_id in report_ids:
            publishing.send_on_commit(DELIVER_TASK, args=[report_id])  # broker away: left to the sweep
    return count
