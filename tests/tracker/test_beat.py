"""The beat lease (tracker/beat.py): of two beats one dispatches; a lapsed lease is taken over
with the schedule's last runs. Fixed times; the processes themselves are in
tests/trust/test_beat_standby.py and tests/trust/test_scale_out.py."""

import datetime

import pytest
from freezegun import freeze_time

from tracker import beat
from tracker.celery import app
from tracker.models import BeatLease

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)
SECONDS = 30


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


def test_the_first_beat_takes_the_lease_and_a_second_stands_by_while_it_is_renewed() -> None:
    assert beat.hold("beat", "a", now=at(0), seconds=SECONDS)
    assert not beat.hold("beat", "b", now=at(1), seconds=SECONDS)
    assert beat.hold("beat", "a", now=at(20), seconds=SECONDS)  # renewed until 50 s
    assert not beat.hold("beat", "b", now=at(45), seconds=SECONDS)
    row = BeatLease.objects.get()
    assert (row.holder, row.taken_at, row.expires_at) == ("a", at(0), at(50))


def test_a_lapsed_lease_is_taken_over_and_its_old_holder_can_neither_renew_nor_dispatch() -> None:
    assert beat.hold("beat", "a", now=at(0), seconds=SECONDS)
    assert beat.record_run("beat", "a", {"sweep-v1": at(5).isoformat()}, now=at(5), seconds=SECONDS)

    assert beat.hold("beat", "b", now=at(36), seconds=SECONDS)  # a's lease lapsed at 35 s

    assert not beat.hold("beat", "a", now=at(37), seconds=SECONDS)
    assert not beat.record_run("beat", "a", {"sweep-v1": at(37).isoformat()}, now=at(37), seconds=SECONDS)
    assert beat.last_runs("beat") == {"sweep-v1": at(5).isoformat()}
    assert BeatLease.objects.get().holder == "b"


def test_a_holder_whose_lease_lapsed_unclaimed_keeps_it() -> None:
    """Nobody dispatched in between, so the same beat carries on (a long pause, no standby)."""
    assert beat.hold("beat", "a", now=at(0), seconds=SECONDS)
    assert beat.hold("beat", "a", now=at(100), seconds=SECONDS)
    assert BeatLease.objects.get().taken_at == at(0)


def test_a_released_lease_is_taken_at_once() -> None:
    assert beat.hold("beat", "a", now=at(0), seconds=SECONDS)
    assert beat.release("beat", "a", now=at(3))
    assert beat.hold("beat", "b", now=at(3), seconds=SECONDS)
    assert not beat.release("beat", "a", now=at(4))  # no longer a's to release


def test_a_standby_scheduler_sends_nothing_and_takes_over_with_the_recorded_last_runs() -> None:
    assert beat.hold("beat", "other", now=at(0), seconds=SECONDS)
    assert beat.record_run(
        "beat", "other", {"sweep-expired-leases-v1": at(10).isoformat()}, now=at(10), seconds=SECONDS
    )
    with freeze_time(at(20)):
        scheduler = beat.LeasedScheduler(app=app)
        scheduler.holder = "standby"
        assert scheduler.tick() == SECONDS / 3
        assert not scheduler.active
    with freeze_time(at(41)):  # the other's lease lapsed at 40 s; the sweep is due at 70 s
        assert scheduler.tick() > 0  # nothing due: nothing sent
        assert scheduler.active
        assert scheduler.schedule["sweep-expired-leases-v1"].last_run_at == at(10)
    assert BeatLease.objects.get().holder == "standby"
