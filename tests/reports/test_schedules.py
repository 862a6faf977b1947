"""Schedules (SQLite): periods, next runs, validation, the dispatcher's claim, bounded retries."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from reports.choices import Frequency, RunStatus, ScopeKind
from reports.models import Report, ReportSchedule
from reports.services import schedules
from reports.services.schedules import Period, next_run_after, period_for_run
from reports.tasks.reporting import dispatch_due_reports_task
from tests.factories import RegionFactory, ReportFactory, ReportScheduleFactory, UserFactory

UTC = datetime.UTC


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("frequency", "cron", "run_at", "period"),
    [
        (
            Frequency.YEARLY,
            "",
            at(2007, 1, 1),
            Period(datetime.date(2006, 1, 1), datetime.date(2006, 12, 31)),
        ),
        (
            Frequency.YEARLY,
            "",
            at(2007, 6, 5, 8),
            Period(datetime.date(2006, 1, 1), datetime.date(2006, 12, 31)),
        ),
        (
            Frequency.QUARTERLY,
            "",
            at(2006, 4, 1),
            Period(datetime.date(2006, 1, 1), datetime.date(2006, 3, 31)),
        ),
        (
            Frequency.QUARTERLY,
            "",
            at(2007, 1, 1),
            Period(datetime.date(2006, 10, 1), datetime.date(2006, 12, 31)),
        ),
        (
            Frequency.MONTHLY,
            "",
            at(2006, 3, 1),
            Period(datetime.date(2006, 2, 1), datetime.date(2006, 2, 28)),
        ),
        (
            Frequency.MONTHLY,
            "",
            at(2006, 1, 15),
            Period(datetime.date(2005, 12, 1), datetime.date(2005, 12, 31)),
        ),
        (
            Frequency.CRON,
            "0 6 * * 1",
            at(2006, 3, 13, 6),
            Period(datetime.date(2006, 3, 6), datetime.date(2006, 3, 12)),
        ),
    ],
)
def test_a_run_covers_the_last_full_period_before_it(
    frequency: str, cron: str, run_at: datetime.datetime, period: Period
) -> None:
    assert period_for_run(frequency=frequency, cron=cron, run_at=run_at) == period


@pytest.mark.parametrize(
    ("frequency", "cron", "after", "expected"),
    [
        (Frequency.YEARLY, "", at(2007, 1, 1), at(2008, 1, 1)),
        (Frequency.QUARTERLY, "", at(2006, 4, 1), at(2006, 7, 1)),
        (Frequency.QUARTERLY, "", at(2006, 11, 20), at(2007, 1, 1)),
        (Frequency.MONTHLY, "", at(2006, 12, 1), at(2007, 1, 1)),
        (Frequency.CRON, "0 6 * * 1", at(2006, 3, 13, 6), at(2006, 3, 20, 6)),
    ],
)
def test_next_run_is_the_start_of_the_next_period(
    frequency: str, cron: str, after: datetime.datetime, expected: datetime.datetime
) -> None:
    assert next_run_after(frequency=frequency, cron=cron, after=after) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {"frequency": Frequency.CRON, "cron": ""},
            {"cron": ["A cron schedule needs a cron expression, e.g. '0 6 1 * *'."]},
        ),
        (
            {"frequency": Frequency.CRON, "cron": "61 * * * *"},
            {"cron": ["'61 * * * *' is not a valid cron expression (five fields)."]},
        ),
        ({"cron": "0 6 * * *"}, {"cron": ["A cron expression is only used with the cron frequency."]}),
        ({"formats": []}, {"formats": ["Choose at least one format among html, pdf, xlsx."]}),
        ({"formats": ["pdf", "docx"]}, {"formats": ["Unknown format(s) docx; use html, pdf, xlsx."]}),
        ({"scope_kind": ScopeKind.REGION}, {"scope_region": ["A regional schedule needs its region."]}),
        (
            {"extra_addresses": "boss@example.org\nnot an address"},
            {"extra_addresses": ["'not an address' is not an e-mail address."]},
        ),
    ],
)
def test_bad_schedules_are_refused_naming_the_field(
    fields: dict[str, object], errors: dict[str, list[str]]
) -> None:
    schedule = ReportScheduleFactory.build(**fields)

    with pytest.raises(ValidationError) as caught:
        schedules.save_schedule(actor=None, schedule=schedule)

    assert caught.value.message_dict == errors
    assert not ReportSchedule.objects.exists()


@pytest.mark.django_db
def test_recipients_are_the_active_users_with_an_address_and_the_extra_addresses() -> None:
    schedule = ReportScheduleFactory.create(extra_addresses="donor@example.org\n\nHEAD@example.org\n")
    schedule.recipients.set(
        [
            UserFactory.create(email="head@example.org"),
            UserFactory.create(email="gone@example.org", is_active=False),
            UserFactory.create(email=""),
        ]
    )

    assert schedules.recipient_addresses(schedule) == ["head@example.org", "donor@example.org"]


@pytest.mark.django_db
def test_dispatcher_creates_one_pending_report_for_the_last_period_and_moves_the_schedule_on(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]  # pytest-django fixture
) -> None:
    region = RegionFactory.create()
    schedule = ReportScheduleFactory.create(
        name="Yearly", next_run_at=at(2007, 1, 1), scope_kind=ScopeKind.REGION, scope_region=region
    )
    with (
        mock.patch("tracker.celery.app.send_task") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        created = schedules.dispatch_due(now=at(2007, 1, 1, 0, 5))

    report = Report.objects.get()
    assert created == [report]
    assert (report.title, report.period_start, report.period_end, report.status) == (
        "Yearly: 2006-01-01 to 2006-12-31",
        datetime.date(2006, 1, 1),
        datetime.date(2006, 12, 31),
        RunStatus.PENDING,
    )
    assert (report.scope_kind, report.scope_region, report.formats) == (
        ScopeKind.REGION,
        region,
        ["pdf", "xlsx", "html"],
    )
    send.assert_called_once_with("reports.tasks.generate_report_task", args=[report.pk])
    schedule.refresh_from_db()
    assert (schedule.next_run_at, schedule.last_run_at) == (at(2008, 1, 1), at(2007, 1, 1, 0, 5))


@pytest.mark.django_db
def test_dispatching_twice_produces_one_report() -> None:
    ReportScheduleFactory.create(next_run_at=at(2007, 1, 1))

    with mock.patch("tracker.celery.app.send_task"):
        first = dispatch_due_reports_task(now="2007-01-01T00:05:00+00:00")
        second = dispatch_due_reports_task(now="2007-01-01T00:10:00+00:00")

    assert len(first) == 1
    assert second == []
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_a_dispatcher_that_lost_the_claim_creates_nothing() -> None:
    schedule = ReportScheduleFactory.create(next_run_at=at(2007, 1, 1))
    real_filter = ReportSchedule.objects.filter

    def racing_filter(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if "next_run_at" in kwargs and "pk" in kwargs:
            # Another dispatcher claimed the row between our read and our UPDATE.
            real_filter(pk=schedule.pk).update(next_run_at=at(2008, 1, 1))
        return real_filter(*args, **kwargs)

    with mock.patch.object(ReportSchedule.objects, "filter", side_effect=racing_filter):
        created = schedules.dispatch_due(now=at(2007, 1, 1, 0, 5))

    assert created == []
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_an_existing_report_for_the_period_is_not_made_again() -> None:
    schedule = ReportScheduleFactory.create(next_run_at=at(2007, 1, 1))
    ReportFactory.create(schedule=schedule)  # 2006, made by an earlier dispatcher

    with mock.patch("tracker.celery.app.send_task"):
        created = schedules.dispatch_due(now=at(2007, 1, 2))

    assert created == []
    assert Report.objects.count() == 1
    schedule.refresh_from_db()
    assert schedule.next_run_at == at(2008, 1, 1)


@pytest.mark.django_db
def test_paused_and_future_schedules_are_not_dispatched() -> None:
    ReportScheduleFactory.create(next_run_at=at(2007, 1, 1), is_active=False)
    ReportScheduleFactory.create(next_run_at=at(2007, 1, 2))

    assert schedules.dispatch_due(now=at(2007, 1, 1, 12)) == []


@pytest.mark.django_db
def test_failed_reports_are_retried_until_the_bound() -> None:
    stale = at(2007, 1, 1)
    retry = ReportFactory.create(status=RunStatus.FAILED, attempts=1, error="boom")
    exhausted = ReportFactory.create(status=RunStatus.FAILED, attempts=schedules.MAX_ATTEMPTS, error="boom")
    Report.objects.filter(pk__in=[retry.pk, exhausted.pk]).update(updated_at=stale)

    with mock.patch("tracker.celery.app.send_task"):
        too_soon = schedules.retry_failed(now=stale + datetime.timedelta(minutes=1))
        retried = schedules.retry_failed(now=stale + schedules.RETRY_AFTER)

    assert too_soon == []
    assert retried == [retry.pk]
    retry.refresh_from_db()
    exhausted.refresh_from_db()
    assert (retry.status, exhausted.status) == (RunStatus.PENDING, RunStatus.FAILED)
