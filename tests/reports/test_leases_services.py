"""Leased reports, deliveries and runs (SQLite): take-over of a dead worker's claim, the sweep,
the officer's retry in the admin (the API's: tests/api/test_report_retry.py), and what the
e-mail says. Time is frozen.

The real worker, broker and database, with SIGKILLed workers: test_leases_e2e.py.
"""

import datetime
import uuid
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from freezegun import freeze_time

from reports.choices import RunStatus
from reports.models import ComputationRun, Delivery, Report
from reports.services import delivery, recompute, recovery, reporting
from tests.factories import (
    IndicatorDefinitionFactory,
    IndicatorValueFactory,
    ReportFactory,
    ReportScheduleFactory,
    UserFactory,
)
from tracker import leases

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2027, 1, 1, 6, 0, tzinfo=datetime.UTC)
LAPSED = NOW - datetime.timedelta(seconds=1)
LIVE = NOW + datetime.timedelta(seconds=60)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://tracker.example.org"


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with freeze_time(NOW) as clock:
        yield clock


@pytest.fixture
def sent() -> Any:
    """The tasks the recovery services send (after commit)."""
    with mock.patch("tracker.celery.app.send_task") as send_task:
        yield send_task


def held(**fields: Any) -> dict[str, Any]:
    """A claim held by some worker, lapsed or not."""
    return {"status": RunStatus.RUNNING, "attempts": 1, "claim_token": uuid.uuid4(), **fields}


def two_recipient_report() -> Report:
    schedule = ReportScheduleFactory.create(extra_addresses="donor@example.org")
    schedule.recipients.set([UserFactory.create(email="head@example.org")])
    return ReportFactory.create(schedule=schedule, title="Yearly 2006", formats=["html"])


# --- Reports ---------------------------------------------------------------------------------
def test_a_report_left_running_by_a_dead_worker_is_generated_by_the_redelivered_task() -> None:
    report = ReportFactory.create(**held(lease_expires_at=LAPSED))

    result = reporting.generate_report(report_id=report.pk)

    assert (result.status, result.attempts, result.lease_expires_at) == (RunStatus.DONE, 2, None)
    assert [f.format for f in result.files.all()] == ["html"]


def test_a_report_held_under_a_live_lease_is_left_alone_and_the_task_told_when_to_ask_again() -> None:
    report = ReportFactory.create(**held(lease_expires_at=LIVE))

    with pytest.raises(leases.LeaseBusy) as busy:
        reporting.generate_report(report_id=report.pk)

    assert busy.value.countdown(now=NOW) == 61.0
    assert (Report.objects.get(pk=report.pk).attempts, Report.objects.get(pk=report.pk).files.count()) == (
        1,
        0,
    )


def test_a_worker_that_lost_its_lease_while_rendering_stores_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker stalled past its lease and another claimed the report: the first one's files
    and done status are refused (the claim token no longer matches)."""
    report = ReportFactory.create()
    render_all = reporting.render_all
    other = uuid.uuid4()

    def stalled(*args: Any, **kwargs: Any) -> Any:
        Report.objects.filter(pk=report.pk).update(claim_token=other, attempts=2)  # the other worker
        return render_all(*args, **kwargs)

    monkeypatch.setattr(reporting, "render_all", stalled)

    result = reporting.generate_report(report_id=report.pk)

    assert (result.status, result.claim_token, result.files.count()) == (RunStatus.RUNNING, other, 0)


def test_a_failed_render_fails_the_report_under_its_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    report = ReportFactory.create()

    def broken(content: object) -> bytes:
        raise RuntimeError("renderer broken")

    monkeypatch.setitem(reporting.RENDERERS, "html", broken)
    with pytest.raises(RuntimeError):
        reporting.generate_report(report_id=report.pk)

    failed = Report.objects.get(pk=report.pk)
    assert (failed.status, failed.error, failed.claim_token, failed.attempts) == (
        RunStatus.FAILED,
        "RuntimeError: renderer broken",
        None,
        1,
    )


# --- Deliveries -------------------------------------------------------------------------------
def test_a_delivery_whose_worker_died_is_sent_by_the_next_and_one_held_by_a_live_worker_is_not() -> None:
    report = reporting.generate_report(report_id=two_recipient_report().pk)
    Delivery.objects.update_or_create(
        report=report, address="donor@example.org", defaults=held(lease_expires_at=LAPSED)
    )[0]
    Delivery.objects.update_or_create(
        report=report, address="head@example.org", defaults=held(lease_expires_at=LIVE)
    )[0]

    deliveries = delivery.deliver_report(report_id=report.pk)

    assert [(d.address, d.status, d.attempts) for d in deliveries] == [
        ("donor@example.org", RunStatus.DONE, 2),
        ("head@example.org", RunStatus.RUNNING, 1),  # its worker is sending it
    ]
    assert [m.to for m in mail.outbox] == [["donor@example.org"]]


def test_the_e_mail_carries_the_key_figures_sign_in_links_and_a_message_id_of_its_row() -> None:
    report = reporting.generate_report(report_id=two_recipient_report().pk)
    delivery.deliver_report(report_id=report.pk)
    donor = Delivery.objects.get(address="donor@example.org")
    first = next(m for m in mail.outbox if m.to == ["donor@example.org"])

    Delivery.objects.filter(pk=donor.pk).update(status=RunStatus.PENDING)  # as a retry would
    delivery.deliver_report(report_id=report.pk)
    again = mail.outbox[-1]

    message_id = f"<report-{report.pk}.delivery-{donor.pk}@tracker.example.org>"
    assert first.message()["Message-ID"] == again.message()["Message-ID"] == message_id
    lines = first.body.splitlines()
    figures = lines[
        lines.index("Key figures of the period:") + 1 : lines.index("Key figures of the period:") + 8
    ]
    assert figures == [
        "  Countries directly assisted (para 15): not available",
        "  Activities held: not available",
        "  Workshops, meetings and training courses held (para 21): not available",
        "  Participants in them (as stated): not available",
        "  Officials trained (as stated): not available",
        "  Deposits of the universal instruments by the countries in scope: not available",
        "  UN Member States party to all of the first 12 instruments at 2007-01-01: not available",
    ]
    assert f"  HTML: https://tracker.example.org/admin/reports/report/{report.pk}/download/html/" in lines


def test_the_key_figures_come_from_the_reports_own_snapshots() -> None:
    report = ReportFactory.create(status=RunStatus.DONE)
    held_2006 = IndicatorValueFactory.create(
        indicator=IndicatorDefinitionFactory.create(code="IND-ACTIVITIES-HELD"),
        period_start=datetime.date(2006, 1, 1),
        period_end=datetime.date(2006, 12, 31),
        reference_date=None,
        when_key="2006-01-01..2006-12-31",
        value=42,
    )
    report.indicator_values.set([held_2006])

    figures = dict(reporting.content.key_figures(report))

    assert figures["Activities held"] == 42
    assert figures["Countries directly assisted (para 15)"] is None


# --- The sweep ----------------------------------------------------------------------------------
def test_the_sweep_queues_lapsed_work_again_after_commit_and_fails_what_has_no_attempts_left(
    sent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    stuck_report = ReportFactory.create(**held(lease_expires_at=LAPSED))
    spent_report = ReportFactory.create(**held(lease_expires_at=LAPSED, attempts=3))
    live_report = ReportFactory.create(**held(lease_expires_at=LIVE))
    done = reporting.generate_report(report_id=two_recipient_report().pk)
    stuck_delivery = Delivery.objects.update_or_create(
        report=done, address="a@example.org", defaults=held(lease_expires_at=LAPSED)
    )[0]
    stuck_run = ComputationRun.objects.create(scope_key="global", **held(lease_expires_at=LAPSED))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        swept = recovery.sweep_expired_leases(now=NOW)

    assert swept == {
        "reports_queued": [stuck_report.pk],
        "reports_failed": [spent_report.pk],
        "deliveries_queued": [stuck_delivery.pk],
        "deliveries_failed": [],
        "runs_queued": [stuck_run.pk],
        "runs_failed": [],
        "reports_resent": [],  # the pending ones were created just now: their tasks are under way
        "deliveries_resent": [],
    }
    assert len(callbacks) == 3  # one per kind with work to send again
    assert sent.call_args_list == [
        mock.call("reports.tasks.generate_report_task", args=[stuck_report.pk]),
        mock.call("reports.tasks.deliver_report_task", args=[done.pk]),
        mock.call(recompute.REFRESH_STANDARD_TASK, kwargs={"run_id": stuck_run.pk}),
    ]
    assert Report.objects.get(pk=live_report.pk).status == RunStatus.RUNNING
    assert Report.objects.get(pk=spent_report.pk).status == RunStatus.FAILED


# --- The officer's retry ------------------------------------------------------------------------
def test_an_officer_retries_a_stuck_and_a_failed_report_and_the_reason_stays_on_them(
    officer: Any, sent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    stuck = ReportFactory.create(**held(lease_expires_at=LAPSED, attempts=3))
    failed = ReportFactory.create(status=RunStatus.FAILED, attempts=3, error="RuntimeError: broken")
    live = ReportFactory.create(**held(lease_expires_at=LIVE))
    done = ReportFactory.create(status=RunStatus.DONE)

    with django_capture_on_commit_callbacks(execute=True):
        retried = recovery.retry_reports(
            actor=officer, reports=Report.objects.all(), reason="the renderer is fixed", now=NOW
        )

    assert retried == sorted([stuck.pk, failed.pk])
    assert [
        (r.status, r.attempts, r.error) for r in Report.objects.filter(pk__in=retried).order_by("pk")
    ] == [
        (RunStatus.PENDING, 0, "queued again by officer: the renderer is fixed"),
        (RunStatus.PENDING, 0, "queued again by officer: the renderer is fixed"),
    ]
    assert sorted(c.kwargs["args"][0] for c in sent.call_args_list) == retried
    assert (Report.objects.get(pk=live.pk).status, Report.objects.get(pk=done.pk).status) == (
        RunStatus.RUNNING,
        RunStatus.DONE,
    )


def test_a_retry_without_the_permission_is_refused_and_changes_nothing() -> None:
    report = ReportFactory.create(status=RunStatus.FAILED, attempts=3)
    reader = UserFactory.create()

    with pytest.raises(PermissionDenied, match="reports.change_report"):
        recovery.retry_reports(actor=reader, reports=Report.objects.all(), reason="x", now=NOW)

    assert Report.objects.get(pk=report.pk).status == RunStatus.FAILED


def test_the_admin_retries_stuck_reports_deliveries_and_runs(officer_client: Client, sent: Any) -> None:
    report = ReportFactory.create(**held(lease_expires_at=LAPSED))
    done = ReportFactory.create(status=RunStatus.DONE)
    stuck_delivery = Delivery.objects.update_or_create(
        report=done, address="a@example.org", defaults=held(lease_expires_at=LAPSED)
    )[0]
    failed_run = ComputationRun.objects.create(scope_key="global", status=RunStatus.FAILED, attempts=3)

    for url, pk in (
        ("/admin/reports/report/", report.pk),
        ("/admin/reports/delivery/", stuck_delivery.pk),
        ("/admin/reports/computationrun/", failed_run.pk),
    ):
        response = officer_client.post(url, {"action": "retry", "_selected_action": [pk]})
        assert response.status_code == 302, response.content.decode()[:2000]

    assert Report.objects.get(pk=report.pk).status == RunStatus.PENDING
    assert Delivery.objects.get(pk=stuck_delivery.pk).status == RunStatus.PENDING
    assert ComputationRun.objects.get(pk=failed_run.pk).status == RunStatus.PENDING
    assert (
        ComputationRun.objects.get(pk=failed_run.pk).error == "queued again by officer: retried in the admin"
    )


def test_the_admin_offers_no_retry_to_an_officer_without_the_permission(client: Client) -> None:
    viewer = UserFactory.create(is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_report"))
    client.force_login(viewer)
    report = ReportFactory.create(status=RunStatus.FAILED)

    response = client.post("/admin/reports/report/", {"action": "retry", "_selected_action": [report.pk]})

    assert response.status_code == 200  # the changelist again: "No action selected"
    assert Report.objects.get(pk=report.pk).status == RunStatus.FAILED
