"""Filters of the partners lists (API)."""

import django_filters

from missions.filtersets import ActivityFilterSet as MissionsActivityFilterSet
from tracker.api.filters import ApiFilterSet, IntegerFilter, codes

from .choices import ContributionKind, OrganisationKind
from .models import (
    ActivityOrganisation,
    Contribution,
    Donor,
    Organisation,
    Partnership,
    RegularBudgetAllocation,
)


class ActivityFilterSet(MissionsActivityFilterSet):
    """The activity filters, with organisation roles among the nested parts and an organisation filter."""

    NESTED = (*MissionsActivityFilterSet.NESTED, ActivityOrganisation)

    organisation = codes(
        "organisation_roles__organisation__code",
        "Organisations taking part (codes), comma-separated.",
        distinct=True,
    )

    class Meta(MissionsActivityFilterSet.Meta):
        fields = [*MissionsActivityFilterSet.Meta.fields, "organisation"]


class OrganisationFilterSet(ApiFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=OrganisationKind.choices, help_text="Kind(s).")
    code = codes("code", "Organisation codes, comma-separated.")
    country = codes("country__iso3", "Country (ISO alpha-3) of a government body.")
    parent = codes("parent__code", "Parent organisation codes.")

    class Meta:
        model = Organisation
        fields = ["kind", "code", "country", "parent"]


class PartnershipFilterSet(ApiFilterSet):
    organisation = codes("organisation__code", "Organisation codes, comma-separated.")
    kind = django_filters.CharFilter(
        help_text="mou, exchange_of_letters, formal_agreement or working_arrangement."
    )
    year = IntegerFilter(field_name="took_effect_on__year", help_text="Year it took effect.")
    from_date = django_filters.DateFilter(
        field_name="took_effect_on", lookup_expr="gte", help_text="Took effect on or after."
    )
    to_date = django_filters.DateFilter(
        field_name="took_effect_on", lookup_expr="lte", help_text="Took effect on or before."
    )

    class Meta:
        model = Partnership
        fields = ["organisation", "kind", "year"]


class DonorFilterSet(ApiFilterSet):
    kind = django_filters.CharFilter(help_text="state or organisation.")
    country = codes("country__iso3", "Country (ISO alpha-3) of a State donor.")

    class Meta:
        model = Donor
        fields = ["kind", "country"]


class ContributionFilterSet(ApiFilterSet):
    donor = codes("donor__name", "Donor names, comma-separated.")
    country = codes("donor__country__iso3", "Country (ISO alpha-3) of a State donor.")
    kind = django_filters.MultipleChoiceFilter(choices=ContributionKind.choices, help_text="Kind(s).")
    year = IntegerFilter(help_text="The year the contribution counts for.")
    year_from = IntegerFilter(field_name="year", lookup_expr="gte", help_text="From this year.")
    year_to = IntegerFilter(field_name="year", lookup_expr="lte", help_text="Up to this year.")
    currency = django_filters.CharFilter(help_text="ISO 4217 code.")

    class Meta:
        model = Contribution
        fields = ["donor", "country", "kind", "year", "currency"]


class RegularBudgetAllocationFilterSet(ApiFilterSet):
    year_from = IntegerFilter(field_name="year", lookup_expr="gte", help_text="From this year.")
    year_to = IntegerFilter(field_name="year", lookup_expr="lte", help_text="Up to this year.")

    class Meta:
        model = RegularBudgetAllocation
        fields = ["year"]
