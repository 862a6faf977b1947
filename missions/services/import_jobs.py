"""Import jobs: a large upload imported by a Celery worker, claimed with a lease, with progress.

- ``submit_import`` refuses a file over IMPORT_MAX_BYTES, keeps the upload in Django's default
  storage (so S3 works when it is configured), records a pending ``ImportJob`` and sends
  ``missions.tasks.run_import_job_task`` once the record is committed.
- ``run_import_job`` (the task's body) claims the job with a lease (tracker.leases.claim: a
  conditional UPDATE that gives it a fresh ``claim_token`` and an expiry), streams the stored
  file through the importer, and records the outcome. The importer's writes and the job's
  "done" commit in one transaction: a worker killed mid-way leaves nothing written and the job
  running under a lease that lapses. While it works, the job's progress (rows read, rows
  written) and the lease's renewal are written every ``heartbeat_every`` seconds by a thread
  with its own database connection, so they are visible at once although the import runs
  inside a transaction. (SQLite allows one writer at a time: there the task passes no interval
  and each batch records the progress on the worker's own connection, seen at the commit.)
- ``sweep_import_jobs`` (beat, "sweep-import-jobs-v1") returns each running job whose lease
  lapsed to pending and sends it again, or fails it once LEASE_MAX_ATTEMPTS claims are spent;
  it sends again the jobs still pending after a lease's length.
- ``retry_import_jobs`` is an officer's "run again" of failed or stuck jobs.

The lease is tracker.leases' (LEASE_SECONDS, LEASE_MAX_ATTEMPTS): claim, heartbeat, lock and
finish, fail, sweep and reopen; this module adds the progress, the storage and the sends.
Times are arguments (``now=``, or ``clock`` for a run that takes a while): tests pass fixed ones.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import DatabaseError, connections, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from tracker import leases, publishing
from tracker.leases import LeaseStatus

from ..choices import ImportKind
from ..models import ImportJob
from .import_files import TableError, check_size
from .legal_import import DEFAULT_SKIPPED_PARTICIPANTS, ImportReport, import_legislation, import_ratifications

logger = logging.getLogger(__name__)

RUN_TASK = "missions.tasks.run_import_job_task"
Clock = Callable[[], datetime.datetime]


def heartbeat_interval() -> float | None:
    """Seconds between the heartbeats of a running job: a third of the lease; None on SQLite,
    whose single writer would make the heartbeat thread wait for the import's commit."""
    if connections["default"].vendor == "sqlite":
        return None
    return leases.lease_seconds() / 3


def runs_in_background(size: int) -> bool:
    """Whether the admin hands an upload of ``size`` bytes to a job (IMPORT_BACKGROUND_BYTES)."""
    return size > int(settings.IMPORT_BACKGROUND_BYTES)


def _send(job_id: int) -> None:
    publishing.send(RUN_TASK, kwargs={"job_id": job_id})  # broker away: logged, the job stays pending


def _send_on_commit(ids: Iterable[int]) -> None:
    for job_id in ids:
        # robust: a broker that is down leaves the job pending, for the sweep to send again.
        transaction.on_commit(lambda job_id=job_id: _send(job_id), robust=True)  # type: ignore[misc]  # default binds the id


# --- Submitting ----------------------------------------------------------------------------
def submit_import(
    *,
    actor: Any,
    kind: str,
    upload: IO[bytes],
    filename: str,
    size: int,
    dry_run: bool,
    reason: str,
    options: dict[str, Any] | None = None,
    now: datetime.datetime,
) -> ImportJob:
    """Keep the upload in storage and record a pending job, sent to a worker on commit.

    Refuses (ValidationError naming the file field) a file over IMPORT_MAX_BYTES, before
    anything is stored."""
    if kind not in ImportKind.values:
        raise ValidationError({"kind": f"{kind!r} is not one of {', '.join(ImportKind.values)}"})
    try:
        check_size(size)
    except TableError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    user = actor if getattr(actor, "pk", None) else None
    name = default_storage.save(f"imports/{now:%Y/%m}/{get_valid_filename(filename) or 'upload'}", upload)
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                kind=kind,
                file=name,
                filename=filename[:255],
                size=size,
                dry_run=dry_run,
                reason=reason[:100],
                options={**(options or {}), "requester": user.get_username() if user else ""},
                requested_by=user,
                created_at=now,
            )
            _send_on_commit([job.pk])
    except BaseException:
        default_storage.delete(name)  # no job holds it
        raise
    return job


# --- The lease and the progress ------------------------------------------------------------
def claim_import_job(job_id: int, *, now: datetime.datetime) -> leases.Lease | None:
    """Claim a pending job, or a running one whose lease lapsed; None when it is not free."""
    return leases.claim(
        ImportJob, job_id, now=now, values={"started_at": now, "rows_read": 0, "rows_written": 0}
    )


class _Progress:
    """The importer's progress callback: keeps the latest counts; ``publish`` records them and
    renews the lease (tracker.leases.heartbeat), and notes when the lease was lost."""

    def __init__(self, lease: leases.Lease, clock: Clock, *, publish_each_batch: bool) -> None:
        self.lease, self.clock = lease, clock
        self.publish_each_batch = publish_each_batch
        self.rows_read = self.rows_written = 0
        self.lost = threading.Event()

    def __call__(self, rows_read: int, rows_written: int) -> None:
        self.rows_read, self.rows_written = rows_read, rows_written
        if self.publish_each_batch:
            self.publish()
        if self.lost.is_set():
            raise leases.LeaseLost(f"import job {self.lease.pk}: claimed by another worker")

    def publish(self) -> None:
        ImportJob.objects.filter(self.lease.held()).update(
            rows_read=self.rows_read, rows_written=self.rows_written
        )
        if not leases.heartbeat(self.lease, now=self.clock()):
            self.lost.set()


@contextmanager
def _heartbeat(progress: _Progress, every: float | None) -> Iterator[None]:
    """Publish the progress every ``every`` seconds from a thread, whose own connection commits
    each UPDATE at once; no thread when ``every`` is None. (tracker.leases.keep_alive renews
    the lease alone; a job's beat records its progress too, in the same thread.)"""
    if every is None:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every) and not progress.lost.is_set():
                try:
                    progress.publish()
                except DatabaseError as exc:  # the lease may lapse if this goes on: the sweep takes it back
                    logger.warning("heartbeat of import job %s failed: %s", progress.lease.pk, exc)
        finally:
            connections.close_all()  # this thread's connections only (they are per thread)

    thread = threading.Thread(target=beat, name=f"import-job-{progress.lease.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


# --- Running -------------------------------------------------------------------------------
def _import(job: ImportJob, handle: IO[bytes], progress: _Progress) -> ImportReport:
    actor = job.requested_by
    options = job.options or {}
    if job.kind == ImportKind.RATIFICATIONS:
        return import_ratifications(
            handle,
            actor=actor,
            reason=job.reason,
            filename=job.filename,
            dry_run=job.dry_run,
            default_source=options.get("default_source", ""),
            skip_participants=options.get("skip_participants", DEFAULT_SKIPPED_PARTICIPANTS),
            progress=progress,
        )
    return import_legislation(
        handle, actor=actor, reason=job.reason, filename=job.filename, dry_run=job.dry_run, progress=progress
    )


def run_import_job(
    job_id: int, *, clock: Clock = timezone.now, heartbeat_every: float | None = None
) -> ImportJob | None:
    """Claim the job and import its file; None when the job is not free (done, failed, or
    running under another worker's live lease: a duplicate message does nothing).

    A failure of the job itself (storage unreadable, a database error) is recorded on the job
    as failed and re-raised; a file with bad rows is a job done whose report lists them."""
    lease = claim_import_job(job_id, now=clock())
    if lease is None:
        logger.info("import job %s is not free: not run again", job_id)
        return None
    job = ImportJob.objects.select_related("requested_by").get(pk=job_id)
    if job.requested_by is None and (job.options or {}).get("requester"):
        # Never run as the system what an officer asked for (the system sees every activity).
        _fail(lease, error="the officer who asked for this import no longer exists", now=clock())
        return ImportJob.objects.get(pk=job_id)
    progress = _Progress(lease, clock, publish_each_batch=heartbeat_every is None)
    try:
        with transaction.atomic():
            with (
                default_storage.open(str(job.file.name), "rb") as handle,
                _heartbeat(progress, heartbeat_every),
            ):
                report = _import(job, handle, progress)
            # Locked, and still ours: no sweep can take the job back before this commits.
            if not leases.lock(lease):
                raise leases.LeaseLost(f"import job {job_id}: claimed by another worker")
            leases.finish(
                lease,
                values={
                    "finished_at": clock(),
                    "rows_read": report.rows_read,
                    "rows_written": report.rows_written,
                    "counts": report.counts,
                    "error_count": report.error_count,
                    "errors": [[e.line, e.field, e.reason] for e in report.errors],
                    "summary": report.summary()[:300],
                    "report": report.as_text(),
                },
            )
    except leases.LeaseLost as exc:  # the job is someone else's now: nothing of this run was kept
        logger.warning("import job %s stopped: %s", job_id, exc)
        return None
    except Exception as exc:
        _fail(lease, error=f"{type(exc).__name__}: {exc}", now=clock())
        raise
    return ImportJob.objects.get(pk=job_id)


def _fail(lease: leases.Lease, *, error: str, now: datetime.datetime) -> None:
    leases.fail(lease, error=error, values={"finished_at": now})


# --- Sweeping and retrying -----------------------------------------------------------------
@dataclass(frozen=True)
class Swept:
    requeued: list[int]  # lapsed, returned to pending and sent again
    failed: list[int]  # lapsed (or stranded) with no attempt left
    resent: list[int]  # pending for longer than a lease, sent again


def sweep_import_jobs(*, now: datetime.datetime) -> Swept:
    """Take back the jobs whose worker stopped (tracker.leases.sweep) and send them again, with
    the jobs nobody picked up for a lease's length (the broker was down, a message was lost);
    a duplicate message is harmless: the claim admits one worker."""
    never_started = now - datetime.timedelta(seconds=leases.lease_seconds())
    with transaction.atomic():
        swept = leases.sweep(ImportJob, now=now)
        stale = list(
            ImportJob.objects.filter(status=LeaseStatus.PENDING, created_at__lte=never_started)
            .exclude(pk__in=swept.requeued)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        _send_on_commit(swept.requeued + stale)
    if stale:
        logger.warning("import jobs still pending, sent again: %s", stale)
    return Swept(requeued=swept.requeued, failed=swept.failed, resent=stale)


def retry_import_jobs(*, actor: Any, jobs: Iterable[int], now: datetime.datetime) -> list[int]:
    """An officer's "run again": failed jobs, and running ones whose lease lapsed, go back to
    pending with their attempts reset (tracker.leases.reopen) and are sent again; returns their
    ids. ``actor`` is who asked (the admin's log records it)."""
    with transaction.atomic():
        ids = leases.reopen(ImportJob, jobs, now=now, values={"finished_at": None})
        _send_on_commit(ids)
    return ids
