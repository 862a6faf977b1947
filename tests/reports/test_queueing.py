"""A report or delivery whose task the broker lost is sent again by the minute sweep.

The broker is "away" as in tests/api/test_redis_away.py: a loopback port nobody listens on.
Without it the tests use the suite's own broker (the file system, or Redis in the services
pass), so a send that succeeds is a real hand-over.
"""

import datetime
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from freezegun import freeze_time

from reports.choices import RunStatus
from reports.models import Delivery, Report
from reports.services import queueing, recovery, reporting
from tests.factories import ReportFactory, ReportScheduleFactory, UserFactory
from tests.trust.test_faults import _point_celery_at
from tracker import outages
from tracker.celery import app

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
LATER = T0 + datetime.timedelta(minutes=10)  # past REPORTS_RESEND_PENDING_AFTER (300 s)


@contextmanager
def broker_away() -> Iterator[None]:
    """The broker on a loopback port nobody listens on, then back (outages forgotten)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    previous = app.conf.broker_url
    _point_celery_at(url)
    try:
        yield
    finally:
        _point_celery_at(previous)
        outages._outages.clear()  # noqa: SLF001 -- this process forgets the outage, as after its retry window


def queued_at(report: Report) -> datetime.datetime | None:
    return Report.objects.values_list("queued_at", flat=True).get(pk=report.pk)


@pytest.fixture
def lost_report() -> Report:
    """A pending report whose generation was sent while the broker was away."""
    with freeze_time(T0), broker_away():
        report = ReportFactory.create(formats=["html"])
        assert queueing.queue_generation([report.pk]) == []  # logged, not raised
    assert queued_at(report) is None
    return report


def test_a_report_the_broker_never_took_is_sent_again_by_the_sweep(lost_report: Report) -> None:
    with freeze_time(LATER):
        swept = recovery.sweep_expired_leases(now=LATER)
    assert swept["reports_resent"] == [lost_report.pk]
    assert queued_at(lost_report) == LATER
    with freeze_time(LATER):  # handed over now: the next minute's sweep leaves it to its worker
        assert (
            recovery.sweep_expired_leases(now=LATER + datetime.timedelta(minutes=1))["reports_resent"] == []
        )


def test_a_report_queued_too_long_ago_and_still_pending_is_sent_again(lost_report: Report) -> None:
    """Its task was taken, then lost (Redis restarted with the queue in memory)."""
    Report.objects.filter(pk=lost_report.pk).update(queued_at=T0)
    assert queueing.resend_unqueued(now=T0 + datetime.timedelta(minutes=4))["reports_resent"] == []
    with freeze_time(LATER):
        assert queueing.resend_unqueued(now=LATER)["reports_resent"] == [lost_report.pk]


def test_a_young_or_finished_report_is_not_sent_again(lost_report: Report) -> None:
    assert queueing.resend_unqueued(now=T0 + datetime.timedelta(minutes=4))["reports_resent"] == []
    Report.objects.filter(pk=lost_report.pk).update(status=RunStatus.FAILED)
    assert queueing.resend_unqueued(now=LATER)["reports_resent"] == []


def test_generation_records_the_deliveries_even_when_the_broker_is_away() -> None:
    schedule = ReportScheduleFactory.create(extra_addresses="donor@example.org")
    schedule.recipients.set([UserFactory.create(email="head@example.org")])
    report = ReportFactory.create(schedule=schedule, formats=["html"])
    with freeze_time(T0), broker_away():
        done = reporting.generate_report(report_id=report.pk)
        assert queueing.queue_delivery([report.pk]) == []  # what its on-commit send met
    assert done.status == RunStatus.DONE
    rows = Delivery.objects.filter(report=report).order_by("address")
    assert list(rows.values_list("address", "status", "queued_at")) == [
        ("donor@example.org", RunStatus.PENDING, None),
        ("head@example.org", RunStatus.PENDING, None),
    ]
    assert queueing.resend_unqueued(now=T0 + datetime.timedelta(minutes=4))["deliveries_resent"] == []
    with broker_away():  # still away ten minutes on: nothing taken, every row kept pending
        assert queueing.resend_unqueued(now=LATER)["deliveries_resent"] == []
    assert set(rows.values_list("status", "queued_at")) == {(RunStatus.PENDING, None)}
    with freeze_time(LATER):  # the broker is back
        assert queueing.resend_unqueued(now=LATER)["deliveries_resent"] == [report.pk]
    assert set(rows.values_list("queued_at", flat=True)) == {LATER}


def test_a_lost_delivery_task_is_sent_again_once_the_broker_answers() -> None:
    schedule = ReportScheduleFactory.create(extra_addresses="donor@example.org")
    report = ReportFactory.create(schedule=schedule, formats=["html"])
    with freeze_time(T0):
        reporting.generate_report(report_id=report.pk)  # on_commit never runs here: task "lost"
    with freeze_time(LATER):
        assert queueing.resend_unqueued(now=LATER)["deliveries_resent"] == [report.pk]
    assert list(Delivery.objects.filter(report=report).values_list("queued_at", flat=True)) == [LATER]
