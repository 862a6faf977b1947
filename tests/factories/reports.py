import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from reports import choices
from reports.models import IndicatorDefinition, IndicatorValue, Report, ReportSchedule

__all__ = [
    "IndicatorDefinitionFactory",
    "IndicatorValueFactory",
    "ReportFactory",
    "ReportScheduleFactory",
]


class IndicatorDefinitionFactory(DjangoModelFactory[IndicatorDefinition]):
    class Meta:
        model = IndicatorDefinition
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TEST-IND-{n}")
    name = factory.Sequence(lambda n: f"Test indicator {n}")
    unit = "countries"


class IndicatorValueFactory(DjangoModelFactory[IndicatorValue]):
    class Meta:
        model = IndicatorValue

    indicator = factory.SubFactory(IndicatorDefinitionFactory)
    reference_date = datetime.date(2007, 1, 1)
    when_key = "2007-01-01"
    scope_key = "global"
    value = 1
    input_fingerprint = "0" * 64
    formula_version = 1
    computed_at = factory.LazyFunction(timezone.now)


class ReportScheduleFactory(DjangoModelFactory[ReportSchedule]):
    class Meta:
        model = ReportSchedule

    name = factory.Sequence(lambda n: f"Schedule {n}")
    frequency = choices.Frequency.YEARLY
    formats = ["pdf", "xlsx", "html"]
    next_run_at = factory.LazyFunction(timezone.now)


class ReportFactory(DjangoModelFactory[Report]):
    class Meta:
        model = Report

    title = factory.Sequence(lambda n: f"Report {n}")
    period_start = datetime.date(2006, 1, 1)
    period_end = datetime.date(2006, 12, 31)
    formats = ["html"]
