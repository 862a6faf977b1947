"""Snapshots: upserted on their natural key, unchanged data writes nothing, changes keep history."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from missions.choices import CountryRole
from reports.indicators import Scope
from reports.models import IndicatorValue
from reports.services.published_figures import load_published_figures
from reports.services.snapshots import (
    previous_value,
    published_periods_and_dates,
    refresh,
    refresh_outcome,
    scope_from_key,
    standard_periods_and_dates,
)
from tests.factories import ActivityCountryFactory, ActivityFactory, CountryFactory, UserFactory

pytestmark = pytest.mark.django_db

Y2006 = (datetime.date(2006, 1, 1), datetime.date(2006, 12, 31))
CODES = ["IND-COUNTRIES-ASSISTED", "IND-COUNTRIES-DIRECT", "IND-RATIF-ALL-12"]


@pytest.fixture(autouse=True)
def definitions() -> None:
    load_published_figures()


def test_refresh_stores_one_snapshot_per_definition_and_period_or_date() -> None:
    ActivityCountryFactory.create(activity=ActivityFactory.create(), country=CountryFactory.create())

    values = refresh(codes=CODES, periods=[Y2006], reference_dates=[datetime.date(2007, 1, 1)])

    # one per audience: with confidential records (all) and without (open)
    assert sorted((v.indicator.code, v.when_key, v.scope_key, v.audience) for v in values) == [
        ("IND-COUNTRIES-ASSISTED", "2006-01-01..2006-12-31", "global", "all"),
        ("IND-COUNTRIES-ASSISTED", "2006-01-01..2006-12-31", "global", "open"),
        ("IND-COUNTRIES-DIRECT", "2006-01-01..2006-12-31", "global", "all"),
        ("IND-COUNTRIES-DIRECT", "2006-01-01..2006-12-31", "global", "open"),
        ("IND-RATIF-ALL-12", "2007-01-01", "global", "all"),
        ("IND-RATIF-ALL-12", "2007-01-01", "global", "open"),
    ]
    assisted = IndicatorValue.objects.get(indicator__code="IND-COUNTRIES-ASSISTED", audience="all")
    assert (assisted.value, assisted.input_count, assisted.period_start) == (Decimal(1), 1, Y2006[0])
    assert len(assisted.input_fingerprint) == 64


def test_second_refresh_with_unchanged_data_writes_nothing() -> None:
    ActivityCountryFactory.create(activity=ActivityFactory.create(), country=CountryFactory.create())
    refresh(codes=CODES, periods=[Y2006], reference_dates=[datetime.date(2007, 1, 1)])
    before = list(IndicatorValue.objects.values_list("pk", "computed_at", "value"))
    history = IndicatorValue.history.count()

    outcome = refresh_outcome(codes=CODES, periods=[Y2006], reference_dates=[datetime.date(2007, 1, 1)])

    assert (outcome.written, outcome.changed, len(outcome.values)) == (0, 0, 6)
    assert list(IndicatorValue.objects.values_list("pk", "computed_at", "value")) == before
    assert IndicatorValue.history.count() == history


def test_changed_data_updates_the_snapshot_and_history_keeps_the_old_value() -> None:
    officer = UserFactory.create(username="analyst")
    ActivityCountryFactory.create(activity=ActivityFactory.create(), country=CountryFactory.create())
    refresh(codes=["IND-COUNTRIES-ASSISTED"], periods=[Y2006])
    ActivityCountryFactory.create(
        activity=ActivityFactory.create(), country=CountryFactory.create(), role=CountryRole.PARTICIPANT
    )

    outcome = refresh_outcome(codes=["IND-COUNTRIES-ASSISTED"], periods=[Y2006], actor=officer)

    snapshot = IndicatorValue.objects.get(audience="all")
    assert (outcome.written, outcome.changed) == (2, 2)  # both audiences
    assert snapshot.value == Decimal(2)
    assert previous_value(snapshot) == Decimal(1)
    latest = snapshot.history.first()  # type: ignore[attr-defined]  # django-simple-history
    assert (latest.history_user, latest.history_change_reason) == (officer, "indicator refresh")


def test_scopes_are_separate_snapshots() -> None:
    country = CountryFactory.create()
    ActivityCountryFactory.create(activity=ActivityFactory.create(), country=country)

    refresh(codes=["IND-COUNTRIES-ASSISTED"], periods=[Y2006])
    refresh(
        codes=["IND-COUNTRIES-ASSISTED"], periods=[Y2006], scope=scope_from_key(f"country:{country.iso3}")
    )

    assert sorted(IndicatorValue.objects.values_list("scope_key", "scope_country", "audience")) == [
        (f"country:{country.iso3}", country.pk, "all"),
        (f"country:{country.iso3}", country.pk, "open"),
        ("global", None, "all"),
        ("global", None, "open"),
    ]


def test_unknown_codes_and_scopes_are_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as codes:
        refresh(codes=["NOPE"], periods=[Y2006])
    with pytest.raises(ValidationError) as scope:
        scope_from_key("region:NOWHERE")

    assert codes.value.message_dict == {"codes": ["Unknown indicator code(s): NOPE."]}
    assert list(scope.value.message_dict) == ["scope_key"]
    assert scope_from_key("global") == Scope.global_()


def test_standard_set_is_each_year_since_2003_the_cumulative_period_and_each_1_january() -> None:
    periods, dates = standard_periods_and_dates(today=datetime.date(2007, 3, 5))

    assert periods == [(datetime.date(y, 1, 1), datetime.date(y, 12, 31)) for y in range(2003, 2008)] + [
        (datetime.date(2003, 1, 1), datetime.date(2007, 12, 31))
    ]
    assert dates == [datetime.date(y, 1, 1) for y in range(2003, 2009)]


def test_published_figures_add_the_periods_they_are_compared_at() -> None:
    periods, dates = published_periods_and_dates()

    assert periods == [
        (datetime.date(1950, 1, 1), datetime.date(2006, 12, 31)),  # IF-31, the annex "as at 31 Dec 2006"
        (datetime.date(2003, 1, 1), datetime.date(2006, 12, 31)),  # since 2003 / no period stated
        (datetime.date(2006, 1, 1), datetime.date(2006, 12, 31)),
    ]
    assert dates == [datetime.date(2003, 1, 1), datetime.date(2007, 1, 1)]
