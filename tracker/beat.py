"""One ``celery beat`` dispatches, however many run: a lease in the database decides which.

``celery beat`` sends every due entry of the schedule; two of them (a second machine, a
restart that overlaps the old process, a supervisor that starts one too many) would send every
entry twice. ``LeasedScheduler`` (settings ``CELERY_BEAT_SCHEDULER``) dispatches only while it
holds the row ``BeatLease(name="beat")``:

- every tick renews the lease (``BEAT_LEASE_SECONDS``, renewed at least every third of it); a
  beat that does not hold it stands by, asking again every third of the lease, and takes it
  over once it has lapsed: within ``BEAT_LEASE_SECONDS`` plus a third of it after the active
  beat died (a beat stopped with SIGTERM releases it at once);
- every dispatch is fenced: the entry's run is recorded in the lease row by an UPDATE
  conditional on still being its holder, and the task is sent only if that UPDATE matched. A
  beat that paused (a frozen VM) and lost the lease meanwhile sends nothing;
- the row keeps each entry's last run (``last_runs``), so the beat taking over continues the
  schedule where the other left it: the nightly entry that ran at 02:15 does not run again when
  a standby started at 01:00 takes over at 02:20. No schedule file is kept on disk.

Why the database and not a Redis lock (celery-redbeat): every deployment has the database,
including the embedded one (SQLite, file broker, ``make run``), where one beat then runs exactly
as before; the periodic tasks need it anyway; and a Redis outage, which the rest of tracker
survives (docs/reliability.md), only makes the sends fail and be logged, as with Celery's own
scheduler. While the database is away the beat sends nothing (it cannot prove it holds the
lease) and logs it at most once a minute; it never exits for it.

Times come from each beat's clock (``timezone.now()``): machines running beats keep their
clocks synchronised (NTP), as for the work leases in ``tracker/leases.py``.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import time
import uuid
from typing import Any

from celery.beat import ScheduleEntry, Scheduler
from django.conf import settings
from django.db import Error as DatabaseError
from django.db import close_old_connections, connection
from django.utils import timezone

from .services.beat_lease import hold, last_runs, record_run, release

logger = logging.getLogger(__name__)

LEASE_NAME = "beat"
# This process's identity as a holder (the banner's scheduler and the running one are two
# instances of one process: they must be the same holder).
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_seconds() -> float:
    return float(getattr(settings, "BEAT_LEASE_SECONDS", 30))


class LeasedScheduler(Scheduler):
    """Celery's in-memory scheduler, dispatching only while it holds the beat lease."""

    max_interval: float  # set by Scheduler.__init__ (beat_max_loop_interval), then bounded below

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lease_seconds = lease_seconds()
        self.holder = HOLDER
        self.active = False
        self._runs: dict[str, str] = {}
        self._last_complaint = 0.0
        self._standing_by_for: str | None = None
        super().__init__(*args, **kwargs)
        # Tick (and so renew) at least every third of the lease, standby or active.
        self.max_interval = min(float(self.max_interval), self.lease_seconds / 3)

    def _database_error(self, doing: str, exc: Exception) -> None:
        if time.monotonic() - self._last_complaint >= 60:
            self._last_complaint = time.monotonic()
            logger.warning("beat: cannot %s, sending nothing meanwhile: %s", doing, exc)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        # A connection the database dropped (restart, outage) is replaced; never inside a
        # transaction (a test's), whose connection closing would end it.
        if not connection.in_atomic_block:
            close_old_connections()
        try:
            held = hold(LEASE_NAME, self.holder, now=timezone.now(), seconds=self.lease_seconds)
            runs = last_runs(LEASE_NAME) if held and not self.active else None
        except DatabaseError as exc:
            self._database_error("reach the database to renew the beat lease", exc)
            held, runs = False, None
        if not held:
            if self.active:
                logger.warning("beat: %s no longer holds the beat lease: standing by", self.holder)
            self.active = False
            self._log_standby()
            return float(self.max_interval)
        if not self.active:
            self._take_over(runs or {})
        return float(super().tick(*args, **kwargs))

    def _log_standby(self) -> None:
        from .models import BeatLease

        try:
            holder = BeatLease.objects.filter(name=LEASE_NAME).values_list("holder", flat=True).first()
        except DatabaseError:
            return
        if holder != self._standing_by_for:
            self._standing_by_for = holder
            logger.info("beat: standing by (%s): the beat lease is held by %s", self.holder, holder)

    def _take_over(self, runs: dict[str, str]) -> None:
        """Continue the schedule from the runs the previous holder recorded."""
        for entry_name, iso in runs.items():
            entry = self.schedule.get(entry_name)
            if entry is not None:
                entry.last_run_at = datetime.datetime.fromisoformat(iso)
        self._runs = {entry_name: iso for entry_name, iso in runs.items() if entry_name in self.schedule}
        self._heap = None  # rebuilt from the entries' last runs at the next tick
        self.active = True
        self._standing_by_for = None
        logger.info("beat: %s holds the beat lease and dispatches", self.holder)

    def apply_entry(self, entry: ScheduleEntry, producer: Any = None) -> None:
        # ``reserve`` has just advanced the entry: its new last run is this dispatch.
        ran = self.schedule[entry.name].last_run_at
        runs = {**self._runs, entry.name: ran.isoformat()}
        try:
            fenced = record_run(LEASE_NAME, self.holder, runs, now=timezone.now(), seconds=self.lease_seconds)
        except DatabaseError as exc:
            self._database_error(f"record the run of {entry.name}", exc)
            fenced = False
        if not fenced:
            logger.warning("beat: not sending %s: %s does not hold the beat lease", entry.name, self.holder)
            self.active = False
            return
        self._runs = runs
        super().apply_entry(entry, producer=producer)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.active:
                try:
                    release(LEASE_NAME, self.holder, now=timezone.now())
                    logger.info("beat: %s released the beat lease", self.holder)
                except DatabaseError as exc:
                    logger.warning("beat: could not release the beat lease (it lapses by itself): %s", exc)
                self.active = False

    @property
    def info(self) -> str:
        return f"    . lease -> {LEASE_NAME} ({self.lease_seconds:g} s), holder {self.holder}"
