"""Bounded schedules: a schedule far behind runs once, for the latest complete period; an account
creates a bounded number of schedules (the admin and the API refuse the next alike); every
schedule shows its next run and its latest report's outcome."""

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from reports.choices import Frequency, RunStatus
from reports.models import Report, ReportSchedule
from reports.services import schedules
from reports.services.schedules import Period, latest_run_at
from tests.api.conftest import client_for, make_account
from tests.factories import ReportFactory, ReportScheduleFactory, UserFactory
from tracker.api.authentication import issue_token

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 1, 0, 5, tzinfo=UTC)  # a Tuesday, five minutes into December


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- Far behind: one report, for the latest complete period -------------------------------
@pytest.mark.parametrize(
    ("frequency", "cron", "period", "next_run"),
    [
        (
            Frequency.YEARLY,
            "",
            Period(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)),
            at(2027, 1, 1),
        ),
        (
            Frequency.QUARTERLY,
            "",
            Period(datetime.date(2026, 7, 1), datetime.date(2026, 9, 30)),
            at(2027, 1, 1),
        ),
        (
            Frequency.MONTHLY,
            "",
            Period(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)),
            at(2027, 1, 1),
        ),
        # Mondays 06:00: the last firing before NOW is Monday 30 November; it covers the week before.
        (
            Frequency.CRON,
            "0 6 * * 1",
            Period(datetime.date(2026, 11, 23), datetime.date(2026, 11, 29)),
            at(2026, 12, 7, 6),
        ),
    ],
)
def test_a_schedule_ten_years_behind_makes_one_report_for_the_latest_complete_period(
    frequency: str, cron: str, period: Period, next_run: datetime.datetime
) -> None:
    schedule = ReportScheduleFactory.create(
        name="Behind", frequency=frequency, cron=cron, next_run_at=at(2016, 12, 1)
    )

    created = schedules.dispatch_due(now=NOW)
    later = [schedules.dispatch_due(now=NOW + datetime.timedelta(minutes=5 * n)) for n in range(1, 4)]

    report = Report.objects.get()
    assert created == [report]
    assert later == [[], [], []]  # the next dispatches find nothing due: no catching up
    assert (report.period_start, report.period_end) == (period.start, period.end)
    assert report.title == f"Behind: {period.start.isoformat()} to {period.end.isoformat()}"
    schedule.refresh_from_db()
    assert (schedule.next_run_at, schedule.last_run_at) == (next_run, NOW)
    assert schedule.next_run_at > NOW


def test_the_one_run_of_a_schedule_due_keeps_its_own_time_until_a_later_run_time_comes() -> None:
    # Due at 08:00 on 5 June (a time an officer chose): the run at 08:05 is that run, for 2006.
    assert latest_run_at(
        frequency=Frequency.YEARLY, due_at=at(2007, 6, 5, 8), now=at(2007, 6, 5, 8, 5)
    ) == at(2007, 6, 5, 8)
    # A cron schedule due exactly now is that firing, not the one before it.
    assert latest_run_at(
        frequency=Frequency.CRON, cron="0 6 * * 1", due_at=at(2006, 3, 6, 6), now=at(2006, 3, 13, 6)
    ) == at(2006, 3, 13, 6)


# --- A bounded number of schedules per account ----------------------------------------------
LIMIT = 2


@pytest.fixture
def limit(settings: Any) -> int:
    settings.REPORT_SCHEDULES_PER_USER = LIMIT
    return LIMIT


def _new(name: str) -> ReportSchedule:
    return ReportSchedule(name=name, frequency=Frequency.YEARLY, formats=["html"])


def test_the_service_refuses_a_schedule_past_the_accounts_limit_naming_it(limit: int) -> None:
    # Headquarters (superusers here), so that a global schedule is theirs to make.
    manager = UserFactory.create(username="manager", is_superuser=True)
    colleague = UserFactory.create(username="colleague", is_superuser=True)
    for n in range(limit):
        schedules.save_schedule(actor=manager, schedule=_new(f"Mine {n}"), now=NOW)

    with pytest.raises(ValidationError) as refused:
        schedules.save_schedule(actor=manager, schedule=_new("One too many"), now=NOW)

    assert refused.value.messages == [
        "manager has already created 2 report schedules, the most one account may "
        "(REPORT_SCHEDULES_PER_USER = 2): change or delete one of them instead."
    ]
    assert ReportSchedule.objects.filter(created_by=manager).count() == limit
    # The limit is per account, a change of an existing schedule is no new one, and the system
    # (Celery tasks, commands) is not limited.
    schedules.save_schedule(actor=colleague, schedule=_new("Theirs"), now=NOW)
    mine = ReportSchedule.objects.filter(created_by=manager).first()
    assert mine is not None
    schedules.change_schedule(actor=manager, schedule=mine, changes={"name": "Renamed"}, now=NOW)
    schedules.save_schedule(actor=None, schedule=_new("System"), now=NOW)
    assert ReportSchedule.objects.count() == limit + 2


def test_the_admin_refuses_a_schedule_past_the_limit_with_the_error_on_the_form(
    limit: int, officer_client: Client, officer
) -> None:  # type: ignore[no-untyped-def]
    for n in range(limit):
        schedules.save_schedule(actor=officer, schedule=_new(f"Mine {n}"), now=NOW)

    response = officer_client.post(
        "/admin/reports/reportschedule/add/",
        {
            "name": "One too many",
            "extra_addresses": "",
            "frequency": Frequency.YEARLY,
            "cron": "",
            "scope_kind": "global",
            "formats": ["html"],
            "is_active": "on",
            "next_run_at_0": "",
            "next_run_at_1": "",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "officer has already created 2 report schedules, the most one account may "
        "(REPORT_SCHEDULES_PER_USER = 2): change or delete one of them instead."
    ]
    assert not ReportSchedule.objects.filter(name="One too many").exists()


def test_the_api_refuses_a_schedule_past_the_limit_with_a_problem_naming_it(limit: int) -> None:
    _, secret = issue_token(account=make_account("scheduler", write=True), label="write")
    api = client_for(secret)
    body = {"frequency": "yearly", "formats": ["html"]}
    for n in range(limit):
        created = api.post("/api/v1/report-schedules/", {**body, "name": f"Mine {n}"}, format="json")
        assert created.status_code == 201

    refused = api.post("/api/v1/report-schedules/", {**body, "name": "One too many"}, format="json")

    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["errors"] == [
        {
            "field": "",
            "message": "svc-scheduler has already created 2 report schedules, the most one account may "
            "(REPORT_SCHEDULES_PER_USER = 2): change or delete one of them instead.",
            "code": "invalid",
        }
    ]
    assert not ReportSchedule.objects.filter(name="One too many").exists()


# --- Next run and last result at both doors -------------------------------------------------
@pytest.fixture
def api(db: Any) -> APIClient:
    _, secret = issue_token(account=make_account("schedule-reader", write=False), label="read")
    return client_for(secret)


def test_a_schedule_shows_its_next_run_and_its_latest_reports_outcome_over_the_api(api: APIClient) -> None:
    schedule = ReportScheduleFactory.create(name="Yearly", next_run_at=at(2027, 1, 1), formats=["html"])
    url = f"/api/v1/report-schedules/{schedule.pk}/"
    assert api.get(url).json()["last_result"] is None  # no report yet
    ReportFactory.create(schedule=schedule, period_start=datetime.date(2004, 1, 1), status=RunStatus.DONE)
    latest = ReportFactory.create(
        schedule=schedule, status=RunStatus.FAILED, error="OSError: disk full", attempts=3
    )
    Report.objects.filter(pk=latest.pk).update(updated_at=at(2026, 1, 1, 0, 7))

    shown = api.get(url).json()

    assert shown == {
        "id": schedule.pk,
        "name": "Yearly",
        "recipients": [],
        "extra_addresses": "",
        "frequency": "yearly",
        "cron": "",
        "scope_kind": "global",
        "scope_region": None,
        "scope_country": None,
        "formats": ["html"],
        "audience": "open",
        "is_active": True,
        "next_run_at": "2027-01-01T00:00:00Z",
        "last_run_at": None,
        "last_result": {
            "report": latest.pk,
            "status": "failed",
            "at": "2026-01-01T00:07:00Z",
            "error": "OSError: disk full",
        },
    }


def test_last_results_cost_no_query_per_schedule(api: APIClient) -> None:
    api.get("/api/v1/regions/")  # records the token's last use, so later requests do not
    counts = []
    for _ in range(2):
        for _ in range(3):
            schedule = ReportScheduleFactory.create()
            ReportFactory.create(schedule=schedule, status=RunStatus.DONE)
        with CaptureQueriesContext(connection) as queries:
            page = api.get("/api/v1/report-schedules/")
        assert all(row["last_result"]["status"] == "done" for row in page.json()["results"])
        counts.append(len(queries))
    assert counts[0] == counts[1]  # 3 schedules, then 6: the same queries


def test_the_admin_shows_each_schedules_next_run_and_last_result(officer_client: Client) -> None:
    schedule = ReportScheduleFactory.create(name="Yearly", next_run_at=at(2027, 1, 1))
    ReportScheduleFactory.create(name="New", next_run_at=at(2027, 1, 1))
    report = ReportFactory.create(schedule=schedule, status=RunStatus.FAILED, error="OSError: disk full")
    Report.objects.filter(pk=report.pk).update(updated_at=at(2026, 1, 1, 0, 7))
    link = f'<a href="/admin/reports/report/{report.pk}/change/">Failed</a>'
    cell = f"{link}, 2026-01-01 00:07 UTC: OSError: disk full"

    listed = officer_client.get("/admin/reports/reportschedule/").content.decode()
    page = officer_client.get(f"/admin/reports/reportschedule/{schedule.pk}/change/").content.decode()

    assert cell in listed
    assert "no report yet" in listed
    assert "Jan. 1, 2027, midnight" in listed  # the next run
    assert cell in page
