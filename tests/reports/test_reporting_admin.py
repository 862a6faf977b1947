"""The reports admin: subscribing, browsing, downloading, the HTML page, regenerating."""

from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from reports.choices import Frequency, RunStatus, ScopeKind
from reports.models import Report, ReportSchedule
from reports.services import reporting
from tests.factories import RegionFactory, ReportFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Report files go to a temporary folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_manager_subscribes_to_a_quarterly_report_for_their_region(officer_client: Client, officer) -> None:  # type: ignore[no-untyped-def]
    region = RegionFactory.create(name="West and Central Africa (test)")
    officer.email = "manager@example.org"
    officer.save()

    response = officer_client.post(
        "/admin/reports/reportschedule/add/",
        {
            "name": "WCA quarterly",
            "recipients": [officer.pk],
            "extra_addresses": "",
            "frequency": Frequency.QUARTERLY,
            "cron": "",
            "scope_kind": ScopeKind.REGION,
            "scope_region": region.pk,
            "scope_country": "",
            "formats": ["pdf", "xlsx"],
            "is_active": "on",
            "next_run_at_0": "",
            "next_run_at_1": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    schedule = ReportSchedule.objects.get()
    assert (schedule.frequency, schedule.scope_region, schedule.formats) == (
        Frequency.QUARTERLY,
        region,
        ["pdf", "xlsx"],
    )
    assert list(schedule.recipients.all()) == [officer]
    assert schedule.created_by == officer
    assert schedule.next_run_at.day == 1
    assert schedule.next_run_at.month in (1, 4, 7, 10)
    assert schedule.history.get().history_user == officer


def test_a_bad_schedule_is_refused_with_the_field_named(officer_client: Client) -> None:
    response = officer_client.post(
        "/admin/reports/reportschedule/add/",
        {
            "name": "Broken",
            "frequency": Frequency.CRON,
            "cron": "not cron",
            "scope_kind": ScopeKind.GLOBAL,
            "formats": ["pdf"],
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["cron"] == [
        "'not cron' is not a valid cron expression (five fields)."
    ]
    assert not ReportSchedule.objects.exists()


def test_reports_are_browsed_downloaded_and_shown(
    officer_client: Client, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        reporting.generate_report(report_id=ReportFactory.create(formats=["html", "xlsx"]).pk)
    report = Report.objects.first()
    assert report is not None

    with django_assert_max_num_queries(12):
        changelist = officer_client.get("/admin/reports/report/")
    assert changelist.status_code == 200
    assert f"/admin/reports/report/{report.pk}/download/xlsx/" in changelist.content.decode()

    download = officer_client.get(f"/admin/reports/report/{report.pk}/download/xlsx/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    page = officer_client.get(f"/admin/reports/report/{report.pk}/page/")
    assert page.status_code == 200
    assert "Summary of the period" in page.content.decode()
    assert officer_client.get(f"/admin/reports/report/{report.pk}/download/pdf/").status_code == 404
    assert officer_client.get(f"/admin/reports/report/{report.pk}/change/").status_code == 200


def test_downloads_need_the_view_permission(client: Client) -> None:
    report = reporting.generate_report(report_id=ReportFactory.create(formats=["html"]).pk)
    user = UserFactory.create(is_staff=True)
    # Every region (headquarters) where object-level access applies, but no report permission.
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="tracker", codename="access_all_regions")
    )
    client.force_login(user)

    assert client.get(f"/admin/reports/report/{report.pk}/download/html/").status_code == 403


def test_regenerate_action_queues_done_and_failed_reports(officer_client: Client) -> None:
    done = ReportFactory.create(status=RunStatus.DONE, attempts=1)
    failed = ReportFactory.create(status=RunStatus.FAILED, attempts=3, error="boom")
    running = ReportFactory.create(status=RunStatus.RUNNING)

    with mock.patch("tracker.celery.app.send_task"):
        response = officer_client.post(
            "/admin/reports/report/",
            {"action": "regenerate", "_selected_action": [done.pk, failed.pk, running.pk]},
        )

    assert response.status_code == 302
    statuses = dict(Report.objects.values_list("pk", "status"))
    assert statuses == {
        done.pk: RunStatus.PENDING,
        failed.pk: RunStatus.PENDING,
        running.pk: RunStatus.RUNNING,
    }
    failed.refresh_from_db()
    assert (failed.attempts, failed.error) == (0, "")
