"""Computation runs: requested by officers, the nightly beat or a change of the records.

- ``request_computation`` records a ComputationRun and enqueues its task on commit.
- ``schedule_recompute`` is called by the signal receivers when a record behind an indicator
  changes: one enqueue per transaction however many rows it writes (an import of 1,000 rows
  causes one recompute), sent after the commit so the worker sees the data.
- Every enqueue is backed by a recorded run: the on-commit trigger records (or reuses) a
  pending standard run before it sends, so a save while the broker is down leaves the run
  pending, never dropped; ``resend_pending_runs`` (the beat's "resend-pending-runs-v1") sends
  again the runs still pending after a while, and a run already done skips a duplicate message.
  A send never raises because the broker is away (tracker/publishing.py): the run waits.
- ``execute_run`` is what the tasks call: it claims the run with a lease (tracker/leases.py),
  then computes and records the outcome in one transaction, committed only while the lease
  holds (a killed worker leaves nothing partial; once its lease lapses, the redelivered task
  or the sweep's claims the run again and completes it).
"""

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone

from tracker import leases, publishing

from ..choices import RunStatus
from ..indicators import formula_for
from ..models import ComputationRun, IndicatorDefinition
from .snapshots import (
    Period,
    RefreshOutcome,
    published_periods_and_dates,
    refresh_outcome,
    scope_from_key,
    standard_periods_and_dates,
)

logger = logging.getLogger(__name__)

COMPUTE_ONE_TASK = "reports.tasks.compute_indicator_task"
COMPUTE_ALL_TASK = "reports.tasks.compute_all_indicators_task"
REFRESH_STANDARD_TASK = "reports.tasks.refresh_standard_indicators_task"


def _send(task_name: str, **kwargs: Any) -> bool:
    """Send now; False when the broker is away (logged; the run stays pending for the resend)."""
    return publishing.send(task_name, kwargs=kwargs)


# --- Requests -----------------------------------------------------------------------------
def request_computation(
    *,
    indicator: IndicatorDefinition | None = None,
    period: Period | None = None,
    reference_date: datetime.date | None = None,
    scope_key: str = "global",
    actor: Any = None,
) -> ComputationRun:
    """Record a run (one indicator, or all when ``indicator`` is None) and enqueue it on commit.

    With neither a period nor a date, the run refreshes the standard set (see snapshots)."""
    scope_from_key(scope_key)  # refuses an unknown scope now, not in the worker
    if indicator is not None and (period or reference_date):
        from ..indicators import when_for

        when_for(indicator, period=period, as_of=reference_date)
    with transaction.atomic():
        run = ComputationRun.objects.create(
            indicator=indicator,
            period_start=period[0] if period else None,
            period_end=period[1] if period else None,
            reference_date=reference_date,
            scope_key=scope_key,
            requested_by=actor if getattr(actor, "pk", None) else None,
        )
        task = COMPUTE_ONE_TASK if indicator is not None else COMPUTE_ALL_TASK
        transaction.on_commit(lambda: _send(task, run_id=run.pk), robust=True)
    return run


def standard_run(*, reason: str) -> ComputationRun:
    """The pending or unfinished standard refresh, else a new one (a redelivered nightly task
    takes over the run its killed predecessor left running)."""
    unfinished = (
        ComputationRun.objects.filter(
            indicator=None,
            period_start=None,
            reference_date=None,
            status__in=(RunStatus.PENDING, RunStatus.RUNNING),
        )
        .order_by("requested_at")
        .first()
    )
    return unfinished or ComputationRun.objects.create(scope_key="global", error="", status=RunStatus.PENDING)


# --- Coalesced trigger on change ----------------------------------------------------------
def pending_standard_run() -> ComputationRun:
    """The standard refresh that has not started yet, else a new one.

    A pending run has not read any data, so it will see the change that asks for it; a
    running one may not, so it is never reused here."""
    pending = (
        ComputationRun.objects.filter(
            indicator=None, period_start=None, reference_date=None, status=RunStatus.PENDING
        )
        .order_by("requested_at")
        .first()
    )
    return pending or ComputationRun.objects.create(scope_key="global", error="", status=RunStatus.PENDING)


def _enqueue_recompute() -> None:
    # The run is recorded first: if the broker is down the send fails (logged; the save has
    # already committed) and the run stays pending for resend_pending_runs.
    run = pending_standard_run()
    _send(REFRESH_STANDARD_TASK, run_id=run.pk, reason="records changed")


def recompute_on_commit_enabled() -> bool:
    return bool(getattr(settings, "INDICATORS_RECOMPUTE_ON_COMMIT", True))


def schedule_recompute(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Enqueue one standard refresh after the current transaction commits (once per transaction)."""
    if not recompute_on_commit_enabled():
        return
    connection = connections[using]
    # Django keeps the pending callbacks of the transaction here and drops them on rollback,
    # so "already registered" is exactly "this transaction already asked".
    if connection.in_atomic_block and any(
        entry[1] is _enqueue_recompute for entry in connection.run_on_commit
    ):
        return
    transaction.on_commit(_enqueue_recompute, using=using, robust=True)


# --- Re-send of pending runs (the broker was down, or a message was lost) -----------------
def resend_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=int(getattr(settings, "INDICATORS_RESEND_PENDING_AFTER", 300)))


def task_for(run: ComputationRun) -> str:
    if run.indicator_id is not None:
        return COMPUTE_ONE_TASK
    if run.period_start is None and run.reference_date is None:
        return REFRESH_STANDARD_TASK
    return COMPUTE_ALL_TASK


def resend_pending_runs(*, older_than: datetime.timedelta | None = None) -> list[int]:
    """Send again each run still pending ``older_than`` (default INDICATORS_RESEND_PENDING_AFTER
    seconds) after it was requested; returns the ids sent. A run that is meanwhile done or running
    makes the extra message a no-op (``execute_run`` claims a run once). A run the broker does
    not take (it is away: logged) stays pending, and the next beat tries again."""
    threshold = timezone.now() - (resend_after() if older_than is None else older_than)
    ids = list(
        ComputationRun.objects.filter(status=RunStatus.PENDING, requested_at__lte=threshold)
        .order_by("requested_at")
        .values_list("pk", flat=True)
    )
    sent = [
        run.pk
        for run in ComputationRun.objects.filter(pk__in=ids).order_by("requested_at")
        if _send(task_for(run), run_id=run.pk)
    ]
    if sent:
        logger.info("re-sent %d pending computation run(s): %s", len(sent), sent)
    return sent


# --- Execution (called by the tasks) ------------------------------------------------------
def _claim(run_id: int, *, now: datetime.datetime) -> leases.Lease | None:
    return leases.claim(ComputationRun, run_id, now=now, values={"started_at": now})


def _compute(run: ComputationRun, *, today: datetime.date) -> RefreshOutcome:
    scope = scope_from_key(run.scope_key)
    period = (run.period_start, run.period_end) if run.period_start and run.period_end else None
    codes = [run.indicator.code] if run.indicator is not None else None
    if period is None and run.reference_date is None:
        periods, dates = standard_periods_and_dates(today=today)
        published_periods, published_dates = published_periods_and_dates()
        periods += [p for p in published_periods if p not in periods]
        dates += [d for d in published_dates if d not in dates]
        return refresh_outcome(
            codes=codes, periods=periods, reference_dates=dates, scope=scope, actor=run.requested_by
        )
    if run.indicator is not None:
        formula_for(run.indicator)
    return refresh_outcome(
        codes=codes,
        periods=[period] if period else [],
        reference_dates=[run.reference_date] if run.reference_date else [],
        scope=scope,
        actor=run.requested_by,
        reason=f"computation run {run.pk}",
    )


def execute_run(*, run_id: int, retry_errors: tuple[type[BaseException], ...] = ()) -> str:
    """Claim, compute and record one run; safe to call again (a finished run is skipped).

    Raises ``LeaseBusy`` when another worker holds the run under a live lease. An error of
    ``retry_errors`` (transient, with retries left) puts the run back to pending for the task
    to retry; any other error fails it. Either is recorded on the run, then re-raised."""
    now = timezone.now()
    lease = _claim(run_id, now=now)
    if lease is None:
        leases.refuse_if_busy(ComputationRun, run_id, now=now)
        return "skipped"
    try:
        with leases.keep_alive(lease) as keeper, transaction.atomic():
            run = ComputationRun.objects.select_related("indicator", "requested_by").get(pk=run_id)
            outcome = _compute(run, today=timezone.localdate(run.requested_at))
            keeper.check()
            # Locked: no sweep or other claim takes the run until its snapshots commit.
            if not leases.lock(lease):
                raise leases.LeaseLost(f"computation run {run_id}: claimed by another worker")
            values: dict[str, Any] = {
                "finished_at": timezone.now(),
                "values_written": outcome.written,
                "values_changed": outcome.changed,
            }
            if run.indicator is not None and outcome.failures:
                # The run of one indicator is that indicator's own run.
                leases.fail(lease, error=outcome.failures[0].error, values=values)
                return "failed"
            failed = record_failures(outcome, scope_key=run.scope_key, requested_by=run.requested_by)
            leases.finish(lease, values={**values, "error": failures_note(failed)})
            return "done"
    except leases.LeaseLost:
        # Another worker took the run over (this one stalled past its lease): its result stands.
        logger.warning("computation run %s: lease lost, this worker's result rolled back", run_id)
        return "lost"
    except Exception as exc:
        record_failure(lease, error=exc, will_retry=isinstance(exc, retry_errors))
        raise


def record_failures(outcome: RefreshOutcome, *, scope_key: str, requested_by: Any) -> list[ComputationRun]:
    """One failed ComputationRun per definition that failed, with its error, so an officer sees
    it on that indicator's page and in the runs list (the other indicators were stored)."""
    now = timezone.now()
    return [
        ComputationRun.objects.create(
            indicator=failure.definition,
            scope_key=scope_key,
            status=RunStatus.FAILED,
            requested_by=requested_by if getattr(requested_by, "pk", None) else None,
            started_at=now,
            finished_at=now,
            attempts=1,
            error=failure.error,
        )
        for failure in outcome.failures
    ]


def failures_note(failed: list[ComputationRun]) -> str:
    """The note a run (or a report) carries when some of its indicators failed."""
    if not failed:
        return ""
    runs = ", ".join(f"{run.indicator.code} (run {run.pk})" for run in failed if run.indicator)
    return f"{len(failed)} indicator(s) failed and were not updated: {runs}."


def record_failure(lease: leases.Lease, *, error: BaseException, will_retry: bool) -> None:
    """Write the failure on the run (outside the rolled-back computation) so officers see it,
    if this worker still holds it; back to pending when the task will retry."""
    text = f"{type(error).__name__}: {error}"
    try:
        if will_retry:
            leases.fail(lease, error=f"transient error, will retry: {text}"[:2000], retry=True)
        else:
            leases.fail(lease, error=text[:2000], values={"finished_at": timezone.now()})
    except DatabaseError as exc:  # the database is what failed: the lease lapses, the sweep has it
        logger.warning("computation run %s: failure not recorded (%s)", lease.pk, exc)
    logger.warning("indicator computation run %s failed: %s", lease.pk, text)
