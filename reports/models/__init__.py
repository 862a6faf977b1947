"""Models of the reports app."""

from .indicators import (
    ComputationRun,
    IndicatorDefinition,
    IndicatorTarget,
    IndicatorValue,
    PublishedFigure,
)
from .reporting import Delivery, Report, ReportFile, ReportSchedule

__all__ = [
    "ComputationRun",
    "Delivery",
    "IndicatorDefinition",
    "IndicatorTarget",
    "IndicatorValue",
    "PublishedFigure",
    "Report",
    "ReportFile",
    "ReportSchedule",
]
