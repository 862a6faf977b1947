"""Housekeeping: expired Idempotency-Key records are purged on a schedule, live ones kept."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from tests.factories import UserFactory
from tracker.models import IdempotencyKey
from tracker.tasks import purge_expired_idempotency_keys_task


def key(user, name: str, expires_at: datetime.datetime) -> IdempotencyKey:  # type: ignore[no-untyped-def]
    return IdempotencyKey.objects.create(
        user=user,
        key=name,
        method="POST",
        path="/api/v1/activities/",
        request_hash="0" * 64,
        status_code=201,
        response_body={"id": 1},
        expires_at=expires_at,
    )


@pytest.mark.django_db
def test_expired_idempotency_keys_are_purged_and_live_ones_kept() -> None:
    user = UserFactory.create()
    now = timezone.now()
    key(user, "expired", now - datetime.timedelta(minutes=1))
    key(user, "live", now + datetime.timedelta(hours=23))
    result = purge_expired_idempotency_keys_task.apply()
    assert result.successful()
    assert result.get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["live"]


def test_the_purge_runs_hourly_from_beat() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["purge-idempotency-keys-v1"]
    assert entry["task"] == "tracker.tasks.purge_expired_idempotency_keys_task"
    assert entry["schedule"] == datetime.timedelta(hours=1)
