"""Leases (tracker/leases.py): claim, heartbeat, finish, fail, sweep and reopen, at fixed times.

The rows are computation runs (any LeasedWork model behaves the same). No test reads the clock:
every call gets its ``now``.
"""

import datetime

import pytest

from reports.models import ComputationRun
from tests.waiting import wait_for
from tracker import leases
from tracker.leases import LeaseStatus

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


def run(**fields: object) -> ComputationRun:
    return ComputationRun.objects.create(scope_key="global", **fields)  # type: ignore[arg-type]  # model fields


def row(pk: int) -> ComputationRun:
    return ComputationRun.objects.get(pk=pk)


def test_claim_sets_running_with_token_expiry_and_one_attempt() -> None:
    pk = run().pk

    lease = leases.claim(ComputationRun, pk, now=T0, seconds=60, max_attempts=3)

    assert lease is not None
    claimed = row(pk)
    assert (claimed.status, claimed.claim_token, claimed.lease_expires_at, claimed.attempts) == (
        LeaseStatus.RUNNING,
        lease.token,
        at(60),
        1,
    )


def test_second_claim_under_a_live_lease_gets_nothing() -> None:
    pk = run().pk
    first = leases.claim(ComputationRun, pk, now=T0, seconds=60, max_attempts=3)

    second = leases.claim(ComputationRun, pk, now=at(59), seconds=60, max_attempts=3)

    assert first is not None
    assert second is None
    assert (row(pk).claim_token, row(pk).attempts) == (first.token, 1)


def test_claim_takes_over_a_lapsed_lease_and_the_stale_worker_cannot_finish() -> None:
    pk = run().pk
    stale = leases.claim(ComputationRun, pk, now=T0, seconds=60, max_attempts=3)
    assert stale is not None

    fresh = leases.claim(ComputationRun, pk, now=at(61), seconds=60, max_attempts=3)

    assert fresh is not None
    assert fresh.token != stale.token
    # The worker presumed dead wakes up: every write it tries is refused.
    assert leases.heartbeat(stale, now=at(62)) is False
    assert leases.finish(stale, values={"values_written": 99}) is False
    assert leases.fail(stale, error="late") is None
    assert (row(pk).status, row(pk).values_written, row(pk).attempts) == (LeaseStatus.RUNNING, 0, 2)
    assert leases.finish(fresh, values={"values_written": 7}) is True
    assert (row(pk).status, row(pk).values_written, row(pk).lease_expires_at) == (LeaseStatus.DONE, 7, None)


def test_claim_takes_a_running_row_without_any_lease() -> None:
    """A row left running before leases existed has no expiry: it counts as lapsed."""
    pk = run(status=LeaseStatus.RUNNING, attempts=1).pk

    lease = leases.claim(ComputationRun, pk, now=T0, seconds=60, max_attempts=3)

    assert lease is not None
    assert row(pk).attempts == 2


@pytest.mark.parametrize("status", [LeaseStatus.DONE, LeaseStatus.FAILED])
def test_claim_leaves_finished_rows_alone(status: str) -> None:
    pk = run(status=status, attempts=1).pk

    assert leases.claim(ComputationRun, pk, now=T0, seconds=60, max_attempts=3) is None
    assert (row(pk).status, row(pk).attempts) == (status, 1)


def test_claim_refuses_a_row_whose_attempts_are_spent() -> None:
    pk = run(attempts=3).pk

    assert leases.claim(ComputationRun, pk, now=T0, seconds=60, max_attempts=3) is None
    assert row(pk).status == LeaseStatus.PENDING


def test_claim_writes_its_values_and_keeps_the_reason_it_was_queued_again() -> None:
    pk = run(error="its worker stopped: queued again").pk

    leases.claim(ComputationRun, pk, now=T0, seconds=60, max_attempts=3, values={"started_at": T0})

    assert (row(pk).started_at, row(pk).error) == (T0, "its worker stopped: queued again")


def test_heartbeat_extends_a_held_lease_from_now() -> None:
    pk = run().pk
    lease = leases.claim(ComputationRun, pk, now=T0, seconds=60, max_attempts=3)
    assert lease is not None

    assert leases.heartbeat(lease, now=at(40)) is True

    assert row(pk).lease_expires_at == at(100)
    # Renewed, the lease is not lapsed at its first expiry: no one else can claim it.
    assert leases.claim(ComputationRun, pk, now=at(61), seconds=60, max_attempts=3) is None


def test_fail_records_the_error_and_retry_returns_to_pending() -> None:
    failing, retried = run().pk, run().pk
    lease_f = leases.claim(ComputationRun, failing, now=T0, seconds=60, max_attempts=3)
    lease_r = leases.claim(ComputationRun, retried, now=T0, seconds=60, max_attempts=3)
    assert lease_f is not None
    assert lease_r is not None

    assert leases.fail(lease_f, error="ValueError: no such indicator") == LeaseStatus.FAILED
    assert leases.fail(lease_r, error="OperationalError: gone", retry=True) == LeaseStatus.PENDING

    assert (row(failing).status, row(failing).error, row(failing).claim_token) == (
        LeaseStatus.FAILED,
        "ValueError: no such indicator",
        None,
    )
    assert (row(retried).status, row(retried).attempts) == (LeaseStatus.PENDING, 1)
    assert leases.claim(ComputationRun, retried, now=at(1), seconds=60, max_attempts=3) is not None


def test_sweep_returns_lapsed_rows_to_pending_and_fails_those_out_of_attempts() -> None:
    live, lapsed, spent = run().pk, run().pk, run(attempts=2).pk
    done = run(status=LeaseStatus.DONE).pk
    pending = run().pk
    assert leases.claim(ComputationRun, live, now=at(30), seconds=60, max_attempts=3)
    assert leases.claim(ComputationRun, lapsed, now=T0, seconds=60, max_attempts=3)
    assert leases.claim(ComputationRun, spent, now=T0, seconds=60, max_attempts=3)

    swept = leases.sweep(ComputationRun, now=at(61), max_attempts=3)

    assert swept == leases.Swept(requeued=[lapsed], failed=[spent])
    statuses = dict(ComputationRun.objects.values_list("pk", "status"))
    assert statuses == {
        live: LeaseStatus.RUNNING,
        lapsed: LeaseStatus.PENDING,
        spent: LeaseStatus.FAILED,
        done: LeaseStatus.DONE,
        pending: LeaseStatus.PENDING,
    }
    assert (
        row(lapsed).error
        == "its worker stopped (lease lapsed before 2026-12-01T09:01:01+00:00): queued again"
    )
    assert row(spent).error == "given up after 3 attempts: the last one's worker stopped (lease lapsed)"
    assert (row(lapsed).claim_token, row(lapsed).lease_expires_at) == (None, None)
    # A second sweep at the same moment finds nothing more.
    assert leases.sweep(ComputationRun, now=at(61), max_attempts=3) == leases.Swept(requeued=[], failed=[])


def test_a_retry_after_the_last_attempt_fails_the_row() -> None:
    pk = run(attempts=2).pk
    lease = leases.claim(ComputationRun, pk, now=T0, seconds=60, max_attempts=3)
    assert lease is not None

    assert leases.fail(lease, error="OperationalError: gone", retry=True) == LeaseStatus.FAILED
    assert (row(pk).status, row(pk).attempts, row(pk).error) == (
        LeaseStatus.FAILED,
        3,
        "OperationalError: gone",
    )


def test_sweep_fails_a_pending_row_that_can_no_longer_be_claimed() -> None:
    pk = run(attempts=3, error="OperationalError: gone").pk

    swept = leases.sweep(ComputationRun, now=T0, max_attempts=3)

    assert swept == leases.Swept(requeued=[], failed=[pk])
    assert (row(pk).status, row(pk).error) == (
        LeaseStatus.FAILED,
        "given up after 3 attempts: OperationalError: gone",
    )


def test_a_swept_row_is_claimed_again_and_the_first_worker_is_refused() -> None:
    pk = run().pk
    first = leases.claim(ComputationRun, pk, now=T0, seconds=60, max_attempts=3)
    assert first is not None
    leases.sweep(ComputationRun, now=at(61), max_attempts=3)

    second = leases.claim(ComputationRun, pk, now=at(62), seconds=60, max_attempts=3)

    assert second is not None
    assert leases.finish(first) is False
    assert leases.finish(second) is True
    assert (row(pk).status, row(pk).attempts) == (LeaseStatus.DONE, 2)


def test_reopen_resets_failed_stuck_and_pending_rows_only() -> None:
    failed = run(status=LeaseStatus.FAILED, attempts=3, error="boom").pk
    stuck, live = run().pk, run().pk
    done = run(status=LeaseStatus.DONE).pk
    assert leases.claim(ComputationRun, stuck, now=T0, seconds=60, max_attempts=3)
    assert leases.claim(ComputationRun, live, now=at(50), seconds=60, max_attempts=3)

    pending = run(attempts=1).pk

    reopened = leases.reopen(ComputationRun, [failed, stuck, live, done, pending], now=at(61))

    assert reopened == [failed, stuck, pending]
    assert [(r.status, r.attempts, r.error, r.claim_token) for r in map(row, reopened)] == [
        (LeaseStatus.PENDING, 0, "", None),
        (LeaseStatus.PENDING, 0, "", None),
        (LeaseStatus.PENDING, 0, "", None),
    ]
    assert (row(live).status, row(done).status) == (LeaseStatus.RUNNING, LeaseStatus.DONE)


def test_lock_holds_only_for_the_current_claim() -> None:
    pk = run().pk
    stale = leases.claim(ComputationRun, pk, now=T0, seconds=60, max_attempts=3)
    fresh = leases.claim(ComputationRun, pk, now=at(61), seconds=60, max_attempts=3)
    assert stale is not None
    assert fresh is not None

    assert leases.lock(stale) is False
    assert leases.lock(fresh) is True


@pytest.mark.django_db(transaction=True)
def test_keep_alive_renews_the_lease_from_its_own_connection_while_the_block_runs() -> None:
    """The heartbeat thread commits each renewal on its own connection: the row's expiry moves
    past the claim's (made at a fixed moment long ago) while the main thread is still working."""
    pk = run().pk
    lease = leases.claim(ComputationRun, pk, now=T0, seconds=60, max_attempts=3)
    assert lease is not None

    with leases.keep_alive(lease, interval=0.05) as keeper:
        wait_for(lambda: keeper.beats >= 2, timeout=10, what="two heartbeats")
        keeper.check()

    renewed = row(pk).lease_expires_at
    assert renewed is not None
    assert renewed > at(60)
    assert not keeper.lost.is_set()


@pytest.mark.django_db(transaction=True)
def test_keep_alive_notices_a_lost_lease_and_check_raises() -> None:
    pk = run().pk
    lease = leases.claim(ComputationRun, pk, now=T0, seconds=60, max_attempts=3)
    assert lease is not None

    with leases.keep_alive(lease, interval=0.05) as keeper:
        # Another worker takes the row over (as if this one had stalled past its lease).
        ComputationRun.objects.filter(pk=pk).update(claim_token=None, status=LeaseStatus.PENDING)
        wait_for(keeper.lost.is_set, timeout=10, what="the lost lease to be noticed")
        with pytest.raises(leases.LeaseLost):
            keeper.check()
