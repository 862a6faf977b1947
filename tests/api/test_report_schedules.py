"""Report schedules over the API: created, changed (paused, re-timed, re-scoped) and deleted,
through the same service as the admin, with If-Match and within the writer's regions."""

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from freezegun import freeze_time
from rest_framework.test import APIClient

from missions.models import OfficerAssignment
from reports.models import Report, ReportSchedule
from reports.services.schedules import change_schedule, save_schedule
from tests.factories import RegionFactory, ReportFactory, UserFactory

URL = "/api/v1/report-schedules/"


def patch(client: APIClient, schedule_id: int, body: dict[str, Any]) -> Any:
    etag = client.get(f"{URL}{schedule_id}/")["ETag"]
    return client.patch(f"{URL}{schedule_id}/", body, format="json", HTTP_IF_MATCH=etag)


@pytest.fixture
def schedule(write_client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    UserFactory.create(username="manager-a", email="a@example.org")
    response = write_client.post(
        URL,
        {"name": "Yearly impact", "frequency": "yearly", "formats": ["pdf"], "recipients": ["manager-a"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_a_schedule_is_paused_and_resumed(write_client, schedule) -> None:
    paused = patch(write_client, schedule["id"], {"is_active": False})
    assert paused.status_code == 200, paused.content
    assert paused.json()["is_active"] is False
    assert ReportSchedule.objects.get(pk=schedule["id"]).is_active is False
    assert patch(write_client, schedule["id"], {"is_active": True}).json()["is_active"] is True


# A change of frequency moves the next run to the start (00:00 UTC) of the next period under the
# new frequency, counted from the moment of the change. Fixed days, December and a leap day
# among them, in the past of any real clock (the tokens are issued at the real time).
NEXT_RUNS = [
    # moment of the change, next run when created yearly, after the change to monthly, to quarterly
    ("2025-06-15T10:00:00Z", "2026-01-01T00:00:00Z", "2025-07-01T00:00:00Z", "2025-07-01T00:00:00Z"),
    ("2025-12-01T10:00:00Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ("2025-12-31T23:30:00Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ("2024-02-29T10:00:00Z", "2025-01-01T00:00:00Z", "2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("moment", "yearly", "monthly", "quarterly"), NEXT_RUNS)
def test_a_new_frequency_recomputes_the_next_run_unless_one_is_given(
    write_client, moment, yearly, monthly, quarterly
) -> None:
    UserFactory.create(username="manager-a", email="a@example.org")
    body = {"name": "Impact", "frequency": "yearly", "formats": ["pdf"], "recipients": ["manager-a"]}
    with freeze_time(moment):
        created = write_client.post(URL, body, format="json").json()
        assert created["next_run_at"] == yearly
        changed = patch(write_client, created["id"], {"frequency": "monthly"}).json()
        assert (changed["frequency"], changed["next_run_at"]) == ("monthly", monthly)
        changed = patch(write_client, created["id"], {"frequency": "quarterly"}).json()
        assert (changed["frequency"], changed["next_run_at"]) == ("quarterly", quarterly)
        chosen = patch(
            write_client, created["id"], {"frequency": "yearly", "next_run_at": "2031-01-01T06:00:00Z"}
        )
        assert chosen.json()["next_run_at"] == "2031-01-01T06:00:00Z"


@pytest.mark.django_db
@pytest.mark.parametrize(("moment", "yearly", "monthly", "quarterly"), NEXT_RUNS)
def test_the_service_counts_the_next_run_from_the_moment_it_is_given(
    moment, yearly, monthly, quarterly
) -> None:
    now = datetime.datetime.fromisoformat(moment)
    schedule = save_schedule(
        actor=None,
        schedule=ReportSchedule(name="Impact", frequency="yearly", formats=["pdf"]),
        now=now,
    )
    assert schedule.next_run_at.isoformat() == yearly.replace("Z", "+00:00")
    for frequency, expected in (("monthly", monthly), ("quarterly", quarterly)):
        schedule = change_schedule(actor=None, schedule=schedule, changes={"frequency": frequency}, now=now)
        assert schedule.next_run_at.isoformat() == expected.replace("Z", "+00:00")
    unchanged = change_schedule(
        actor=None, schedule=schedule, changes={"name": "Renamed"}, now=now + datetime.timedelta(days=400)
    )
    assert unchanged.next_run_at.isoformat() == quarterly.replace("Z", "+00:00")


@pytest.mark.django_db
def test_recipients_are_replaced_only_when_given(write_client, schedule) -> None:
    UserFactory.create(username="manager-b", email="b@example.org")
    assert patch(write_client, schedule["id"], {"name": "Renamed"}).json()["recipients"] == ["manager-a"]
    changed = patch(write_client, schedule["id"], {"recipients": ["manager-b"]})
    assert changed.json()["recipients"] == ["manager-b"]


@pytest.mark.django_db
def test_bad_changes_name_the_field_and_change_nothing(write_client, schedule) -> None:
    response = patch(write_client, schedule["id"], {"frequency": "cron", "cron": "every full moon"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert {e["field"] for e in response.json()["errors"]} == {"cron"}
    stored = ReportSchedule.objects.get(pk=schedule["id"])
    assert (stored.frequency, stored.cron) == ("yearly", "")
    stale = write_client.patch(
        f"{URL}{schedule['id']}/", {"name": "x"}, format="json", HTTP_IF_MATCH='"stale"'
    )
    assert stale.status_code == 412


@pytest.mark.django_db
def test_a_regional_officer_cannot_widen_a_schedule_beyond_their_regions() -> None:
    west, east = RegionFactory.create(code="FIELD-W"), RegionFactory.create(code="FIELD-E")
    officer = UserFactory.create(username="regional-manager")
    officer.user_permissions.set(Permission.objects.filter(content_type__app_label="reports"))
    OfficerAssignment.objects.create(user=officer, region=west)
    client = APIClient()
    client.force_login(officer)
    created = client.post(
        URL,
        {
            "name": "West",
            "frequency": "yearly",
            "formats": ["pdf"],
            "scope_kind": "region",
            "scope_region": west.code,
        },
        format="json",
        HTTP_X_CSRFTOKEN="",
    )
    assert created.status_code == 201, created.content
    widened = patch(client, created.json()["id"], {"scope_region": east.code})
    assert widened.status_code == 400
    assert {e["field"] for e in widened.json()["errors"]} == {"scope_region"}
    assert "outside your regions" in widened.json()["errors"][0]["message"]
    worldwide = patch(client, created.json()["id"], {"scope_kind": "global", "scope_region": None})
    assert worldwide.status_code == 400
    assert ReportSchedule.objects.get(pk=created.json()["id"]).scope_region == west


@pytest.mark.django_db
def test_deleting_a_schedule_keeps_its_reports(write_client, read_client, schedule) -> None:
    report = ReportFactory.create(schedule=ReportSchedule.objects.get(pk=schedule["id"]))
    url = f"{URL}{schedule['id']}/"
    assert read_client.delete(url, HTTP_IF_MATCH=read_client.get(url)["ETag"]).status_code == 403
    assert write_client.delete(url).status_code == 428
    assert write_client.delete(url, HTTP_IF_MATCH=write_client.get(url)["ETag"]).status_code == 204
    assert not ReportSchedule.objects.filter(pk=schedule["id"]).exists()
    assert Report.objects.get(pk=report.pk).schedule is None


@pytest.mark.django_db
def test_a_schedule_created_with_a_bad_cron_is_refused_by_name(write_client) -> None:
    body = {"name": "Full moon", "frequency": "cron", "cron": "every full moon", "formats": ["pdf"]}
    response = write_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["cron"]
    assert not ReportSchedule.objects.filter(name="Full moon").exists()


@pytest.mark.django_db
def test_a_finished_report_is_regenerated_once_and_a_pending_one_is_refused(
    write_client, read_client
) -> None:
    report = ReportFactory.create(status="done")
    url = f"/api/v1/reports/{report.pk}/regenerate/"
    assert read_client.post(url).status_code == 403
    queued = write_client.post(url)
    assert queued.status_code == 202, queued.content
    assert queued.json()["status"] == "pending"
    assert Report.objects.get(pk=report.pk).status == "pending"
    again = write_client.post(url)
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")
    assert "pending" in again.json()["detail"]
    assert write_client.post("/api/v1/reports/999999/regenerate/").status_code == 404
