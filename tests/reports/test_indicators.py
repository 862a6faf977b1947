"""Each indicator on small factory data with hand-computed answers, boundaries included."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from missions.choices import ActivityKind, ActivityStatus, CountryRole, LegislationKind, ToolStatus
from partners.choices import ContributionKind, DonorKind
from reports.indicators import FORMULAS, Scope, compute
from reports.models import IndicatorDefinition
from reports.services.published_figures import load_published_figures
from tests.factories import (
    ActivityCountryFactory,
    ActivityFactory,
    ContributionFactory,
    CountryFactory,
    DonorFactory,
    IndicatorDefinitionFactory,
    LegislationEventFactory,
    OrganisationFactory,
    ParticipationFactory,
    RegionFactory,
    ToolFactory,
)

pytestmark = pytest.mark.django_db

Y2006 = (datetime.date(2006, 1, 1), datetime.date(2006, 12, 31))


def definition(code: str) -> IndicatorDefinition:
    return IndicatorDefinitionFactory.create(code=code)


def assist(country, kind=ActivityKind.MISSION, role=CountryRole.BENEFICIARY, **activity):  # type: ignore[no-untyped-def]
    created = ActivityFactory.create(kind=kind, **activity)
    ActivityCountryFactory.create(activity=created, country=country, role=role)
    return created


# --- countries assisted ------------------------------------------------------------------
def test_countries_assisted_counts_distinct_beneficiaries_and_participants_of_held_activities() -> None:
    a, b, c, d = CountryFactory.create_batch(4)
    assist(a, start_date=datetime.date(2006, 1, 1))  # first day of the period
    assist(a, kind=ActivityKind.VIDEO_CONFERENCE, start_date=datetime.date(2006, 5, 1))
    assist(
        b, kind=ActivityKind.WORKSHOP, role=CountryRole.PARTICIPANT, start_date=datetime.date(2006, 12, 31)
    )
    assist(c, role=CountryRole.HOST, start_date=datetime.date(2006, 6, 1))  # hosting is not assistance
    assist(d, status=ActivityStatus.PLANNED, start_date=datetime.date(2006, 6, 1))
    assist(d, start_date=datetime.date(2007, 1, 1))  # the day after the period

    result = compute(definition("IND-COUNTRIES-ASSISTED"), period=Y2006)

    assert result.value == Decimal(2)
    assert result.input_count == 3
    assert result.breakdown["per_kind"] == {"mission": 1, "video_conference": 1, "workshop": 1}
    assert result.breakdown["per_role"] == {"beneficiary": 1, "participant": 1}
    assert sorted(result.breakdown["per_country"]) == sorted([a.iso3, b.iso3])
    assert result.breakdown["per_country"][a.iso3]["activities"] == 2


def test_countries_directly_assisted_counts_only_beneficiaries_of_direct_kinds() -> None:
    a, b, c = CountryFactory.create_batch(3)
    assist(a, kind=ActivityKind.DIRECT_ASSISTANCE, start_date=datetime.date(2006, 1, 1))
    assist(b, kind=ActivityKind.WORKSHOP, start_date=datetime.date(2006, 3, 1))  # indirect
    assist(c, kind=ActivityKind.VIDEO_CONFERENCE, role=CountryRole.PARTICIPANT)

    result = compute(definition("IND-COUNTRIES-DIRECT"), period=Y2006)

    assert result.value == Decimal(1)
    assert list(result.breakdown["per_country"]) == [a.iso3]


def test_an_empty_period_gives_zero_with_no_inputs() -> None:
    assist(CountryFactory.create(), start_date=datetime.date(2006, 3, 1))

    result = compute(
        definition("IND-COUNTRIES-ASSISTED"), period=(datetime.date(2005, 1, 1), datetime.date(2005, 12, 31))
    )

    assert (result.value, result.input_count, result.breakdown["per_country"]) == (Decimal(0), 0, {})


def test_region_and_country_scopes_restrict_the_countries() -> None:
    region = RegionFactory.create(code="FIELD-TEST")
    inside, outside = CountryFactory.create(field_region=region), CountryFactory.create()
    assist(inside)
    assist(outside)
    indicator = definition("IND-COUNTRIES-ASSISTED")

    by_region = compute(indicator, period=Y2006, scope=Scope.for_region(region))
    by_country = compute(indicator, period=Y2006, scope=Scope.for_country(outside))

    assert list(by_region.breakdown["per_country"]) == [inside.iso3]
    assert by_region.breakdown["per_field_region"] == {region.name: 1}
    assert list(by_country.breakdown["per_country"]) == [outside.iso3]


def test_countries_assisted_runs_a_constant_number_of_queries(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    indicator = definition("IND-COUNTRIES-ASSISTED")
    for _ in range(2):
        assist(CountryFactory.create())
    with django_assert_num_queries(2):
        compute(indicator, period=Y2006)
    for _ in range(10):
        assist(CountryFactory.create(), kind=ActivityKind.WORKSHOP, role=CountryRole.PARTICIPANT)
    with django_assert_num_queries(2):
        assert compute(indicator, period=Y2006).value == Decimal(12)


# --- workshops ------------------------------------------------------------------------------
def test_workshops_held_and_countries_taking_part() -> None:
    a, b = CountryFactory.create_batch(2)
    w1 = assist(a, kind=ActivityKind.WORKSHOP, role=CountryRole.PARTICIPANT, stated_country_count=8)
    ActivityCountryFactory.create(activity=w1, country=b, role=CountryRole.PARTICIPANT)
    assist(a, kind=ActivityKind.WORKSHOP, role=CountryRole.PARTICIPANT, stated_country_count=6)
    ActivityFactory.create(kind=ActivityKind.WORKSHOP, status=ActivityStatus.CANCELLED)
    ActivityFactory.create(kind=ActivityKind.MISSION)

    held = compute(definition("IND-WORKSHOPS-HELD"), period=Y2006)
    taking_part = compute(definition("IND-WORKSHOP-COUNTRIES"), period=Y2006)

    assert (held.value, held.breakdown["stated_country_count_sum"]) == (Decimal(2), 14)
    assert taking_part.value == Decimal(2)
    assert taking_part.input_count == 3


# --- legislation ----------------------------------------------------------------------------
def test_legislation_counts_assisted_countries_per_kind_within_the_period() -> None:
    a, b, c = CountryFactory.create_batch(3)
    LegislationEventFactory.create(
        country=a, kind=LegislationKind.NEW_LAW, assisted_by_office=True, date=datetime.date(2006, 12, 31)
    )
    LegislationEventFactory.create(
        country=a, kind=LegislationKind.NEW_LAW, assisted_by_office=True, date=datetime.date(2006, 2, 1)
    )
    LegislationEventFactory.create(country=b, kind=LegislationKind.NEW_LAW, assisted_by_office=False)
    LegislationEventFactory.create(country=c, kind=LegislationKind.DRAFTING, assisted_by_office=True)
    LegislationEventFactory.create(
        country=c, kind=LegislationKind.NEW_LAW, assisted_by_office=True, date=datetime.date(2007, 1, 1)
    )

    new_law = compute(definition("IND-LEGIS-NEW-LAW"), period=Y2006)
    drafting = compute(definition("IND-LEGIS-DRAFTING"), period=Y2006)
    incorporation = compute(definition("IND-LEGIS-INCORPORATION"), period=Y2006)

    assert (new_law.value, new_law.input_count) == (Decimal(1), 2)
    assert new_law.breakdown["per_country"][a.iso3]["events"] == 2
    assert drafting.value == Decimal(1)
    assert incorporation.value == Decimal(0)


# --- officials ------------------------------------------------------------------------------
def test_officials_use_the_activity_figure_or_else_the_participations() -> None:
    ActivityFactory.create(kind=ActivityKind.TRAINING_COURSE, officials_trained=30, officials_briefed=40)
    course = ActivityFactory.create(kind=ActivityKind.TRAINING_COURSE)
    ParticipationFactory.create(activity=course, role="prosecutors", count=20, trained=12, briefed=1)
    ParticipationFactory.create(activity=course, role="judges", trained=8)
    ActivityFactory.create(
        kind=ActivityKind.BRIEFING, officials_briefed=100, start_date=datetime.date(2007, 1, 1)
    )
    ActivityFactory.create(kind=ActivityKind.BRIEFING, officials_briefed=5, status=ActivityStatus.PLANNED)

    trained = compute(definition("IND-OFFICIALS-TRAINED"), period=Y2006)
    briefed = compute(definition("IND-OFFICIALS-BRIEFED"), period=Y2006)

    assert trained.value == Decimal(50)
    assert trained.breakdown["per_kind"] == {"training_course": 50}
    assert briefed.value == Decimal(41)


# --- tools ----------------------------------------------------------------------------------
def test_tools_developed_in_the_period_and_undated_tools_in_the_coverage() -> None:
    ToolFactory.create(status_date=datetime.date(2003, 1, 1))
    ToolFactory.create(status=ToolStatus.UPDATED, status_date=datetime.date(2006, 12, 31))
    ToolFactory.create(status=ToolStatus.IN_DEVELOPMENT, status_date=datetime.date(2006, 1, 1))
    ToolFactory.create(counts_as_office_tool=False, status_date=datetime.date(2006, 1, 1))
    ToolFactory.create(status_date=None)
    ToolFactory.create(status_date=datetime.date(2002, 12, 31))

    result = compute(
        definition("IND-TOOLS-DEVELOPED"), period=(datetime.date(2003, 1, 1), datetime.date(2006, 12, 31))
    )

    assert result.value == Decimal(2)
    assert result.is_complete is False
    assert "1 such tool(s) have no status date" in result.coverage


# --- contributions --------------------------------------------------------------------------
def test_contributions_per_year_and_donor_without_counting_a_paid_pledge_twice() -> None:
    austria = DonorFactory.create(name="Austria")
    osce = DonorFactory.create(
        name="OSCE", kind=DonorKind.ORGANISATION, country=None, organisation=OrganisationFactory.create()
    )
    pledge = ContributionFactory.create(donor=austria, amount=Decimal(1000), year=2005)
    ContributionFactory.create(
        donor=austria, kind=ContributionKind.PAYMENT, pledge=pledge, amount=Decimal(600), year=2005
    )
    ContributionFactory.create(donor=austria, kind=ContributionKind.PAYMENT, amount=Decimal(50), year=2006)
    ContributionFactory.create(
        donor=osce, kind=ContributionKind.PAID_OR_PLEDGED, amount=Decimal(13175), year=2006
    )
    ContributionFactory.create(donor=osce, amount=Decimal(7), currency="EUR", year=2006)
    ContributionFactory.create(donor=austria, amount=Decimal(99), year=2002)
    period = (datetime.date(2003, 1, 1), datetime.date(2006, 12, 31))

    total = compute(definition("IND-CONTRIB-PAID-PLEDGED"), period=period)
    paid = compute(definition("IND-CONTRIB-PAID"), period=period)
    donors = compute(definition("IND-DONOR-COUNTRIES"), period=period)

    assert total.value == Decimal(14225)
    assert total.breakdown["per_year"] == {"2005": "1000.00", "2006": "13225.00"}
    assert total.breakdown["per_donor"] == {"Austria": "1050.00", "OSCE": "13175.00"}
    assert total.is_complete is False
    assert paid.value == Decimal(650)
    assert donors.value == Decimal(1)  # the OSCE is not a country


# --- entry point ----------------------------------------------------------------------------
def test_every_loaded_definition_has_a_formula_of_the_same_version() -> None:
    load_published_figures()

    for indicator in IndicatorDefinition.objects.all():
        formula = FORMULAS[indicator.code]
        assert (formula.version, formula.takes_reference_date) == (
            indicator.formula_version,
            indicator.takes_reference_date,
        )
    assert len(FORMULAS) == IndicatorDefinition.objects.count()


def test_a_flow_needs_a_period_and_a_stock_a_reference_date() -> None:
    with pytest.raises(ValidationError) as flow:
        compute(definition("IND-COUNTRIES-ASSISTED"), as_of=datetime.date(2007, 1, 1))
    with pytest.raises(ValidationError) as backwards:
        compute(
            definition("IND-COUNTRIES-ASSISTED"),
            period=(datetime.date(2007, 1, 1), datetime.date(2006, 1, 1)),
        )
    with pytest.raises(ValidationError) as unknown:
        compute(definition("NO-SUCH"), period=Y2006)

    assert list(flow.value.message_dict) == ["period"]
    assert "before it starts" in backwards.value.message_dict["period"][0]
    assert unknown.value.message_dict == {"code": ["No formula for the indicator 'NO-SUCH'."]}


def test_same_data_same_fingerprint_and_any_change_of_an_input_changes_it() -> None:
    country = CountryFactory.create()
    activity = assist(country)
    indicator = definition("IND-COUNTRIES-ASSISTED")
    first = compute(indicator, period=Y2006)

    assert compute(indicator, period=Y2006).fingerprint == first.fingerprint
    activity.title = "Renamed"
    activity.save()
    assert compute(indicator, period=Y2006).fingerprint != first.fingerprint


def _grow(n: int) -> None:
    """n more countries, each with a mission, a workshop, a law, a tool and a contribution."""
    for _ in range(n):
        country = CountryFactory.create()
        assist(country)
        assist(country, kind=ActivityKind.WORKSHOP, role=CountryRole.PARTICIPANT, officials_briefed=3)
        LegislationEventFactory.create(country=country, assisted_by_office=True)
        ToolFactory.create().countries.add(country)
        ContributionFactory.create(donor=DonorFactory.create(country=country), year=2006)


@pytest.mark.parametrize("code", sorted(FORMULAS))
def test_every_formula_runs_the_same_number_of_queries_whatever_the_data(code: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    indicator = definition(code)
    when = {"as_of": datetime.date(2007, 1, 1)} if FORMULAS[code].takes_reference_date else {"period": Y2006}
    counts = []
    for n in (1, 6):
        _grow(n)
        with CaptureQueriesContext(connection) as captured:
            compute(indicator, **when)  # type: ignore[arg-type]
        counts.append(len(captured))

    assert counts[0] == counts[1] <= 4
