"""End to end on the real services: a Celery worker on Redis, PostgreSQL, no eager mode.

The worker runs in a thread of this process (celery.contrib.testing.worker), so it sees the
locmem mailbox and any monkeypatched renderer; the tests are transactional so it sees the data.
"""

import datetime
import io
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command
from openpyxl import load_workbook
from pypdf import PdfReader

from reports.choices import RunStatus, ScopeKind
from reports.models import Report, ReportSchedule
from reports.services import reporting
from reports.services.published_figures import load_published_figures
from reports.tasks.reporting import dispatch_due_reports_task
from tests.factories import ReportScheduleFactory, UserFactory
from tests.waiting import wait_for
from tracker.celery import app as celery_app

from .reporting_data import build_world

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Report files go to a temporary folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


RUN_AT = datetime.datetime(2007, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def worker() -> Iterator[Any]:
    with start_worker(
        celery_app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=60,
    ) as running:
        yield running


def finished(report_count: int = 1) -> Callable[[], bool]:
    def check() -> bool:
        reports = list(Report.objects.all())
        return len(reports) == report_count and all(
            r.status == RunStatus.FAILED
            or (
                r.status == RunStatus.DONE
                and not r.deliveries.exclude(status=RunStatus.DONE).exists()
                and r.deliveries.exists()
            )
            for r in reports
        )

    return check


def yearly_schedule(**fields: Any) -> ReportSchedule:
    schedule = ReportScheduleFactory.create(
        name=fields.pop("name", "Yearly to the Commission"),
        next_run_at=RUN_AT,
        extra_addresses="donors@example.org",
        **fields,
    )
    schedule.recipients.set([UserFactory.create(email="chief@example.org")])
    return schedule


def test_a_yearly_schedule_for_2006_produces_one_report_delivered_with_the_reports_figures(
    worker: Any, mailoutbox: list[Any]
) -> None:
    call_command("load_report_2006")
    yearly_schedule()

    dispatch_due_reports_task.delay("2007-01-01T00:05:00+00:00")
    dispatch_due_reports_task.delay("2007-01-01T00:06:00+00:00")  # a second dispatcher
    wait_for(finished(), timeout=240, what="the worker to finish the report")
    time.sleep(2)  # anything the second dispatch might have made would show by now

    report = Report.objects.get()
    assert report.status == RunStatus.DONE, report.error
    assert (report.period_start, report.period_end) == (
        datetime.date(2006, 1, 1),
        datetime.date(2006, 12, 31),
    )
    assert report.indicator_values.exists()
    files = {f.format: f.file.read() for f in report.files.all()}

    workbook = load_workbook(io.BytesIO(files["xlsx"]))
    summary = {
        row[0]: row[1] for row in workbook["Summary of the period"].iter_rows(values_only=True) if row[0]
    }
    assert summary["Countries directly assisted (para 15)"] == 54
    countries = list(workbook["Direct assistance and activi"].iter_rows(values_only=True))
    assert sum(1 for row in countries if isinstance(row[0], int) and row[1] and len(str(row[1])) == 3) == 54
    funding = workbook["Funding"]
    totals = [row for row in funding.iter_rows(values_only=True) if row[0] == "Total"]
    assert (
        totals[0][1:8] == (15434904, 876936, 1573403, 2076627, 4738682, 6169256, None)[: len(totals[0][1:8])]
    )

    text = " ".join(
        "".join(page.extract_text() for page in PdfReader(io.BytesIO(files["pdf"])).pages).split()
    )
    assert "Countries directly assisted (para 15) 54" in text
    assert "15,434,904" in text
    assert "阿富汗" in text  # Afghanistan's Chinese name, from the embedded CJK font

    assert sorted(m.to[0] for m in mailoutbox) == ["chief@example.org", "donors@example.org"]
    assert all(len(m.attachments) == 3 for m in mailoutbox)


def test_a_failing_renderer_marks_the_report_failed_and_keeps_the_schedule(
    worker: Any, monkeypatch: pytest.MonkeyPatch, mailoutbox: list[Any]
) -> None:
    def broken(content: object) -> bytes:
        raise RuntimeError("PDF renderer broken")

    monkeypatch.setitem(reporting.RENDERERS, "pdf", broken)
    schedule = yearly_schedule()

    dispatch_due_reports_task.delay("2007-01-01T00:05:00+00:00")
    wait_for(finished(), timeout=240, what="the worker to finish the report")

    report = Report.objects.get()
    assert (report.status, report.error, report.attempts) == (
        RunStatus.FAILED,
        "RuntimeError: PDF renderer broken",
        1,
    )
    assert not report.files.exists()
    assert mailoutbox == []
    schedule.refresh_from_db()
    assert schedule.is_active
    assert schedule.next_run_at == datetime.datetime(2008, 1, 1, tzinfo=datetime.UTC)


def test_a_regional_report_holds_no_other_regions_data(worker: Any, mailoutbox: list[Any]) -> None:
    load_published_figures()  # the figures are read from the indicators' snapshots
    world = build_world()
    yearly_schedule(name="Alpha yearly", scope_kind=ScopeKind.REGION, scope_region=world.region_a)

    dispatch_due_reports_task.delay("2007-01-01T00:05:00+00:00")
    wait_for(finished(), timeout=240, what="the worker to finish the report")

    report = Report.objects.get()
    assert report.status == RunStatus.DONE, report.error
    files = {f.format: f.file.read() for f in report.files.all()}
    html = files["html"].decode()
    assert "Alphaland" in html
    assert "Betaland" not in html
    assert "Beta regional workshop" not in html
    cells = [
        str(c)
        for ws in load_workbook(io.BytesIO(files["xlsx"])).worksheets
        for row in ws.iter_rows(values_only=True)
        for c in row
        if c
    ]
    assert "Alphaland" in cells
    assert not [c for c in cells if "Beta" in c]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(files["pdf"])).pages)
    assert "Betaland" not in text
    assert len(mailoutbox) == 2
