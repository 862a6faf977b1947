"""Housekeeping on a schedule: expired Idempotency-Key records go, and the list cache's change log
is kept short."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from tests.factories import UserFactory
from tracker.api import list_cache
from tracker.models import DataChange, IdempotencyKey
from tracker.tasks import prune_data_changes_task, purge_expired_idempotency_keys_task


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


@pytest.mark.django_db
def test_the_change_log_keeps_its_last_thousand_rows() -> None:
    DataChange.objects.all().delete()
    for _ in range(1003):
        list_cache.mark_changed()
    newest = list(DataChange.objects.order_by("-id").values_list("id", flat=True)[:1000])
    assert prune_data_changes_task.apply().get() == 3
    assert list(DataChange.objects.order_by("-id").values_list("id", flat=True)) == newest
