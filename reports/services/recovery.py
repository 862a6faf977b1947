"""Taking back work whose worker stopped: the minute sweep, and an officer's retry.

Reports, deliveries and computation runs are claimed with leases (tracker/leases.py).
``sweep_expired_leases`` (the beat's "sweep-expired-leases-v1", every minute) returns the rows
whose lease lapsed to pending, or fails them with their reason once their attempts are spent,
and sends their tasks again once that has committed. ``retry_reports``, ``retry_runs`` and
``retry_deliveries`` are what the admin actions and the API's ``retry`` call: they
put failed, stuck (running under a lapsed lease) or pending rows back to pending with their
attempts reset, and send their tasks again. These three models keep no history table: the
reason and who asked are kept on the row (its ``error``, until the work runs) and in the log.
"""

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet

from tracker import leases, publishing
from tracker.actors import Actor
from tracker.history import change_context

from ..models import ComputationRun, Delivery, Report
from . import queueing
from .delivery import MAX_ATTEMPTS
from .recompute import task_for

logger = logging.getLogger(__name__)

REPORT_RETRY_PERMISSION = "reports.change_report"
DELIVERY_RETRY_PERMISSION = "reports.change_delivery"
RUN_RETRY_PERMISSION = "reports.add_computationrun"  # as requesting a computation


def _send_reports(ids: Iterable[int]) -> None:
    queueing.queue_generation(ids)  # broker away: logged, the row stays pending for the resend


def _send_deliveries(ids: Iterable[int]) -> None:
    queueing.queue_delivery(Delivery.objects.filter(pk__in=list(ids)).values_list("report_id", flat=True))


def _send_runs(ids: Iterable[int]) -> None:
    for run in ComputationRun.objects.filter(pk__in=list(ids)).order_by("pk"):
        publishing.send(task_for(run), kwargs={"run_id": run.pk})


def sweep_expired_leases(*, now: datetime.datetime) -> dict[str, list[int]]:
    """Sweep the three kinds of leased work; returns the ids queued again and failed, by kind.

    The tasks are sent once the sweep has committed. Should the broker refuse them, the rows
    stay pending: runs are sent again by "resend-pending-runs-v1", reports and deliveries by
    this same sweep a minute later (``queueing.resend_unqueued``: every pending row whose task
    the broker never took, or took longer than REPORTS_RESEND_PENDING_AFTER ago)."""
    result: dict[str, list[int]] = {}
    for name, model, send, max_attempts in (
        ("reports", Report, _send_reports, None),
        ("deliveries", Delivery, _send_deliveries, MAX_ATTEMPTS),
        ("runs", ComputationRun, _send_runs, None),
    ):
        with transaction.atomic():
            values: dict[str, Any] = {"updated_at": now} if model is Report else {}
            swept = leases.sweep(model, now=now, max_attempts=max_attempts, values=values)
            if swept.requeued:
                transaction.on_commit(lambda send=send, ids=swept.requeued: send(ids))  # type: ignore[misc]  # bound defaults
        result[f"{name}_queued"] = swept.requeued
        result[f"{name}_failed"] = swept.failed
    result.update(queueing.resend_unqueued(now=now))
    return result


def retry_note(who: Actor, reason: str) -> str:
    """What a retried row says until it runs: who asked, and why."""
    return f"queued again by {who.history_user or 'the system'}: {reason}"


def _retry(
    *,
    model: type[leases.LeasedWork],
    permission: str,
    what: str,
    actor: object,
    pks: Iterable[int],
    reason: str,
    now: datetime.datetime,
    send: Any,
    values: dict[str, Any] | None = None,
) -> list[int]:
    who = Actor.of(actor)
    if not who.has_perm(permission):
        raise PermissionDenied(f"Retrying {what} needs the permission {permission}.")
    with transaction.atomic(), change_context(actor=who, reason=reason):
        ids = leases.reopen(model, pks, now=now, values={"error": retry_note(who, reason), **(values or {})})
        if ids:
            transaction.on_commit(lambda: send(ids))
    logger.info("%s %s queued again by %s: %s", what, ids, who.history_user or "the system", reason)
    return ids


def retry_reports(
    *, actor: object, reports: QuerySet[Report], reason: str, now: datetime.datetime
) -> list[int]:
    """Generate again the failed, stuck or pending reports among ``reports`` (attempts reset);
    a report done, or running under a live lease, is left alone. Returns the ids queued."""
    return _retry(
        model=Report,
        permission=REPORT_RETRY_PERMISSION,
        what="reports",
        actor=actor,
        pks=reports.values_list("pk", flat=True),
        reason=reason,
        now=now,
        send=_send_reports,
        values={"updated_at": now},
    )


def retry_runs(
    *, actor: object, runs: QuerySet[ComputationRun], reason: str, now: datetime.datetime
) -> list[int]:
    """Compute again the failed, stuck or pending runs among ``runs`` (attempts reset)."""
    return _retry(
        model=ComputationRun,
        permission=RUN_RETRY_PERMISSION,
        what="computation runs",
        actor=actor,
        pks=runs.values_list("pk", flat=True),
        reason=reason,
        now=now,
        send=_send_runs,
    )


def retry_deliveries(
    *, actor: object, deliveries: QuerySet[Delivery], reason: str, now: datetime.datetime
) -> list[int]:
    """Send again the failed, stuck or pending deliveries among ``deliveries`` (attempts
    reset): their reports' delivery tasks run once committed. Returns the ids queued."""
    return _retry(
        model=Delivery,
        permission=DELIVERY_RETRY_PERMISSION,
        what="deliveries",
        actor=actor,
        pks=deliveries.values_list("pk", flat=True),
        reason=reason,
        now=now,
        send=_send_deliveries,
    )


def retry_report(*, actor: object, report: Report, reason: str, now: datetime.datetime) -> str:
    """The API's retry of one report: the report itself when it is failed, stuck or pending,
    else (done) its failed, stuck or pending deliveries. Returns what was queued again:
    "report", "deliveries" or "" (nothing to retry: running under a live lease, or all sent)."""
    one = Report.objects.filter(pk=report.pk)
    if retry_reports(actor=actor, reports=one, reason=reason, now=now):
        return "report"
    deliveries = Delivery.objects.filter(report=report).exclude(status=leases.LeaseStatus.DONE)
    if report.status == leases.LeaseStatus.DONE and retry_deliveries(
        actor=actor, deliveries=deliveries, reason=reason, now=now
    ):
        return "deliveries"
    return ""
