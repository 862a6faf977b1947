"""Loads the indicator definitions and the report's published figures, idempotently.

Sources: fixtures/indicators/definitions.csv and figure_links.csv (ours, see their
PROVENANCE.md) and fixtures/report_2006/impact_figures.csv (the report's own figures).
"""

import calendar
import csv
import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from tracker.history import change_context

from ..choices import Exactness
from ..models import IndicatorDefinition, PublishedFigure

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DEFINITIONS_CSV = FIXTURES / "indicators" / "definitions.csv"
LINKS_CSV = FIXTURES / "indicators" / "figure_links.csv"
FIGURES_CSV = FIXTURES / "report_2006" / "impact_figures.csv"

_EXACTNESS = {
    "exact": Exactness.EXACT,
    "more than": Exactness.MORE_THAN,
    "at least": Exactness.AT_LEAST,
    "about": Exactness.ABOUT,
    "estimated": Exactness.ESTIMATED,
    "derived": Exactness.DERIVED,
}
REPORT_DATE = "report date"
REPORT_DATE_NOTE = (
    "Reference date: the report's own date, which the source does not print, so none is stored."
)


@dataclass(frozen=True)
class _Date:
    """A printed date and how precise it is ("2003-01" is a month, "2006-10-30" a day)."""

    first: datetime.date
    last: datetime.date


def _parse_date(value: str, *, field: str, row: str) -> _Date | None:
    value = value.strip()
    if not value or value == REPORT_DATE:
        return None
    try:
        if len(value) == 7:  # month precision: YYYY-MM
            year, month = int(value[:4]), int(value[5:7])
            last_day = calendar.monthrange(year, month)[1]
            return _Date(datetime.date(year, month, 1), datetime.date(year, month, last_day))
        day = datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError({field: f"{row}: {value!r} is not a date (YYYY-MM or YYYY-MM-DD)."}) from exc
    return _Date(day, day)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _save_if_changed(model: type[Any], lookup: dict[str, Any], values: dict[str, Any]) -> str:
    """Create, update (only the changed fields) or leave alone; returns what happened."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        return "created"
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        return "unchanged"
    for name in changed:
        setattr(obj, name, values[name])
    obj.full_clean()
    obj.save()
    return "updated"


def _definition_values(row: dict[str, str]) -> dict[str, Any]:
    baseline = row["baseline_value"].strip()
    baseline_date = row["baseline_date"].strip()
    return {
        "name": row["name"],
        "description": row["description"],
        "unit": row["unit"],
        "source_paragraph": row["source_paragraph"],
        "baseline_value": Decimal(baseline) if baseline else None,
        "baseline_date": datetime.date.fromisoformat(baseline_date) if baseline_date else None,
        "display_order": int(row["display_order"]),
    }


def _figure_values(row: dict[str, str], indicator: IndicatorDefinition | None) -> dict[str, Any]:
    fid = row["figure_id"]
    qualifier = row["qualifier"].strip()
    if qualifier not in _EXACTNESS:
        raise ValidationError({"qualifier": f"{fid}: unknown qualifier {qualifier!r}."})
    start = _parse_date(row["period_start"], field="period_start", row=fid)
    end = _parse_date(row["period_end"], field="period_end", row=fid)
    ref = _parse_date(row["reference_date"], field="reference_date", row=fid)
    notes = [row["notes"].strip()] if row["notes"].strip() else []
    if row["reference_date"].strip() == REPORT_DATE:
        notes.append(REPORT_DATE_NOTE)
    if row["zh_qualifier_as_printed"].strip():
        notes.append(f"Qualifier as printed: {row['zh_qualifier_as_printed'].strip()}")
    return {
        "indicator": indicator,
        "meaning": row["indicator_meaning"],
        "value": Decimal(row["value"]),
        "unit": row["unit"],
        "exactness": _EXACTNESS[qualifier],
        # A period runs from the first day of its first month to the last day of its last.
        "period_start": start.first if start else None,
        "period_end": end.last if end else None,
        # A month-precision reference date ("January 2007") is read as its first day.
        "reference_date": ref.first if ref else None,
        "document_symbol": "E/CN.15/2007/9",
        "paragraph": row["source_para"],
        "notes": "\n".join(notes),
    }


def load_published_figures() -> str:
    """Create the indicator definitions and load the report's figures; running twice changes nothing.

    Existing definitions are left as officers edited them; published figures follow the fixture.
    """
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    definitions_created = 0
    with transaction.atomic(), change_context(actor=None, reason="load_published_figures"):
        by_code: dict[str, IndicatorDefinition] = {}
        for row in _read(DEFINITIONS_CSV):
            definition = IndicatorDefinition.objects.filter(code=row["code"]).first()
            if definition is None:
                definition = IndicatorDefinition(code=row["code"], **_definition_values(row))
                definition.full_clean()
                definition.save()
                definitions_created += 1
            by_code[definition.code] = definition
        links = {row["figure_id"]: row["indicator_code"] for row in _read(LINKS_CSV)}
        for fid, code in links.items():
            if code not in by_code:
                raise ValidationError({"indicator_code": f"{fid}: no indicator definition {code!r}."})
        for row in _read(FIGURES_CSV):
            fid = row["figure_id"]
            indicator = by_code.get(links[fid]) if fid in links else None
            outcome = _save_if_changed(PublishedFigure, {"figure_id": fid}, _figure_values(row, indicator))
            counts[outcome] += 1
    return (
        f"{definitions_created} indicator definitions created "
        f"({len(by_code) - definitions_created} already present); published figures: "
        f"{counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged"
    )
