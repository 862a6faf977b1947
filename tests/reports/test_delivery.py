"""Delivery by e-mail (SQLite, locmem backend): one Delivery row per address, bounded retries."""

import smtplib
from unittest import mock

import pytest
from django.core import mail

from reports.choices import RunStatus
from reports.models import Delivery, Report
from reports.services import delivery, reporting
from tests.factories import ReportFactory, ReportScheduleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Report files go to a temporary folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def done_report() -> Report:
    schedule = ReportScheduleFactory.create(extra_addresses="donor@example.org")
    schedule.recipients.set([UserFactory.create(email="head@example.org")])
    report = ReportFactory.create(schedule=schedule, title="Yearly 2006", formats=["xlsx", "html"])
    return reporting.generate_report(report_id=report.pk)


def test_each_recipient_gets_the_report_attached_once(done_report: Report) -> None:
    deliveries = delivery.deliver_report(report_id=done_report.pk)

    assert [(d.address, d.status, d.attempts) for d in deliveries] == [
        ("donor@example.org", RunStatus.DONE, 1),
        ("head@example.org", RunStatus.DONE, 1),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["donor@example.org", "head@example.org"]
    message = mail.outbox[0]
    assert message.subject == "[tracker] Yearly 2006"
    assert sorted(name.rsplit(".", 1)[-1] for name, _data, _type in message.attachments) == ["html", "xlsx"]
    html_part = next(p for p in message.message().walk() if p.get_content_type() == "text/html")
    assert html_part["Content-Type"] == 'text/html; charset="utf-8"'  # one charset, not two

    delivery.deliver_report(report_id=done_report.pk)
    assert len(mail.outbox) == 2


def test_a_failed_send_is_recorded_and_retried_up_to_the_bound(done_report: Report) -> None:
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=smtplib.SMTPServerDisconnected("gone")),
        pytest.raises(delivery.DeliveryIncomplete),
    ):
        delivery.deliver_report(report_id=done_report.pk)

    failed = Delivery.objects.get(address="head@example.org")
    assert (failed.status, failed.attempts, failed.error) == (
        RunStatus.PENDING,  # attempts are left: the task's retry sends it
        1,
        "SMTPServerDisconnected: gone",
    )

    delivery.deliver_report(report_id=done_report.pk)  # the retry succeeds
    assert sorted(m.to[0] for m in mail.outbox) == ["donor@example.org", "head@example.org"]
    assert set(Delivery.objects.values_list("status", "attempts")) == {(RunStatus.DONE, 2)}


def test_the_last_allowed_failure_stops_the_retries(done_report: Report) -> None:
    Delivery.objects.update_or_create(
        report=done_report, address="head@example.org", defaults={"status": RunStatus.PENDING, "attempts": 2}
    )
    Delivery.objects.update_or_create(
        report=done_report, address="donor@example.org", defaults={"status": RunStatus.DONE, "attempts": 1}
    )

    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("refused")):
        deliveries = delivery.deliver_report(report_id=done_report.pk)  # no DeliveryIncomplete

    assert [(d.address, d.status, d.attempts) for d in deliveries] == [
        ("donor@example.org", RunStatus.DONE, 1),
        ("head@example.org", RunStatus.FAILED, 3),
    ]


def test_a_large_report_is_linked_not_attached(done_report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "MAX_ATTACHMENT_BYTES", 10)

    delivery.deliver_report(report_id=done_report.pk)

    message = mail.outbox[0]
    assert message.attachments == []
    assert f"/admin/reports/report/{done_report.pk}/download/xlsx/" in message.body


def test_a_report_that_is_not_done_is_not_delivered() -> None:
    report = ReportFactory.create()

    with pytest.raises(ValueError, match="is pending, not done"):
        delivery.deliver_report(report_id=report.pk)
