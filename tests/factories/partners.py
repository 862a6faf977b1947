import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from partners import choices
from partners.models import (
    ActivityOrganisation,
    Contribution,
    Donor,
    Organisation,
    Partnership,
    RegularBudgetAllocation,
)

from .missions import ActivityFactory, CountryFactory

__all__ = [
    "ActivityOrganisationFactory",
    "ContributionFactory",
    "DonorFactory",
    "OrganisationFactory",
    "PartnershipFactory",
    "RegularBudgetAllocationFactory",
]


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"ORG-TEST-{n}")
    name_en = factory.Sequence(lambda n: f"Test Organisation {n}")
    acronym = factory.Sequence(lambda n: f"TO{n}")
    kind = choices.OrganisationKind.REGIONAL


class PartnershipFactory(DjangoModelFactory[Partnership]):
    class Meta:
        model = Partnership

    organisation = factory.SubFactory(OrganisationFactory)
    kind = choices.PartnershipKind.MOU
    took_effect_on = datetime.date(2006, 9, 1)


class ActivityOrganisationFactory(DjangoModelFactory[ActivityOrganisation]):
    class Meta:
        model = ActivityOrganisation

    activity = factory.SubFactory(ActivityFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = choices.OrganisationRole.CO_ORGANISER


class DonorFactory(DjangoModelFactory[Donor]):
    class Meta:
        model = Donor

    name = factory.Sequence(lambda n: f"Donor {n}")
    kind = choices.DonorKind.STATE
    country = factory.SubFactory(CountryFactory)


class ContributionFactory(DjangoModelFactory[Contribution]):
    class Meta:
        model = Contribution

    donor = factory.SubFactory(DonorFactory)
    kind = choices.ContributionKind.PLEDGE
    amount = Decimal("100000.00")
    currency = "USD"
    year = 2006


class RegularBudgetAllocationFactory(DjangoModelFactory[RegularBudgetAllocation]):
    class Meta:
        model = RegularBudgetAllocation

    year = factory.Sequence(lambda n: 2003 + n)
    amount = Decimal("1000000.00")
