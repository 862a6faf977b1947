"""As-of queries of missions/legal_status.py: boundaries, query counts and the shipped data."""

import datetime

import pytest

from missions import legal_status
from missions.choices import ActivityStatus, CountryRole, Coverage, InstrumentGroup, RatificationAction
from missions.models import Instrument
from tests.factories import (
    ActivityCountryFactory,
    ActivityFactory,
    CountryFactory,
    InstrumentFactory,
    RatificationFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
AS_OF = D(2007, 1, 1)


@pytest.fixture
def two_instruments():
    return [InstrumentFactory.create(), InstrumentFactory.create()]


def test_deposit_on_the_reference_date_counts_and_the_day_after_does_not(two_instruments):
    first, second = two_instruments
    country = CountryFactory.create()
    RatificationFactory.create(country=country, instrument=first, deposit_date=AS_OF)
    RatificationFactory.create(country=country, instrument=second, deposit_date=AS_OF + datetime.timedelta(1))
    counts = legal_status.instrument_counts(as_of=AS_OF, instruments=two_instruments, countries=[country])
    assert counts == {country.pk: 1}
    assert legal_status.instrument_counts(
        as_of=AS_OF + datetime.timedelta(1), instruments=two_instruments, countries=[country]
    ) == {country.pk: 2}


def test_a_country_counts_only_once_it_is_a_un_member(two_instruments):
    first, _ = two_instruments
    newcomer = CountryFactory.create(un_admission_date=D(2006, 6, 28))
    RatificationFactory.create(country=newcomer, instrument=first, deposit_date=D(2006, 10, 23))
    territory = CountryFactory.create(is_un_member=False, un_admission_date=None)
    RatificationFactory.create(country=territory, instrument=first, deposit_date=D(2000, 1, 1))
    countries = [newcomer, territory]
    assert (
        legal_status.instrument_counts(as_of=D(2006, 6, 27), instruments=[first], countries=countries) == {}
    )
    assert legal_status.instrument_counts(as_of=D(2006, 6, 28), instruments=[first], countries=countries) == {
        newcomer.pk: 0
    }
    assert legal_status.instrument_counts(as_of=AS_OF, instruments=[first], countries=countries) == {
        newcomer.pk: 1
    }


def test_a_succession_counts_and_a_signature_does_not(two_instruments):
    first, second = two_instruments
    country = CountryFactory.create()
    RatificationFactory.create(
        country=country, instrument=first, action=RatificationAction.SUCCESSION, deposit_date=D(2006, 10, 23)
    )
    RatificationFactory.create(
        country=country, instrument=second, action="", deposit_date=None, signature_date=D(2001, 1, 1)
    )
    assert legal_status.instrument_counts(as_of=AS_OF, instruments=two_instruments, countries=[country]) == {
        country.pk: 1
    }
    assert list(legal_status.countries_with_all(as_of=AS_OF, instruments=[first])) == [country]
    assert list(legal_status.countries_with_all(as_of=AS_OF, instruments=two_instruments)) == []


def test_countries_with_all_and_with_at_most(two_instruments):
    first, second = two_instruments
    every, one, none_ = CountryFactory.create_batch(3)
    for instrument in two_instruments:
        RatificationFactory.create(country=every, instrument=instrument, deposit_date=D(2002, 1, 1))
    RatificationFactory.create(country=one, instrument=first, deposit_date=D(2002, 1, 1))
    mine = {every.pk, one.pk, none_.pk}

    def pks(queryset):
        return {c.pk for c in queryset if c.pk in mine}

    assert pks(legal_status.countries_with_all(as_of=AS_OF, instruments=two_instruments)) == {every.pk}
    assert pks(legal_status.countries_with_at_most(n=1, as_of=AS_OF, instruments=two_instruments)) == {
        one.pk,
        none_.pk,
    }
    assert (
        pks(legal_status.countries_with_at_most(n=0, as_of=D(2001, 1, 1), instruments=two_instruments))
        == mine
    )
    # A queryset of instruments works too, counted by the database.
    queryset = Instrument.objects.filter(pk__in=[first.pk, second.pk])
    assert pks(legal_status.countries_with_all(as_of=AS_OF, instruments=queryset)) == {every.pk}


def test_deposits_in_period_and_after_assistance(two_instruments):
    first, second = two_instruments
    assisted, other = CountryFactory.create_batch(2)
    before = ActivityFactory.create(start_date=D(2006, 3, 1), status=ActivityStatus.HELD)
    ActivityCountryFactory.create(activity=before, country=assisted, role=CountryRole.PARTICIPANT)
    planned = ActivityFactory.create(start_date=D(2006, 1, 1), status=ActivityStatus.PLANNED)
    ActivityCountryFactory.create(activity=planned, country=other, role=CountryRole.BENEFICIARY)
    on_day = RatificationFactory.create(country=assisted, instrument=first, deposit_date=D(2006, 3, 1))
    too_early = RatificationFactory.create(country=assisted, instrument=second, deposit_date=D(2006, 2, 28))
    unassisted = RatificationFactory.create(country=other, instrument=first, deposit_date=D(2006, 12, 31))
    start, end = D(2006, 1, 1), D(2006, 12, 31)
    in_period = legal_status.deposits_in_period(start=start, end=end, instruments=two_instruments)
    assert set(in_period) == {on_day, too_early, unassisted}
    after = legal_status.deposits_after_assistance(start=start, end=end, instruments=two_instruments)
    assert list(after) == [on_day]
    assert (
        list(legal_status.deposits_in_period(start=D(2007, 1, 1), end=D(2007, 12, 31), instruments=[first]))
        == []
    )


def test_coverage_of_the_first_12_in_the_shipped_data():
    result = legal_status.coverage()
    assert result == legal_status.Coverage(
        covered=5,
        total=12,
        complete=False,
        text="based on 5 of the first 12 instruments (status data to 2014)",
    )
    # After the UN-SG data ends only the CPPNM (IEADB) is covered.
    assert legal_status.coverage(as_of=D(2020, 1, 1)).covered == 1
    covered = Instrument.objects.filter(group=InstrumentGroup.FIRST_12).exclude(
        status_coverage=Coverage.MISSING
    )
    assert (
        legal_status.coverage(instruments=covered).text == "based on all 5 instruments (status data to 2014)"
    )


@pytest.mark.parametrize("extra_countries", [0, 30])
def test_queries_are_constant_whatever_the_number_of_countries(
    extra_countries, two_instruments, django_assert_num_queries
):
    for country in CountryFactory.create_batch(extra_countries):
        RatificationFactory.create(country=country, instrument=two_instruments[0])
    with django_assert_num_queries(1):
        legal_status.instrument_counts(as_of=AS_OF)
    with django_assert_num_queries(1):
        list(legal_status.countries_with_all(as_of=AS_OF))
    with django_assert_num_queries(1):
        list(legal_status.countries_with_at_most(n=6, as_of=AS_OF, instruments=two_instruments))
    with django_assert_num_queries(1):
        list(legal_status.deposits_after_assistance(start=D(2000, 1, 1), end=AS_OF))
    with django_assert_num_queries(1):
        legal_status.coverage(as_of=AS_OF)


# Shipped data: UN member states party to each covered instrument (deposit on or before the
# date; member admitted on or before it). Same figures with "strictly before": no deposit or
# admission falls on either date. Pinned in README "Legal status data".
SHIPPED_PARTIES = {
    "IPP_1973": (124, 164),
    "HOSTAGES_1979": (113, 158),
    "CPPNM_1980": (80, 121),
    "BOMBINGS_1997": (78, 149),
    "FINANCING_1999": (64, 155),
    "ICSANT_2005": (0, 11),
    "CPPNM_AMEND_2005": (0, 6),
}


@pytest.mark.parametrize(("code", "expected"), sorted(SHIPPED_PARTIES.items()))
def test_shipped_data_parties_per_instrument(code, expected):
    instrument = Instrument.objects.get(code=code)
    got = tuple(
        legal_status.countries_with_all(as_of=day, instruments=[instrument]).count()
        for day in (D(2003, 1, 1), D(2007, 1, 1))
    )
    assert got == expected


def test_shipped_data_bounds_on_the_reports_26_85_and_98_32():
    covered = Instrument.objects.filter(group=InstrumentGroup.FIRST_12).exclude(
        status_coverage=Coverage.MISSING
    )
    members = [len(legal_status.instrument_counts(as_of=day)) for day in (D(2003, 1, 1), D(2007, 1, 1))]
    assert members == [191, 192]
    # All 5 covered instruments: an upper bound on "all 12" (the report: 26 and 85).
    with_all_five = [
        legal_status.countries_with_all(as_of=day, instruments=covered).count()
        for day in (D(2003, 1, 1), D(2007, 1, 1))
    ]
    assert with_all_five == [38, 106]
    # Distribution of the number of the 5 covered instruments per member state.
    distribution_2003 = sorted(
        legal_status.instrument_counts(as_of=D(2003, 1, 1), instruments=covered).values()
    )
    assert [distribution_2003.count(k) for k in range(6)] == [44, 29, 27, 26, 27, 38]
    distribution_2007 = sorted(
        legal_status.instrument_counts(as_of=D(2007, 1, 1), instruments=covered).values()
    )
    assert [distribution_2007.count(k) for k in range(6)] == [15, 11, 10, 14, 36, 106]
