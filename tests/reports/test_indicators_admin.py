"""The admin indicator pages: values over time against published figures, and recompute."""

import datetime

import pytest
from django.urls import reverse

from reports.choices import RunStatus
from reports.models import ComputationRun, IndicatorDefinition
from reports.services import recompute
from reports.services.published_figures import load_published_figures
from reports.services.snapshots import refresh
from tests.factories import ActivityCountryFactory, ActivityFactory, CountryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(recompute, "_send", lambda name, **kwargs: calls.append((name, kwargs)))
    return calls


@pytest.fixture
def computed() -> IndicatorDefinition:
    load_published_figures()
    for year in (2005, 2006):
        ActivityCountryFactory.create(
            activity=ActivityFactory.create(start_date=datetime.date(year, 5, 1)),
            country=CountryFactory.create(),
        )
    refresh(
        codes=["IND-COUNTRIES-DIRECT"],
        periods=[(datetime.date(y, 1, 1), datetime.date(y, 12, 31)) for y in (2005, 2006)],
    )
    return IndicatorDefinition.objects.get(code="IND-COUNTRIES-DIRECT")


def test_changelist_shows_2006_and_both_reference_dates_in_constant_queries(
    officer_client, computed, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("admin:reports_indicatordefinition_changelist")

    with django_assert_max_num_queries(12):
        response = officer_client.get(url)

    assert response.status_code == 200
    row = next(r for r in response.context["cl"].result_list if r.code == "IND-COUNTRIES-DIRECT")
    assert (row.v2006, row.v2003, row.v2007) == (1, None, None)


def test_values_page_shows_each_value_with_coverage_and_difference_from_published(
    officer_client, computed
) -> None:  # type: ignore[no-untyped-def]
    response = officer_client.get(reverse("admin:reports_indicatordefinition_values", args=[computed.pk]))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r["snapshot"].when_key for r in rows] == ["2005-01-01..2005-12-31", "2006-01-01..2006-12-31"]
    (figure,) = response.context["figure_rows"]
    assert (figure["figure"].figure_id, figure["key"], figure["difference"]) == (
        "IF-02",
        "2006-01-01..2006-12-31",
        1 - 54,
    )
    assert rows[1]["published"][0]["difference"] == -53
    assert response.context["chart"] is not None
    assert b"<svg" in response.content
    assert b"Countries listed on activities" in response.content


def test_officer_requests_a_recompute_and_sees_the_run(officer_client, computed, sent) -> None:  # type: ignore[no-untyped-def]
    url = reverse("admin:reports_indicatordefinition_recompute", args=[computed.pk])

    response = officer_client.post(
        url, {"period_start": "2006-01-01", "period_end": "2006-12-31", "scope_key": "global"}, follow=True
    )

    run = ComputationRun.objects.get()
    assert (run.indicator, run.period_start, run.status) == (
        computed,
        datetime.date(2006, 1, 1),
        RunStatus.PENDING,
    )
    assert run.requested_by is not None
    assert run.requested_by.username == "officer"
    assert "Computation run" in response.content.decode()
    runs_page = officer_client.get(reverse("admin:reports_computationrun_changelist"))
    assert runs_page.status_code == 200
    assert "Pending" in runs_page.content.decode()


def test_a_bad_recompute_request_names_the_field_and_requests_nothing(officer_client, computed, sent) -> None:  # type: ignore[no-untyped-def]
    url = reverse("admin:reports_indicatordefinition_recompute", args=[computed.pk])

    response = officer_client.post(url, {"period_start": "2006-01-01", "scope_key": "global"}, follow=True)
    as_date = officer_client.post(url, {"reference_date": "2007-01-01", "scope_key": "global"}, follow=True)

    assert "period_end: A period needs both ends." in response.content.decode()
    assert "period: IND-COUNTRIES-DIRECT is computed over a period" in as_date.content.decode()
    assert ComputationRun.objects.count() == 0
    assert sent == []


def test_changelist_action_requests_the_standard_set(officer_client, computed, sent) -> None:  # type: ignore[no-untyped-def]
    officer_client.post(
        reverse("admin:reports_indicatordefinition_changelist"),
        {"action": "recompute_standard", "_selected_action": [computed.pk]},
    )

    run = ComputationRun.objects.get()
    assert (run.indicator, run.period_start, run.reference_date) == (computed, None, None)
