"""Delivery of a generated report by e-mail, one Delivery row per recipient, each sent once.

Each delivery is sent only by the worker holding its claim (a lease: tracker/leases.py), so a
task run twice, or two workers at once, send each e-mail once. A failed send puts the row back
to pending with its error (``deliver_report`` then raises ``DeliveryIncomplete`` and the task
retries), at most MAX_ATTEMPTS claims per address, after which it is failed. A worker that
dies before the send leaves the row running under a lease that lapses: the sweep or the next
task claims it again and sends it.

The remaining window. The row is recorded as sent by the UPDATE right after the mail
backend's ``send()`` returned, conditional on the claim token, with no work in between (the
message, its attachments and its links are all built before the send). SMTP gives no way to
make the server's acceptance and our UPDATE one step: a worker killed after the server's
"250 OK" to the message's DATA and before that UPDATE commits (a few milliseconds: one
round trip to PostgreSQL) leaves the row running, and the retry sends the e-mail a second
time. That duplicate carries the same ``Message-ID`` (``message_id``: derived from the row),
so mail systems and readers can recognise it. The other way round cannot happen: the row is
never marked sent before the backend has acknowledged it.
"""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.urls import reverse
from django.utils import timezone

from tracker import leases

from ..choices import ReportFormat, RunStatus
from ..models import Delivery, Report
from .reporting import CONTENT_TYPES
from .reporting.content import key_figures
from .schedules import recipient_addresses

logger = logging.getLogger(__name__)

# Sends of one address (each claim counts one, a send that failed or whose worker stopped).
MAX_ATTEMPTS = leases.lease_max_attempts()
# Above this total size the e-mail carries links to the admin instead of the files.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class DeliveryIncomplete(Exception):
    """Some recipients could not be reached yet; their rows say why."""


def addresses_for(report: Report) -> list[str]:
    if report.schedule is not None:
        return recipient_addresses(report.schedule)
    requester = report.requested_by
    return [requester.email] if requester is not None and requester.email else []


def message_id(delivery: Delivery) -> str:
    """The same Message-ID for every send of one delivery row, so that a duplicate (a worker
    that died between the server's acknowledgement and recording it) is recognisable."""
    host = urlsplit(site_url()).hostname or DNS_NAME.get_fqdn()
    return f"<report-{delivery.report_id}.delivery-{delivery.pk}@{host}>"


def site_url() -> str:
    return str(settings.SITE_URL).rstrip("/")


def download_link(report: Report, fmt: str) -> str:
    """The admin's download of one file: it asks for a sign-in and applies the visibility rule."""
    return site_url() + reverse("admin:reports_report_download", args=[report.pk, fmt])


def _figure(value: object) -> str:
    return "not available" if value is None else f"{value:,}"


def _message(report: Report, delivery: Delivery) -> EmailMessage:
    files = list(report.files.all())
    body = [
        f"{report.title}",
        f"Period: {report.period_start.isoformat()} to {report.period_end.isoformat()}",
        f"Scope: {report.get_scope_kind_display()}"
        + (f" ({report.scope_region or report.scope_country})" if report.scope_kind != "global" else ""),
        "",
        "Key figures of the period:",
        *(f"  {label}: {_figure(value)}" for label, value in key_figures(report)),
        "",
        "Open the report (you will be asked to sign in; it shows only what you may see):",
        *(f"  {f.get_format_display()}: {download_link(report, f.format)}" for f in files),
        "",
    ]
    attach = sum(f.size for f in files) <= MAX_ATTACHMENT_BYTES
    if attach:
        body.append("The report is attached (" + ", ".join(f.get_format_display() for f in files) + ").")
    else:
        body.append("The report is too large to attach: use the links above.")
    for f in files:
        body.append(f"  {f.get_format_display()} sha256 {f.sha256}")
    message = EmailMessage(
        subject=f"[tracker] {report.title}",
        body="\n".join(body),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
        headers={"Message-ID": message_id(delivery)},
    )
    if attach:
        for f in files:
            with f.file.open("rb") as handle:
                name = (f.file.name or f"report.{f.format}").rsplit("/", 1)[-1]
                message.attach(
                    name, handle.read(), CONTENT_TYPES[ReportFormat(f.format)].split(";")[0]
                )  # the mail sets the charset
    return message


def _send_one(report: Report, pk: int) -> bool:
    """Send one delivery under its claim; True when it failed and will be tried again."""
    lease = leases.claim(Delivery, pk, now=timezone.now(), max_attempts=MAX_ATTEMPTS)
    if lease is None:
        return False  # sent, failed for good, or held by a live worker (that one sends it)
    delivery = Delivery.objects.get(pk=pk)
    try:
        message = _message(report, delivery)  # every bit of work before the send, none after
        message.send(fail_silently=False)
    except OSError as exc:  # smtplib.SMTPException is an OSError; so is a storage error
        status = leases.fail(lease, error=f"{type(exc).__name__}: {exc}", retry=True)
        logger.warning("delivery of report %s to %s failed: %s", report.pk, delivery.address, exc)
        return status == RunStatus.PENDING
    except Exception as exc:
        leases.fail(lease, error=f"{type(exc).__name__}: {exc}")
        raise
    # The backend has acknowledged the message (send() returned): record it at once.
    if not leases.finish(lease, values={"sent_at": timezone.now()}):
        logger.error(
            "delivery %s (report %s to %s) was sent after its lease lapsed and was claimed again: "
            "it may arrive twice, with Message-ID %s",
            pk,
            report.pk,
            delivery.address,
            message_id(delivery),
        )
    return False


def deliver_report(*, report_id: int) -> list[Delivery]:
    """E-mail a done report to each recipient not yet reached; returns its deliveries."""
    report = Report.objects.select_related("schedule", "requested_by", "scope_region", "scope_country").get(
        pk=report_id
    )
    if report.status != RunStatus.DONE:
        raise ValueError(f"report {report_id} is {report.status}, not done: nothing to deliver")
    for address in addresses_for(report):
        Delivery.objects.get_or_create(report=report, address=address)
    # Running ones too: a claim takes over a delivery whose worker stopped (lapsed lease).
    unsent = Delivery.objects.filter(report=report, status__in=[RunStatus.PENDING, RunStatus.RUNNING])
    incomplete = False
    for pk in list(unsent.order_by("pk").values_list("pk", flat=True)):
        incomplete = _send_one(report, pk) or incomplete
    if incomplete:
        raise DeliveryIncomplete(f"report {report_id}: some deliveries failed and will be retried")
    return list(report.deliveries.all())
