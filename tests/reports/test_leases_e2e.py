"""Leases end to end: real Celery workers (subprocesses) on the real Redis broker and PostgreSQL.

A worker is SIGKILLed at a known point (it writes a marker file there, then waits: the kill
comes after the marker, never by racing a sleep). Its claim's lease lapses LEASE_SECONDS
later; a second worker then gets the redelivered message and the sweep's, and finishes the
work. The workers write their e-mails with Django's file backend into the test's folder, one
file per message, which the test reads.
"""

import email
import email.policy
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reports.choices import RunStatus
from reports.models import Delivery, Report
from reports.services.published_figures import load_published_figures
from reports.services.queueing import GENERATE_TASK
from tests.factories import (
    ActivityCountryFactory,
    ActivityFactory,
    CountryFactory,
    ReportFactory,
    ReportScheduleFactory,
    UserFactory,
)
from tests.waiting import wait_for
from tracker.celery import app as celery_app

from .test_indicator_tasks_e2e import _WORKER, LEASE_SECONDS, _start, _stop, broker  # noqa: F401 -- broker: fixture

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 3
SWEEP_TASK = "reports.tasks.sweep_expired_leases_task"
RECIPIENTS = ["chief@example.org", "donors@example.org", "pledges@example.org"]

# Generation stops once its content is assembled (the files not yet stored): the marker says so.
_STOPS_MID_GENERATION = """
import pathlib, sys, time
import django
django.setup()
from reports.services import reporting
original = reporting.render_all
def stalled(*args, **kwargs):
    result = original(*args, **kwargs)
    pathlib.Path(sys.argv[1]).write_text("rendered, not stored")
    time.sleep(600)
    return result
reporting.render_all = stalled
from tracker.celery import app
app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "--without-gossip", "--without-mingle"])
"""

# The first e-mail's send returns (the backend has it) and the worker stops before recording it.
_STOPS_AFTER_THE_FIRST_SEND = """
import pathlib, sys, time
import django
django.setup()
from tracker import leases
from reports.models import Delivery
original = leases.finish
def stalled(lease, **kwargs):
    if lease.model is Delivery:
        pathlib.Path(sys.argv[1]).write_text(str(lease.pk))
        time.sleep(600)
    return original(lease, **kwargs)
leases.finish = stalled
from tracker.celery import app
app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "--without-gossip", "--without-mingle"])
"""


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    """The workers' var/ folder: their report files and their e-mails (mail/) go there."""
    (tmp_path / "var").mkdir()
    return tmp_path / "var"


def worker_env(var_dir: Path) -> dict[str, str]:
    return {
        "TRACKER_VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(var_dir / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "SITE_URL": "https://tracker.example.org",
    }


def mails(var_dir: Path) -> list[email.message.EmailMessage]:
    """Every message the workers sent (the file backend appends a line of dashes to each)."""
    found = []
    for path in sorted((var_dir / "mail").glob("*.log")) if (var_dir / "mail").exists() else []:
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return found  # type: ignore[return-value]  # the default policy parses to EmailMessage


def sent_to(var_dir: Path) -> list[str]:
    return sorted(str(m["To"]) for m in mails(var_dir))


def report_for_three_recipients() -> Report:
    load_published_figures()
    ActivityCountryFactory.create(activity=ActivityFactory.create(), country=CountryFactory.create())
    schedule = ReportScheduleFactory.create(
        name="Yearly to the Commission", extra_addresses="donors@example.org\npledges@example.org"
    )
    schedule.recipients.set([UserFactory.create(email="chief@example.org")])
    return ReportFactory.create(schedule=schedule, title="Yearly 2006", formats=["html", "xlsx"])


def delivered(report_id: int, count: int) -> bool:
    report = Report.objects.get(pk=report_id)
    return (
        report.status == RunStatus.DONE
        and Delivery.objects.filter(report=report, status=RunStatus.DONE).count() == count
    )


@pytest.fixture
def workers(var_dir: Path) -> Iterator[list[object]]:
    started: list[object] = []
    yield started
    for process in started:
        _stop(process, signal.SIGKILL)  # type: ignore[arg-type]  # Popen


@pytest.mark.usefixtures("broker")
def test_a_worker_killed_mid_generation_leaves_the_report_to_the_next_and_each_recipient_gets_one_mail(
    var_dir: Path, workers: list[object]
) -> None:
    report = report_for_three_recipients()
    marker = var_dir / "stalled"
    env = worker_env(var_dir)
    celery_app.send_task(GENERATE_TASK, args=[report.pk])

    first = _start(_STOPS_MID_GENERATION, str(marker), visibility_timeout=VISIBILITY_TIMEOUT, **env)
    workers.append(first)
    wait_for(marker.exists, timeout=120, what="the first worker to render the report")
    _stop(first, signal.SIGKILL)
    killed_at = time.monotonic()

    stuck = Report.objects.get(pk=report.pk)
    assert (stuck.status, stuck.attempts, stuck.files.count(), sent_to(var_dir)) == (
        RunStatus.RUNNING,
        1,
        0,
        [],
    )
    assert stuck.claim_token is not None
    # The message comes back once its visibility timeout is over, and the lease lapses.
    time.sleep(max(VISIBILITY_TIMEOUT, LEASE_SECONDS) + 1)
    workers.append(_start(_WORKER, visibility_timeout=VISIBILITY_TIMEOUT, **env))
    celery_app.send_task(SWEEP_TASK)  # as the beat does every minute

    wait_for(lambda: delivered(report.pk, 3), timeout=120, what="the report done and delivered")
    recovered_in = time.monotonic() - killed_at
    time.sleep(2)  # a second generation or send, had one been let through, would show by now

    done = Report.objects.get(pk=report.pk)
    assert (done.status, done.attempts, done.error, done.files.count()) == (RunStatus.DONE, 2, "", 2)
    assert sent_to(var_dir) == RECIPIENTS
    assert len({m["Message-ID"] for m in mails(var_dir)}) == 3
    body = mails(var_dir)[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Countries directly assisted (para 15): 1" in body
    assert f"https://tracker.example.org/admin/reports/report/{report.pk}/download/html/" in body
    print(
        f"\nkilled mid-generation: done, 3 recipients mailed once each, {recovered_in:.1f} s after the kill"
    )


@pytest.mark.usefixtures("broker")
def test_a_worker_killed_between_the_send_and_its_record_sends_that_one_again_with_the_same_message_id(
    var_dir: Path, workers: list[object]
) -> None:
    """The window SMTP leaves (docs/reliability.md): the server has the message, the row is not
    yet marked sent. The retry sends that one e-mail again, recognisably: same Message-ID."""
    report = report_for_three_recipients()
    marker = var_dir / "sent"
    env = worker_env(var_dir)
    celery_app.send_task(GENERATE_TASK, args=[report.pk])

    first = _start(_STOPS_AFTER_THE_FIRST_SEND, str(marker), visibility_timeout=VISIBILITY_TIMEOUT, **env)
    workers.append(first)
    wait_for(marker.exists, timeout=120, what="the first worker to send one e-mail")
    _stop(first, signal.SIGKILL)
    caught = Delivery.objects.get(pk=int(marker.read_text()))
    assert (caught.status, sent_to(var_dir)) == (RunStatus.RUNNING, [caught.address])

    time.sleep(max(VISIBILITY_TIMEOUT, LEASE_SECONDS) + 1)
    workers.append(_start(_WORKER, visibility_timeout=VISIBILITY_TIMEOUT, **env))
    celery_app.send_task(SWEEP_TASK)
    wait_for(lambda: delivered(report.pk, 3), timeout=120, what="every delivery recorded sent")
    time.sleep(2)

    assert sent_to(var_dir) == sorted([*RECIPIENTS, caught.address])
    twice = [m["Message-ID"] for m in mails(var_dir) if m["To"] == caught.address]
    assert len(twice) == 2
    assert twice[0] == twice[1] == f"<report-{report.pk}.delivery-{caught.pk}@tracker.example.org>"
    assert Delivery.objects.get(pk=caught.pk).attempts == 2
