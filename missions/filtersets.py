"""Filters of the missions lists (API). Countries by ISO alpha-3 code, regions by code."""

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from tracker.api.filters import ApiFilterSet, IntegerFilter, codes

from .choices import ActivityKind, ActivityStatus, CountryRole, RegionKind
from .models import (
    ActionPlan,
    Activity,
    ActivityCountry,
    Country,
    FollowUpRequest,
    Instrument,
    LegislationEvent,
    OutcomeDocument,
    Participation,
    Ratification,
    Region,
    Tool,
)


def in_regions(prefix: str) -> Any:
    """A filter method: the country at ``prefix`` lies in any of the regions (codes) given."""

    def method(queryset: QuerySet[Any], name: str, value: list[str]) -> QuerySet[Any]:
        if not value:
            return queryset
        query = Q()
        for link in ("m49_region", "m49_subregion", "field_region"):
            query |= Q(**{f"{prefix}{link}__code__in": value})
        return queryset.filter(query).distinct()

    return method


class RegionFilterSet(ApiFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=RegionKind.choices, help_text="Kind of region.")
    parent = codes("parent__code", "Enclosing region codes, comma-separated.")

    class Meta:
        model = Region
        fields = ["kind", "parent"]


class CountryFilterSet(ApiFilterSet):
    iso3 = codes("iso3", "ISO alpha-3 codes, comma-separated.")
    region = codes("region", "Regions (codes) the country lies in, of any kind.", method=in_regions(""))
    is_un_member = django_filters.BooleanFilter(help_text="UN member states only (true) or others (false).")

    class Meta:
        model = Country
        fields = ["iso3", "region", "is_un_member"]


class InstrumentFilterSet(ApiFilterSet):
    group = django_filters.CharFilter(help_text="first_12, adopted_2005 or later.")

    class Meta:
        model = Instrument
        fields = ["group"]


class RatificationFilterSet(ApiFilterSet):
    country = codes("country__iso3", "Countries by ISO alpha-3 code, comma-separated.")
    region = codes("region", "Regions (codes) the country lies in.", method=in_regions("country__"))
    instrument = codes("instrument__code", "Instrument codes, comma-separated.")
    action = django_filters.CharFilter(
        help_text="ratification, accession, acceptance, approval or succession."
    )
    year = IntegerFilter(field_name="deposit_date__year", help_text="Year of deposit.")
    deposited_from = django_filters.DateFilter(
        field_name="deposit_date", lookup_expr="gte", help_text="Deposited on or after this date."
    )
    deposited_to = django_filters.DateFilter(
        field_name="deposit_date", lookup_expr="lte", help_text="Deposited on or before this date."
    )

    class Meta:
        model = Ratification
        fields = ["country", "region", "instrument", "action", "year"]


class LegislationEventFilterSet(ApiFilterSet):
    country = codes("country__iso3", "Countries by ISO alpha-3 code, comma-separated.")
    region = codes("region", "Regions (codes) the country lies in.", method=in_regions("country__"))
    instrument = codes("instruments__code", "Instrument codes, comma-separated.", distinct=True)
    kind = django_filters.CharFilter(help_text="incorporation, new_law, amendment or drafting.")
    year = IntegerFilter(field_name="date__year", help_text="Year of the event.")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", help_text="On or after.")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", help_text="On or before.")
    assisted_by_office = django_filters.BooleanFilter(help_text="Assisted by the office.")

    class Meta:
        model = LegislationEvent
        fields = ["country", "region", "instrument", "kind", "year", "assisted_by_office"]


def activity_changed_since(children: tuple[Any, ...]) -> Any:
    """updated_since for activities: the activity's own fields, or any of its nested rows
    (added, changed or removed, as their history records), changed since the date."""

    def method(queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        if value is None:
            return queryset
        query = Q(updated_at__gte=value)
        for child in children:
            changed = child.history.model.objects.filter(history_date__gte=value).values("activity_id")
            query |= Q(pk__in=changed)
        return queryset.filter(query)

    return method


class ActivityFilterSet(ApiFilterSet):
    # Nested parts (countries, participations, outcomes) count as changes of their activity.
    NESTED: tuple[Any, ...] = (ActivityCountry, Participation, OutcomeDocument)

    updated_since = django_filters.IsoDateTimeFilter(
        method="filter_updated_since",
        help_text=(
            "Only activities created or changed, including their nested countries, participants, "
            "outcomes and organisations, at or after this ISO 8601 date-time."
        ),
    )
    kind = django_filters.MultipleChoiceFilter(choices=ActivityKind.choices, help_text="Kind(s) of activity.")
    status = django_filters.MultipleChoiceFilter(choices=ActivityStatus.choices, help_text="Status(es).")
    country = codes(
        "country_roles__country__iso3", "Countries taking part (ISO alpha-3), comma-separated.", distinct=True
    )
    country_role = django_filters.ChoiceFilter(
        choices=CountryRole.choices,
        field_name="country_roles__role",
        distinct=True,
        help_text="With country: only where the country had this role.",
    )
    region = codes("region__code", "The office's field region (code), comma-separated.")
    host_country = codes("host_country__iso3", "Host country (ISO alpha-3).")
    year = IntegerFilter(field_name="start_date__year", help_text="Year the activity started.")
    start_from = django_filters.DateFilter(
        field_name="start_date", lookup_expr="gte", help_text="Started on or after this date."
    )
    start_to = django_filters.DateFilter(
        field_name="start_date", lookup_expr="lte", help_text="Started on or before this date."
    )
    reference = codes("reference", "Stable references, e.g. W-a,TR-1.")

    class Meta:
        model = Activity
        fields = ["kind", "status", "country", "region", "host_country", "year", "reference"]

    def filter_updated_since(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return activity_changed_since(self.NESTED)(queryset, name, value)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        data = self.form.cleaned_data
        country, role = data.pop("country", None), data.pop("country_role", None)
        queryset = super().filter_queryset(queryset)
        if country or role:
            # Both conditions on the same ActivityCountry row.
            lookup: dict[str, Any] = {}
            if country:
                lookup["country__iso3__in"] = country
            if role:
                lookup["role"] = role
            queryset = queryset.filter(pk__in=ActivityCountry.objects.filter(**lookup).values("activity"))
        return queryset


class ToolFilterSet(ApiFilterSet):
    status = django_filters.CharFilter(
        help_text="planned, in_preparation, in_development, completed or updated."
    )
    country = codes("countries__iso3", "Countries (ISO alpha-3), comma-separated.", distinct=True)
    kind = django_filters.CharFilter(lookup_expr="icontains", help_text="Kind contains, e.g. model law.")

    class Meta:
        model = Tool
        fields = ["status", "country", "kind"]


class ActionPlanFilterSet(ApiFilterSet):
    country = codes("country__iso3", "Countries (ISO alpha-3), comma-separated.")
    mission = IntegerFilter(field_name="mission_id", help_text="Id of the mission.")
    status = django_filters.CharFilter(help_text="drafted, adopted, in_implementation or completed.")
    year = IntegerFilter(field_name="mission__start_date__year", help_text="Year of the mission.")

    class Meta:
        model = ActionPlan
        fields = ["country", "mission", "status", "year"]


class FollowUpRequestFilterSet(ApiFilterSet):
    country = codes("country__iso3", "Countries (ISO alpha-3), comma-separated.")
    mission = IntegerFilter(field_name="mission_id", help_text="Id of the mission.")
    kind = django_filters.CharFilter(help_text="legislative_drafting, training or other.")
    status = django_filters.CharFilter(help_text="requested, in_progress, completed or declined.")
    year = IntegerFilter(field_name="requested_on__year", help_text="Year requested.")

    class Meta:
        model = FollowUpRequest
        fields = ["country", "mission", "kind", "status", "year"]
