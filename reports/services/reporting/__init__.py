"""Report generation: assemble the content once, render each format, archive with checksums.

``generate_report`` claims the report with a lease (tracker/leases.py): a conditional UPDATE
(pending, or running under a lapsed lease -> running with a fresh token), renewed by a
heartbeat thread while it renders, so a task delivered twice renders once and the redelivered
task of a killed worker takes the report over once the lease has lapsed (the beat's sweep
queues it again meanwhile). The files and the done status commit together, only while the
lease still holds. A failure is recorded on the report (status failed, the error) and
re-raised; the schedule is untouched and the dispatcher retries a bounded number of times
(reports.services.schedules.MAX_ATTEMPTS).
"""

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from tracker import leases

from ...choices import ReportFormat
from ...models import Delivery, IndicatorValue, Report, ReportFile
from ...scope import Scope
from .. import queueing
from ..recompute import record_failures
from ..snapshots import refresh_outcome
from .content import ReportContent, assemble, periods_and_dates
from .html import render_html
from .pdf import render_pdf
from .xlsx import render_xlsx

logger = logging.getLogger(__name__)

RENDERERS: dict[str, Callable[[ReportContent], bytes]] = {
    ReportFormat.PDF: render_pdf,
    ReportFormat.XLSX: render_xlsx,
    ReportFormat.HTML: render_html,
}
CONTENT_TYPES = {
    ReportFormat.PDF: "application/pdf",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.HTML: "text/html; charset=utf-8",
}


def indicator_snapshots(report: Report) -> list[IndicatorValue]:
    """Refresh and return the indicator snapshots the report prints (its period and the previous
    one, the trend's years and dates: ``content.periods_and_dates``), for its scope and audience.

    A definition that fails to compute is recorded as a failed run of that indicator
    (``recompute.record_failures``) and simply has no snapshot here: the report still renders,
    and says which figure is missing (``content.indicators_section``).
    """
    scope = Scope.of(report)
    periods, dates = periods_and_dates(report.period_start, report.period_end)
    outcome = refresh_outcome(
        periods=periods,
        reference_dates=dates,
        scope=scope,
        audiences=[scope.audience],
        actor=None,
        reason=f"report {report.pk}",
    )
    record_failures(outcome, scope_key=scope.key, requested_by=None)
    return list(
        IndicatorValue.objects.filter(pk__in=[v.pk for v in outcome.values])
        .select_related("indicator")
        .prefetch_related("indicator__targets")
        .order_by("indicator__display_order", "indicator__code", "reference_date", "period_start")
    )


def _store(report: Report, fmt: str, data: bytes) -> ReportFile:
    old = ReportFile.objects.filter(report=report, format=fmt).first()
    if old is not None:
        old.file.delete(save=False)
        old.delete()
    record = ReportFile(report=report, format=fmt, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    record.file.save(
        f"report-{report.pk}-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}.{fmt}",
        ContentFile(data),
        save=False,
    )
    record.save()
    return record


def render_all(
    report: Report, snapshots: list[IndicatorValue] | None = None
) -> tuple[ReportContent, dict[str, bytes]]:
    content = assemble(report, snapshots=snapshots)
    return content, {fmt: RENDERERS[fmt](content) for fmt in report.formats}


def generate_report(*, report_id: int) -> Report:
    """Render a pending report in each of its formats, archive the files, enqueue delivery.

    Raises ``LeaseBusy`` when another worker holds the report under a live lease (the task
    asks again once it could have lapsed)."""
    now = timezone.now()
    lease = leases.claim(Report, report_id, now=now, values={"updated_at": now})
    if lease is None:
        leases.refuse_if_busy(Report, report_id, now=now)
    report = Report.objects.select_related("scope_region", "scope_country", "schedule").get(pk=report_id)
    if lease is None:
        logger.info("report %s is %s: not generated again", report_id, report.status)
        return report
    try:
        with leases.keep_alive(lease) as keeper:
            snapshots = indicator_snapshots(report)
            _content, rendered = render_all(report, snapshots)
            keeper.check()
            with transaction.atomic():
                # Locked: no sweep or other claim takes the report until these files commit.
                if not leases.lock(lease):
                    raise leases.LeaseLost(f"report {report_id}: claimed by another worker")
                for fmt, data in rendered.items():
                    _store(report, fmt, data)
                ReportFile.objects.filter(report=report).exclude(format__in=list(rendered)).delete()
                report.indicator_values.set(snapshots)
                done_at = timezone.now()
                leases.finish(lease, values={"generated_at": done_at, "updated_at": done_at})
                # The deliveries exist (pending) from now on, so a lost delivery task is seen
                # and sent again (queueing.resend_unqueued).
                _record_deliveries(report)
                queueing.queue_delivery_on_commit(report_id)
    except leases.LeaseLost:
        # Another worker took the report over (this one stalled past its lease): its result stands.
        logger.warning("report %s: lease lost, this worker's rendering is dropped", report_id)
    except Exception as exc:
        leases.fail(lease, error=f"{type(exc).__name__}: {exc}", values={"updated_at": timezone.now()})
        logger.exception("report %s failed", report_id)
        raise
    report.refresh_from_db()
    return report


def _record_deliveries(report: Report) -> None:
    from ..delivery import addresses_for  # delivery imports this package (its content types)

    Delivery.objects.bulk_create(
        [Delivery(report=report, address=address) for address in addresses_for(report)], ignore_conflicts=True
    )


def file_for(report: Report, fmt: str) -> Any:
    return ReportFile.objects.filter(report=report, format=fmt).first()


__all__ = ["RENDERERS", "generate_report", "indicator_snapshots", "render_all"]
