"""A small two-region world for the reporting tests (SQLite and PostgreSQL)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from missions.choices import ActivityKind, CountryRole, DatePrecision, InstrumentGroup, RegionKind
from missions.models import Activity, Country, Instrument, Region
from partners.choices import ContributionKind, DonorKind
from tests.factories import (
    ActivityCountryFactory,
    ActivityFactory,
    ActivityOrganisationFactory,
    ContributionFactory,
    CountryFactory,
    DonorFactory,
    InstrumentFactory,
    OrganisationFactory,
    RatificationFactory,
    RegionFactory,
)


@dataclass
class World:
    region_a: Region
    region_b: Region
    a1: Country
    a2: Country
    b1: Country
    workshop: Activity


def build_world() -> World:
    region_a = RegionFactory.create(code="FIELD-TA", name="Alpha field region", kind=RegionKind.FIELD)
    region_b = RegionFactory.create(code="FIELD-TB", name="Beta field region", kind=RegionKind.FIELD)
    a1 = CountryFactory.create(name_en="Alphaland", name_zh="阿尔法国", name_ar="ألفا", field_region=region_a)
    a2 = CountryFactory.create(
        name_en="Alphastan", name_zh="阿尔法斯坦", name_ar="ألفستان", field_region=region_a
    )
    b1 = CountryFactory.create(name_en="Betaland", name_zh="贝塔国", name_ar="بيتا", field_region=region_b)
    mission = ActivityFactory.create(
        kind=ActivityKind.MISSION,
        title="Mission to Alphaland",
        start_date=datetime.date(2006, 3, 6),
        region=region_a,
    )
    ActivityCountryFactory.create(activity=mission, country=a1, role=CountryRole.BENEFICIARY)
    direct = ActivityFactory.create(
        kind=ActivityKind.DIRECT_ASSISTANCE,
        title="Direct assistance to Alphastan",
        start_date=datetime.date(2006, 1, 1),
        end_date=None,
        date_precision=DatePrecision.YEAR,
    )
    ActivityCountryFactory.create(activity=direct, country=a2, role=CountryRole.BENEFICIARY)
    beta = ActivityFactory.create(
        kind=ActivityKind.VIDEO_CONFERENCE,
        title="Video conference with Betaland",
        start_date=datetime.date(2006, 7, 3),
        region=region_b,
    )
    ActivityCountryFactory.create(activity=beta, country=b1, role=CountryRole.BENEFICIARY)
    workshop = ActivityFactory.create(
        kind=ActivityKind.WORKSHOP,
        reference="W-t",
        title="Alpha subregional workshop",
        start_date=datetime.date(2006, 5, 8),
        end_date=datetime.date(2006, 5, 12),
        city="Alpha City",
        host_country=a1,
        region=region_a,
        participant_count=40,
    )
    for country in (a1, a2):
        ActivityCountryFactory.create(activity=workshop, country=country, role=CountryRole.PARTICIPANT)
    ActivityOrganisationFactory.create(
        activity=workshop, organisation=OrganisationFactory.create(name_en="Alpha Union", acronym="AU-T")
    )
    beta_workshop = ActivityFactory.create(
        kind=ActivityKind.WORKSHOP,
        reference="W-u",
        title="Beta regional workshop",
        start_date=datetime.date(2006, 9, 4),
        region=region_b,
        host_country=b1,
        participant_count=25,
    )
    ActivityCountryFactory.create(activity=beta_workshop, country=b1, role=CountryRole.PARTICIPANT)
    # a1 is party to all 12 of the first instruments from 2005; b1 to one of them.
    instruments = list(Instrument.objects.filter(group=InstrumentGroup.FIRST_12))
    instruments += [
        InstrumentFactory.create(group=InstrumentGroup.FIRST_12, adoption_date=datetime.date(1970, 1, 1))
        for _ in range(12 - len(instruments))
    ]
    for instrument in instruments:
        RatificationFactory.create(country=a1, instrument=instrument, deposit_date=datetime.date(2005, 6, 1))
    RatificationFactory.create(country=b1, instrument=instruments[0], deposit_date=datetime.date(2006, 2, 1))
    donor = DonorFactory.create(name="Gammaland", kind=DonorKind.STATE)
    ContributionFactory.create(
        donor=donor, kind=ContributionKind.PAID_OR_PLEDGED, amount=Decimal("250000.00"), year=2006
    )
    ContributionFactory.create(
        donor=donor, kind=ContributionKind.PAID_OR_PLEDGED, amount=Decimal("50000.00"), year=2005
    )
    return World(region_a, region_b, a1, a2, b1, workshop)
