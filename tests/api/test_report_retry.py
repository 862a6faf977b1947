"""POST /api/v1/reports/{id}/retry/: a stuck or failed report, else its unsent deliveries."""

import datetime
import uuid
from typing import Any

import pytest
from freezegun import freeze_time

from reports.choices import RunStatus
from reports.models import Delivery
from tests.factories import ReportFactory

NOW = datetime.datetime(2027, 1, 1, 6, 0, tzinfo=datetime.UTC)


def held(*, expires: datetime.datetime) -> dict[str, Any]:
    return {
        "status": RunStatus.RUNNING,
        "attempts": 1,
        "claim_token": uuid.uuid4(),
        "lease_expires_at": expires,
    }


@pytest.mark.django_db
@freeze_time(NOW)
def test_the_api_retries_a_stuck_report_then_its_unsent_deliveries(
    write_client: Any, read_client: Any
) -> None:
    stuck = ReportFactory.create(**held(expires=NOW - datetime.timedelta(seconds=1)))
    done = ReportFactory.create(status=RunStatus.DONE)
    unsent = Delivery.objects.create(
        report=done, address="a@example.org", status=RunStatus.FAILED, attempts=3
    )
    live = ReportFactory.create(**held(expires=NOW + datetime.timedelta(seconds=60)))

    assert read_client.post(f"/api/v1/reports/{stuck.pk}/retry/").status_code == 403
    queued = write_client.post(f"/api/v1/reports/{stuck.pk}/retry/")
    assert queued.status_code == 202, queued.content
    assert queued.json()["status"] == "pending"
    assert write_client.post(f"/api/v1/reports/{done.pk}/retry/").status_code == 202
    assert (Delivery.objects.get(pk=unsent.pk).status, Delivery.objects.get(pk=unsent.pk).attempts) == (
        RunStatus.PENDING,
        0,
    )
    refused = write_client.post(f"/api/v1/reports/{live.pk}/retry/")
    assert refused.status_code == 409
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["detail"] == "The report is running with nothing to retry."
