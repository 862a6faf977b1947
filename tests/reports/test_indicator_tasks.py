"""Indicator tasks called in-process (no broker): claim, compute, record; safe to run twice."""

import datetime

import pytest
from django.db import OperationalError, transaction

from reports.choices import RunStatus
from reports.models import ComputationRun, IndicatorDefinition, IndicatorValue
from reports.services import recompute
from reports.services.published_figures import load_published_figures
from reports.tasks.indicators import (
    compute_all_indicators_task,
    compute_indicator_task,
    refresh_standard_indicators_task,
)
from tests.factories import ActivityCountryFactory, ActivityFactory, CountryFactory, ToolFactory

pytestmark = pytest.mark.django_db

Y2006 = (datetime.date(2006, 1, 1), datetime.date(2006, 12, 31))


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(recompute, "_send", lambda name, **kwargs: calls.append((name, kwargs)))
    return calls


@pytest.fixture(autouse=True)
def definitions() -> None:
    load_published_figures()


def direct() -> IndicatorDefinition:
    return IndicatorDefinition.objects.get(code="IND-COUNTRIES-DIRECT")


def test_request_enqueues_the_run_after_commit(sent, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        run = recompute.request_computation(indicator=direct(), period=Y2006)
        assert sent == []

    assert sent == [("reports.tasks.compute_indicator_task", {"run_id": run.pk})]
    assert run.status == RunStatus.PENDING


def test_compute_one_records_the_outcome_and_a_second_delivery_is_skipped(sent) -> None:  # type: ignore[no-untyped-def]
    ActivityCountryFactory.create(activity=ActivityFactory.create(), country=CountryFactory.create())
    run = recompute.request_computation(indicator=direct(), period=Y2006)

    assert compute_indicator_task(run_id=run.pk) == "done"
    history = IndicatorValue.history.count()
    assert compute_indicator_task(run_id=run.pk) == "skipped"

    run.refresh_from_db()
    assert (run.status, run.values_written, run.values_changed, run.attempts) == (RunStatus.DONE, 2, 0, 1)
    assert run.started_at is not None
    assert run.finished_at is not None
    assert IndicatorValue.objects.get(audience="all").value == 1
    assert IndicatorValue.history.count() == history


def test_compute_all_for_a_period_and_a_date(sent) -> None:  # type: ignore[no-untyped-def]
    run = recompute.request_computation(period=Y2006, reference_date=datetime.date(2007, 1, 1))

    compute_all_indicators_task(run_id=run.pk)

    assert IndicatorValue.objects.count() == 2 * 19  # both audiences
    assert set(IndicatorValue.objects.values_list("when_key", flat=True)) == {
        "2006-01-01..2006-12-31",
        "2007-01-01",
    }


def test_nightly_refresh_computes_the_standard_set_and_again_writes_nothing() -> None:
    refresh_standard_indicators_task()
    first = ComputationRun.objects.get()
    refresh_standard_indicators_task()

    second = ComputationRun.objects.exclude(pk=first.pk).get()
    years = first.requested_at.year - 2003 + 1
    # each year, since 2003, and the published figures' 2003-2006 and "to the end of 2006"
    assert first.values_written == 2 * (17 * (years + 1 + 2) + 2 * (years + 1))  # both audiences
    assert (second.status, second.values_written) == (RunStatus.DONE, 0)


def test_a_failure_is_recorded_on_the_run_and_raised(sent, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run = recompute.request_computation(indicator=direct(), period=Y2006)

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("formula exploded")

    monkeypatch.setattr(recompute, "refresh_outcome", broken)
    with pytest.raises(ValueError, match="formula exploded"):
        compute_indicator_task(run_id=run.pk)

    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.FAILED, "ValueError: formula exploded")
    assert IndicatorValue.objects.count() == 0


def test_a_transient_error_leaves_the_run_pending_for_its_retry(sent, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run = recompute.request_computation(indicator=direct(), period=Y2006)

    def database_gone(**kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(recompute, "refresh_outcome", database_gone)
    with pytest.raises(OperationalError):  # called directly, Task.retry() re-raises
        compute_indicator_task(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == RunStatus.PENDING
    assert run.error == "transient error, will retry: OperationalError: server closed the connection"


def test_a_request_with_a_bad_scope_or_period_is_refused_before_enqueueing(sent) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as scope:
        recompute.request_computation(indicator=direct(), period=Y2006, scope_key="country:ZZZ")
    with pytest.raises(ValidationError) as when:
        recompute.request_computation(indicator=direct(), reference_date=datetime.date(2007, 1, 1))

    assert list(scope.value.message_dict) == ["scope_key"]
    assert list(when.value.message_dict) == ["period"]
    assert ComputationRun.objects.count() == 0


# --- Coalesced recompute on commit --------------------------------------------------------
def test_an_import_of_1000_rows_enqueues_one_recompute(
    settings, sent, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.INDICATORS_RECOMPUTE_ON_COMMIT = True

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ToolFactory.create_batch(1000)

    run = ComputationRun.objects.get()  # recorded before the send, so a broker outage loses nothing
    assert sent == [
        ("reports.tasks.refresh_standard_indicators_task", {"run_id": run.pk, "reason": "records changed"})
    ]


def test_a_rolled_back_transaction_enqueues_nothing_and_the_next_one_does(
    settings, sent, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.INDICATORS_RECOMPUTE_ON_COMMIT = True

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                ToolFactory.create()
                raise RuntimeError("import failed")
        except RuntimeError:
            pass
    assert sent == []
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ToolFactory.create()
        ToolFactory.create()

    assert len(sent) == 1


def test_records_not_behind_an_indicator_enqueue_nothing(
    settings, sent, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.INDICATORS_RECOMPUTE_ON_COMMIT = True

    with django_capture_on_commit_callbacks(execute=True):
        IndicatorDefinition.objects.create(code="X", name="x", unit="u")

    assert sent == []
