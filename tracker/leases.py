"""Leases: work that can be interrupted is claimed for a bounded time, never flagged for ever.

A row of a model built on ``LeasedWork`` (a report, a delivery, a computation run, an import
job) is claimed by one conditional UPDATE that sets it running, gives it a fresh
``claim_token`` and an expiry (``lease_expires_at``), and counts the attempt. While the work
runs, a heartbeat extends the expiry, but only while the token still holds. Finishing and
failing are conditional on the token too, so a worker presumed dead that wakes up (a long GC
pause, a frozen VM, a network partition) cannot finish or overwrite a row that someone else has
claimed since: its UPDATE matches no row and it learns it lost the lease.

A worker that dies leaves its row running with an expiry in the past. Two things take it back:

- a redelivered task calls ``claim`` again, which takes over a running row whose lease has
  expired (or that has no lease at all: rows from before leases existed);
- ``sweep`` (the beat's "sweep-expired-leases-v1", every minute) returns every expired running
  row to pending, or to failed with its reason once ``max_attempts`` claims have been spent, and
  gives back the ids it returned to pending so the caller re-enqueues them.

The heartbeat is ``keep_alive``, a context manager running a daemon thread that extends the
lease every third of its length. Explicit heartbeat calls between steps were the other choice;
the thread wins because the long steps here (a PDF render, an indicator refresh, an SMTP
conversation) are single calls with no point to beat from inside, and because the main thread
usually works inside ``transaction.atomic()``: a heartbeat on its connection would not be
visible to the sweep until the commit, while the thread's own connection (Django connections
are per thread) commits each extension at once. The thread closes its connection when it ends.

Times are arguments (``now=``): the services pass ``timezone.now()``, tests pass fixed values.
Every function here is one conditional UPDATE (or a locked read); recording history and
enqueueing belong to the calling service.
"""

from __future__ import annotations

import datetime
import logging
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class LeaseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class LeasedWork(models.Model):
    """The fields a leased row carries: its status, the current claim and the attempts spent."""

    status = models.CharField(max_length=10, choices=LeaseStatus.choices, default=LeaseStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="While running: when the claim lapses unless its worker renews it."
    )
    claim_token = models.UUIDField(
        null=True, blank=True, editable=False, help_text="Identifies the worker holding the claim."
    )

    class Meta:
        abstract = True


class LeaseLost(Exception):
    """The row was claimed by someone else (or swept) since this worker claimed it."""


class LeaseBusy(Exception):
    """Another worker holds the row under a live lease: try again once it could have lapsed."""

    def __init__(self, what: str, *, until: datetime.datetime) -> None:
        super().__init__(f"{what} is being worked on under a lease until {until.isoformat()}")
        self.until = until

    def countdown(self, *, now: datetime.datetime) -> float:
        """Seconds to wait before asking again: just past the lease's expiry."""
        return max((self.until - now).total_seconds(), 0.0) + 1.0


def lease_seconds() -> int:
    return int(getattr(settings, "LEASE_SECONDS", 120))


def lease_max_attempts() -> int:
    return int(getattr(settings, "LEASE_MAX_ATTEMPTS", 3))


@dataclass(frozen=True)
class Lease:
    """A claim held on one row: the proof a worker shows when it renews, finishes or fails it."""

    model: type[LeasedWork]
    pk: int
    token: uuid.UUID
    seconds: int
    max_attempts: int

    def held(self) -> Q:
        """The row, only while this lease still holds it."""
        return Q(pk=self.pk, claim_token=self.token, status=LeaseStatus.RUNNING)


def _lapsed(now: datetime.datetime) -> Q:
    """Running rows whose claim has lapsed (or that never had a lease)."""
    return Q(status=LeaseStatus.RUNNING) & (Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True))


def claim(
    model: type[LeasedWork],
    pk: int,
    *,
    now: datetime.datetime,
    seconds: int | None = None,
    max_attempts: int | None = None,
    values: Mapping[str, Any] | None = None,
) -> Lease | None:
    """Claim a pending row, or a running one whose lease has lapsed; None when it is not free
    (running under a live lease, done, failed, or out of attempts).

    One conditional UPDATE, so of two workers claiming at once exactly one wins. ``values`` are
    written in the same UPDATE (a ``started_at``, an ``updated_at``). The row's ``error`` stays
    as it was (why it was queued again) until the work finishes or fails."""
    seconds = lease_seconds() if seconds is None else seconds
    max_attempts = lease_max_attempts() if max_attempts is None else max_attempts
    token = uuid.uuid4()
    claimed = model._default_manager.filter(
        Q(status=LeaseStatus.PENDING) | _lapsed(now), pk=pk, attempts__lt=max_attempts
    ).update(
        status=LeaseStatus.RUNNING,
        claim_token=token,
        lease_expires_at=now + datetime.timedelta(seconds=seconds),
        attempts=F("attempts") + 1,
        **(values or {}),
    )
    return Lease(model, pk, token, seconds, max_attempts) if claimed == 1 else None


def refuse_if_busy(model: type[LeasedWork], pk: int, *, now: datetime.datetime) -> None:
    """After a refused claim: raise ``LeaseBusy`` if the row is held under a live lease (the
    caller may come back later; if that worker dies, the lease lapses and the sweep or the
    next claim takes over). Returns when the row is simply not claimable (done, failed)."""
    until = (
        model._default_manager.filter(status=LeaseStatus.RUNNING, pk=pk, lease_expires_at__gte=now)
        .values_list("lease_expires_at", flat=True)
        .first()
    )
    if until is not None:
        raise LeaseBusy(f"{model.__name__} {pk}", until=until)


def heartbeat(lease: Lease, *, now: datetime.datetime) -> bool:
    """Extend the lease to ``now`` plus its length; False when it no longer holds."""
    return (
        lease.model._default_manager.filter(lease.held()).update(
            lease_expires_at=now + datetime.timedelta(seconds=lease.seconds)
        )
        == 1
    )


def lock(lease: Lease) -> bool:
    """Inside a transaction: lock the row if the lease still holds it (True), so no sweep or
    other claim can take it before this transaction's ``finish`` commits."""
    return lease.model._default_manager.filter(lease.held()).select_for_update().exists()


def finish(lease: Lease, *, values: Mapping[str, Any] | None = None) -> bool:
    """Mark the row done (with ``values``) if the lease still holds it; False when it was lost."""
    changes = {"status": LeaseStatus.DONE, "lease_expires_at": None, "error": "", **(values or {})}
    return lease.model._default_manager.filter(lease.held()).update(**changes) == 1


def fail(
    lease: Lease, *, error: str, retry: bool = False, values: Mapping[str, Any] | None = None
) -> str | None:
    """Record the error and release the row if the lease still holds it: failed, or back to
    pending when ``retry`` (a transient error) and attempts are left, for the caller to enqueue
    again. Returns the status written, None when the lease was lost."""
    status: Any = LeaseStatus.FAILED
    if retry:
        status = Case(
            When(attempts__lt=lease.max_attempts, then=Value(LeaseStatus.PENDING.value)),
            default=Value(LeaseStatus.FAILED.value),
        )
    changes = {
        "status": status,
        "lease_expires_at": None,
        "claim_token": None,
        "error": error[:5000],
        **(values or {}),
    }
    manager = lease.model._default_manager
    with transaction.atomic():
        if manager.filter(lease.held()).update(**changes) != 1:
            return None
        return str(manager.filter(pk=lease.pk).values_list("status", flat=True).get())


@dataclass(frozen=True)
class Swept:
    """What one sweep did to one model: the ids returned to pending and those failed."""

    requeued: list[int]
    failed: list[int]


def sweep(
    model: type[LeasedWork],
    *,
    now: datetime.datetime,
    max_attempts: int | None = None,
    values: Mapping[str, Any] | None = None,
) -> Swept:
    """Return each running row whose lease lapsed before ``now`` to pending, or fail it with its
    reason once ``max_attempts`` claims have been spent; the caller re-enqueues ``requeued``.
    A pending row whose attempts are spent (it can no longer be claimed) is failed too.

    The rows are locked while they are changed, skipping any that a worker has locked to
    finish it (``lock``): its commit makes it done."""
    max_attempts = lease_max_attempts() if max_attempts is None else max_attempts
    manager = model._default_manager
    stranded = Q(status=LeaseStatus.PENDING, attempts__gte=max_attempts)
    with transaction.atomic():
        rows = list(
            manager.filter(_lapsed(now) | stranded)
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", "attempts")
        )
        spent = [pk for pk, attempts in rows if attempts >= max_attempts]
        again = [pk for pk, attempts in rows if attempts < max_attempts]
        released = {"lease_expires_at": None, "claim_token": None, **(values or {})}
        if spent:
            manager.filter(_lapsed(now), pk__in=spent).update(
                status=LeaseStatus.FAILED,
                error=f"given up after {max_attempts} attempts: the last one's worker stopped (lease lapsed)",
                **released,
            )
            manager.filter(stranded, pk__in=spent).update(
                status=LeaseStatus.FAILED,
                error=Concat(Value(f"given up after {max_attempts} attempts: "), F("error")),
                **released,
            )
        if again:
            manager.filter(_lapsed(now), pk__in=again).update(
                status=LeaseStatus.PENDING,
                error=f"its worker stopped (lease lapsed before {now.isoformat()}): queued again",
                **released,
            )
    if rows:
        logger.warning("%s: lapsed leases returned to pending %s, failed %s", model.__name__, again, spent)
    return Swept(requeued=again, failed=spent)


def retryable(now: datetime.datetime) -> Q:
    """Rows an officer may retry: failed, running under a lapsed lease (stuck), or pending (its
    message may have been lost while the broker was down: sending it again is harmless)."""
    return Q(status__in=[LeaseStatus.FAILED, LeaseStatus.PENDING]) | _lapsed(now)


def reopen(
    model: type[LeasedWork],
    pks: Iterable[int],
    *,
    now: datetime.datetime,
    values: Mapping[str, Any] | None = None,
) -> list[int]:
    """Put the failed, stuck or pending rows among ``pks`` back to pending with their attempts
    reset (an officer's retry); returns their ids, which the caller enqueues again. A row
    running under a live lease, or done, is left alone."""
    manager = model._default_manager
    with transaction.atomic():
        ids = list(
            manager.filter(retryable(now), pk__in=list(pks))
            .select_for_update()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        changes = {
            "status": LeaseStatus.PENDING,
            "attempts": 0,
            "lease_expires_at": None,
            "claim_token": None,
            "error": "",
            **(values or {}),
        }
        manager.filter(pk__in=ids).update(**changes)
    return ids


class KeepAlive:
    """The heartbeat thread of ``keep_alive``; ``lost`` is set once a renewal found the lease gone."""

    def __init__(self, lease: Lease, *, interval: float | None = None) -> None:
        self.lease = lease
        self.interval = lease.seconds / 3 if interval is None else interval
        self.lost = threading.Event()
        self.beats = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{lease.model.__name__}-{lease.pk}", daemon=True
        )

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    held = heartbeat(self.lease, now=timezone.now())
                except DatabaseError as exc:
                    # The lease may lapse if this goes on; the sweep then takes the row back.
                    logger.warning(
                        "lease heartbeat of %s %s failed: %s", self.lease.model.__name__, self.lease.pk, exc
                    )
                    continue
                if not held:
                    self.lost.set()
                    logger.warning("lease of %s %s was lost", self.lease.model.__name__, self.lease.pk)
                    return
                self.beats += 1
        finally:
            connections.close_all()  # this thread's connections only (they are per thread)

    def check(self) -> None:
        """Raise ``LeaseLost`` if a renewal found the lease gone."""
        if self.lost.is_set():
            raise LeaseLost(f"{self.lease.model.__name__} {self.lease.pk}: claimed by another worker")


@contextmanager
def keep_alive(lease: Lease, *, interval: float | None = None) -> Iterator[KeepAlive]:
    """Renew ``lease`` every ``interval`` seconds (a third of its length) while the block runs.

    Open it outside the transaction that ``lock``s the row (``with keep_alive(...),
    transaction.atomic():``): a renewal waits for that row lock, so the transaction must
    commit before this block joins the thread."""
    keeper = KeepAlive(lease, interval=interval)
    keeper._thread.start()
    try:
        yield keeper
    finally:
        keeper._stop.set()
        keeper._thread.join()
