"""resend_pending_runs without a broker: which runs it sends again, and to which task."""

import datetime

import pytest
from django.utils import timezone

from reports.choices import RunStatus
from reports.models import ComputationRun
from reports.services import recompute

pytestmark = pytest.mark.django_db


def test_only_runs_pending_longer_than_the_threshold_are_sent_again(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sent: list[tuple[str, dict]] = []

    def send(name: str, **kwargs: object) -> bool:
        sent.append((name, kwargs))
        return True

    monkeypatch.setattr(recompute, "_send", send)
    old = timezone.now() - datetime.timedelta(minutes=10)
    stale = ComputationRun.objects.create(scope_key="global", status=RunStatus.PENDING)
    done = ComputationRun.objects.create(scope_key="global", status=RunStatus.DONE)
    fresh = ComputationRun.objects.create(scope_key="global", status=RunStatus.PENDING)
    ComputationRun.objects.filter(pk__in=[stale.pk, done.pk]).update(requested_at=old)

    assert recompute.resend_pending_runs() == [stale.pk]
    assert sent == [(recompute.REFRESH_STANDARD_TASK, {"run_id": stale.pk})]
    assert fresh.pk not in recompute.resend_pending_runs(older_than=datetime.timedelta(minutes=1))


def test_saves_reuse_the_pending_standard_run_but_never_a_running_one() -> None:
    first = recompute.pending_standard_run()
    assert recompute.pending_standard_run() == first
    ComputationRun.objects.filter(pk=first.pk).update(status=RunStatus.RUNNING)
    assert recompute.pending_standard_run() != first
