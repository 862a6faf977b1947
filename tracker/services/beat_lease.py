"""The beat lease's writes (tracker/beat.py decides when): which ``celery beat`` dispatches, and
each entry's last run. Each is one conditional statement, so two beats asking at once cannot
both hold it. Beat's own bookkeeping: no history, no actor."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.models import BeatLease


def _leases() -> type[BeatLease]:
    # Imported when called: tracker/beat.py (which imports this) is loaded by ``celery beat``
    # before Django's app registry may be ready.
    from tracker.models import BeatLease

    return BeatLease


def hold(name: str, holder: str, *, now: datetime.datetime, seconds: float) -> bool:
    """Renew the lease when ``holder`` has it; take it when it lapsed or nobody ever held it.

    True when ``holder`` holds it until ``now + seconds``. Each step is one conditional
    statement, so of two beats asking at once exactly one gets it."""
    until = now + datetime.timedelta(seconds=seconds)
    rows = _leases().objects.filter(name=name)
    # Still the holder: nobody took it over, even if it lapsed meanwhile (nobody dispatched).
    if rows.filter(holder=holder).update(expires_at=until) == 1:
        return True
    if rows.filter(expires_at__lt=now).update(holder=holder, taken_at=now, expires_at=until) == 1:
        return True
    if not rows.exists():
        _leases().objects.bulk_create(
            [_leases()(name=name, holder=holder, taken_at=now, expires_at=until)], ignore_conflicts=True
        )
        return rows.filter(holder=holder).exists()
    return False


def record_run(
    name: str, holder: str, runs: dict[str, str], *, now: datetime.datetime, seconds: float
) -> bool:
    """Store ``runs`` (entry name -> ISO time of its last dispatch) and renew the lease, only
    while ``holder`` holds it; False when another beat has taken it over."""
    until = now + datetime.timedelta(seconds=seconds)
    return _leases().objects.filter(name=name, holder=holder).update(last_runs=runs, expires_at=until) == 1


def last_runs(name: str) -> dict[str, str]:
    row = _leases().objects.filter(name=name).values_list("last_runs", flat=True).first()
    return dict(row or {})


def release(name: str, holder: str, *, now: datetime.datetime) -> bool:
    """Let the lease lapse now, so a standby takes over at its next question (a clean stop)."""
    lapsed = now - datetime.timedelta(seconds=1)
    return _leases().objects.filter(name=name, holder=holder).update(expires_at=lapsed) == 1
