"""Ratification indicators (para 30) on factory countries, through missions.legal_status."""

import datetime
from decimal import Decimal

import pytest

from missions.choices import ActivityKind, CountryRole, InstrumentGroup
from missions.models import Instrument
from reports.indicators import Scope, compute
from tests.factories import (
    ActivityCountryFactory,
    ActivityFactory,
    CountryFactory,
    IndicatorDefinitionFactory,
    RatificationFactory,
    RegionFactory,
)

pytestmark = pytest.mark.django_db

JAN_2007 = datetime.date(2007, 1, 1)


@pytest.fixture
def first_12() -> list[Instrument]:
    instruments = list(Instrument.objects.filter(group=InstrumentGroup.FIRST_12).order_by("seq"))
    assert len(instruments) == 12
    return instruments


def deposit(country, instruments, *, on=datetime.date(2000, 6, 1)):  # type: ignore[no-untyped-def]
    for instrument in instruments:
        RatificationFactory.create(country=country, instrument=instrument, deposit_date=on)


def test_all_12_and_six_or_fewer_at_a_reference_date(first_12, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    region = RegionFactory.create(code="FIELD-RATIF")
    a, b, c = CountryFactory.create_batch(3, field_region=region)
    late_member = CountryFactory.create(field_region=region, un_admission_date=datetime.date(2008, 1, 1))
    deposit(a, first_12[:11])
    deposit(a, first_12[11:], on=JAN_2007)  # on the reference date itself: counts
    deposit(b, first_12[:11])
    deposit(b, first_12[11:], on=datetime.date(2007, 1, 2))
    deposit(c, first_12[:6])
    scope = Scope.for_region(region)
    all_12 = IndicatorDefinitionFactory.create(code="IND-RATIF-ALL-12")
    six_or_fewer = IndicatorDefinitionFactory.create(code="IND-RATIF-SIX-OR-FEWER")

    with django_assert_num_queries(4):
        at_2007 = compute(all_12, as_of=JAN_2007, scope=scope)
    day_after = compute(all_12, as_of=datetime.date(2007, 1, 2), scope=scope)
    few = compute(six_or_fewer, as_of=JAN_2007, scope=scope)

    assert list(at_2007.breakdown["per_country"]) == [a.iso3]
    assert at_2007.value == Decimal(1)
    assert at_2007.input_count == 12 + 11 + 6
    assert at_2007.coverage.startswith("based on")
    assert sorted(day_after.breakdown["per_country"]) == sorted([a.iso3, b.iso3])
    assert list(few.breakdown["per_country"]) == [c.iso3]  # late_member was not yet a member
    assert late_member.iso3 not in few.breakdown["per_country"]


def test_ratifications_after_assistance_skip_a_country_assisted_only_after_it_ratified(first_12) -> None:  # type: ignore[no-untyped-def]
    assisted_first, assisted_later = CountryFactory.create_batch(2)
    mission = ActivityFactory.create(kind=ActivityKind.MISSION, start_date=datetime.date(2006, 3, 1))
    ActivityCountryFactory.create(activity=mission, country=assisted_first, role=CountryRole.BENEFICIARY)
    late = ActivityFactory.create(kind=ActivityKind.WORKSHOP, start_date=datetime.date(2006, 5, 1))
    ActivityCountryFactory.create(activity=late, country=assisted_later, role=CountryRole.PARTICIPANT)
    deposit(assisted_first, first_12[0:1], on=datetime.date(2006, 3, 1))  # the day it was assisted
    deposit(assisted_first, first_12[1:2], on=datetime.date(2006, 12, 31))
    deposit(assisted_first, first_12[2:3], on=datetime.date(2007, 1, 1))  # after the period
    deposit(assisted_later, first_12[0:1], on=datetime.date(2006, 2, 1))  # before its assistance
    indicator = IndicatorDefinitionFactory.create(code="IND-RATIF-AFTER-ASSIST")

    result = compute(
        indicator,
        period=(datetime.date(2006, 1, 1), datetime.date(2006, 12, 31)),
        scope=Scope.for_country(assisted_first),
    )
    other = compute(
        indicator,
        period=(datetime.date(2006, 1, 1), datetime.date(2006, 12, 31)),
        scope=Scope.for_country(assisted_later),
    )

    assert result.value == Decimal(2)
    assert result.breakdown["per_country"][assisted_first.iso3]["deposits"] == 2
    assert other.value == Decimal(0)
