"""Filters of the reports lists (API)."""

import django_filters

from tracker.api.filters import ApiFilterSet, IntegerFilter, codes

from .choices import RunStatus, ScopeKind
from .models import IndicatorDefinition, IndicatorValue, PublishedFigure, Report, ReportSchedule


class IndicatorDefinitionFilterSet(ApiFilterSet):
    code = codes("code", "Indicator codes, comma-separated.")
    is_active = django_filters.BooleanFilter(help_text="Active indicators only (true).")

    class Meta:
        model = IndicatorDefinition
        fields = ["code", "is_active"]


class IndicatorValueFilterSet(ApiFilterSet):
    indicator = codes("indicator__code", "Indicator codes, comma-separated.")
    scope_kind = django_filters.ChoiceFilter(
        choices=ScopeKind.choices, help_text="global, region or country."
    )
    country = codes("scope_country__iso3", "Country of country-scoped values (ISO alpha-3).")
    region = codes("scope_region__code", "Region of region-scoped values (code).")
    year = IntegerFilter(field_name="period_start__year", help_text="Year the period starts.")
    reference_date = django_filters.DateFilter(help_text="Reference date of stock indicators.")
    period_from = django_filters.DateFilter(
        field_name="period_start", lookup_expr="gte", help_text="Periods starting on or after."
    )
    period_to = django_filters.DateFilter(
        field_name="period_end", lookup_expr="lte", help_text="Periods ending on or before."
    )

    class Meta:
        model = IndicatorValue
        fields = ["indicator", "scope_kind", "country", "region", "year", "reference_date"]


class PublishedFigureFilterSet(ApiFilterSet):
    indicator = codes("indicator__code", "Indicator codes, comma-separated.")
    paragraph = django_filters.CharFilter(help_text="Paragraph of the report, e.g. 29.")

    class Meta:
        model = PublishedFigure
        fields = ["indicator", "paragraph"]


class ReportScheduleFilterSet(ApiFilterSet):
    is_active = django_filters.BooleanFilter(help_text="Active schedules only (true).")
    frequency = django_filters.CharFilter(help_text="monthly, quarterly, yearly or cron.")

    class Meta:
        model = ReportSchedule
        fields = ["is_active", "frequency"]


class ReportFilterSet(ApiFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=RunStatus.choices, help_text="Status(es).")
    schedule = IntegerFilter(field_name="schedule_id", help_text="Id of the schedule.")
    year = IntegerFilter(field_name="period_start__year", help_text="Year the period starts.")
    created_from = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after."
    )
    created_to = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lte", help_text="Created at or before."
    )

    class Meta:
        model = Report
        fields = ["status", "schedule", "year"]
