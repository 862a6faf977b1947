"""Computed indicator values, stored as snapshots upserted on indicator × period or date × scope.

Every value is computed for both audiences (``all``: confidential records counted; ``open``:
left out), each its own row. Recomputing with unchanged inputs writes nothing (no new history
row); a changed value or fingerprint updates the row and its history keeps the previous one,
so "what we reported on date X" can be reproduced and the difference shown. A whole refresh
runs in one transaction under a database lock, so a worker killed half-way leaves nothing
partial; each definition runs in its own savepoint, so one whose formula fails is rolled back
and reported in ``RefreshOutcome.failures`` while every other one is stored.
"""

import datetime
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from missions.models import Country, Region
from tracker.actors import Audience
from tracker.history import change_context

from ..choices import ScopeKind
from ..indicators import Scope, compute, formula_for
from ..models import IndicatorDefinition, IndicatorValue, PublishedFigure

Period = tuple[datetime.date, datetime.date]

# One key for every refresh: two refreshes never upsert the same natural key at once.
_LOCK_KEY = zlib.crc32(b"reports.indicator_refresh")

STANDARD_FIRST_YEAR = 2003  # launch of the Global Project (para 9)
AUDIENCES = (Audience.ALL, Audience.OPEN)


@dataclass(frozen=True)
class Failure:
    """A definition that could not be computed (its snapshots of this refresh were rolled back)."""

    definition: IndicatorDefinition
    error: str


@dataclass
class RefreshOutcome:
    values: list[IndicatorValue] = field(default_factory=list)
    written: int = 0
    changed: int = 0
    failures: list[Failure] = field(default_factory=list)

    def add(self, other: "RefreshOutcome") -> None:
        self.values += other.values
        self.written += other.written
        self.changed += other.changed
        self.failures += other.failures


def scope_from_key(key: str) -> Scope:
    """Parse "global", "region:<code>" or "country:<iso3>" (ValidationError names scope_key)."""
    if key == "global":
        return Scope.global_()
    kind, _, code = key.partition(":")
    if kind == ScopeKind.REGION and code:
        region = Region.objects.filter(code=code).first()
        if region is not None:
            return Scope.for_region(region)
    elif kind == ScopeKind.COUNTRY and code:
        country = Country.objects.filter(iso3=code).first()
        if country is not None:
            return Scope.for_country(country)
    raise ValidationError(
        {"scope_key": f"{key!r} is not global, region:<code> or country:<iso3> of a known one."}
    )


def standard_periods_and_dates(*, today: datetime.date) -> tuple[list[Period], list[datetime.date]]:
    """What the nightly refresh computes: each year since 2003 (the current one included), the
    cumulative period since January 2003, and 1 January of each year from 2003 to the next."""
    years = range(STANDARD_FIRST_YEAR, today.year + 1)
    periods = [(datetime.date(y, 1, 1), datetime.date(y, 12, 31)) for y in years]
    periods.append((datetime.date(STANDARD_FIRST_YEAR, 1, 1), datetime.date(today.year, 12, 31)))
    dates = [datetime.date(y, 1, 1) for y in range(STANDARD_FIRST_YEAR, today.year + 2)]
    return periods, dates


def _lock() -> None:
    """Serialise refreshes for the rest of the transaction (SQLite serialises writers itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _upsert(
    definition: IndicatorDefinition,
    scope: Scope,
    *,
    period: Period | None,
    as_of: datetime.date | None,
    outcome: RefreshOutcome,
) -> None:
    result = compute(definition, period=period, as_of=as_of, scope=scope)
    when_key = as_of.isoformat() if as_of else f"{period[0].isoformat()}..{period[1].isoformat()}"  # type: ignore[index]  # one of the two is set
    fields: dict[str, Any] = {
        "value": result.value.quantize(Decimal("0.01")),
        "breakdown": result.breakdown,
        "input_count": result.input_count,
        "input_fingerprint": result.fingerprint,
        "coverage": result.coverage[:300],
        "is_complete": result.is_complete,
        "formula_version": result.formula_version,
    }
    existing = (
        IndicatorValue.objects.select_for_update()
        .filter(indicator=definition, when_key=when_key, scope_key=scope.key, audience=scope.audience)
        .first()
    )
    if existing is None:
        snapshot = IndicatorValue(
            indicator=definition,
            when_key=when_key,
            scope_key=scope.key,
            audience=scope.audience,
            reference_date=as_of,
            period_start=period[0] if period else None,
            period_end=period[1] if period else None,
            scope_kind=scope.kind,
            scope_region_id=scope.region_id,
            scope_country_id=scope.country_id,
            computed_at=timezone.now(),
            **fields,
        )
        snapshot.save()
        outcome.written += 1
        outcome.values.append(snapshot)
        return
    differs = [name for name, value in fields.items() if getattr(existing, name) != value]
    if differs:
        if existing.value != fields["value"]:
            outcome.changed += 1
        for name in differs:
            setattr(existing, name, fields[name])
        existing.computed_at = timezone.now()
        existing.save()
        outcome.written += 1
    outcome.values.append(existing)


def refresh_outcome(
    *,
    codes: Iterable[str] | None = None,
    periods: Sequence[Period] = (),
    reference_dates: Sequence[datetime.date] = (),
    scope: Scope | None = None,
    audiences: Sequence[str] = AUDIENCES,
    actor: Any = None,
    reason: str = "indicator refresh",
) -> RefreshOutcome:
    """Compute every active definition (or those named) for the periods and dates that suit it,
    for each audience. A definition that fails is rolled back alone and listed in ``failures``."""
    scope = scope or Scope.global_()
    definitions = IndicatorDefinition.objects.filter(is_active=True)
    if codes is not None:
        wanted = sorted(set(codes))
        definitions = IndicatorDefinition.objects.filter(code__in=wanted)
        missing = set(wanted) - set(definitions.values_list("code", flat=True))
        if missing:
            raise ValidationError({"codes": f"Unknown indicator code(s): {', '.join(sorted(missing))}."})
    outcome = RefreshOutcome()
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        _lock()
        for definition in definitions.order_by("display_order", "code"):
            one = RefreshOutcome()
            try:
                with transaction.atomic():  # a savepoint: a failing formula leaves nothing behind
                    _refresh_one(definition, scope, audiences, periods, reference_dates, one)
            except (OperationalError, InterfaceError):
                raise  # the database, not the formula: the whole refresh is retried
            except Exception as exc:  # noqa: BLE001 -- recorded as this definition's failure; the others go on
                outcome.failures.append(Failure(definition, f"{type(exc).__name__}: {exc}"[:2000]))
                continue
            outcome.add(one)
    return outcome


def _refresh_one(
    definition: IndicatorDefinition,
    scope: Scope,
    audiences: Sequence[str],
    periods: Sequence[Period],
    reference_dates: Sequence[datetime.date],
    outcome: RefreshOutcome,
) -> None:
    stock = formula_for(definition).takes_reference_date
    for audience in audiences:
        scoped = scope.with_audience(audience)
        if stock:
            for as_of in reference_dates:
                _upsert(definition, scoped, period=None, as_of=as_of, outcome=outcome)
        else:
            for period in periods:
                _upsert(definition, scoped, period=period, as_of=None, outcome=outcome)


def refresh(
    *,
    codes: Iterable[str] | None = None,
    periods: Sequence[Period] = (),
    reference_dates: Sequence[datetime.date] = (),
    scope: Scope | None = None,
    audiences: Sequence[str] = AUDIENCES,
    actor: Any = None,
) -> list[IndicatorValue]:
    """Compute and upsert the snapshots; returns them (unchanged ones included)."""
    return refresh_outcome(
        codes=codes,
        periods=periods,
        reference_dates=reference_dates,
        scope=scope,
        audiences=audiences,
        actor=actor,
    ).values


def previous_value(snapshot: IndicatorValue) -> Decimal | None:
    """The value this snapshot had before its latest change (from its history), if any."""
    earlier = snapshot.history.exclude(value=snapshot.value).order_by("-history_date").first()  # type: ignore[attr-defined]  # django-simple-history
    return earlier.value if earlier is not None else None


# The 2006 report covers 2006: a figure it gives "to date" or "since" a start is read to the
# end of 2006 (its own period end), the latest point its data can speak for.
REPORT_PERIOD_END = {"E/CN.15/2007/9": datetime.date(2006, 12, 31)}
CUMULATIVE_START = datetime.date(STANDARD_FIRST_YEAR, 1, 1)
EARLIEST_RECORD = datetime.date(1950, 1, 1)  # the earliest year a contribution may carry


def comparable_when_key(figure: Any, *, takes_reference_date: bool) -> tuple[str | None, str]:
    """The snapshot key a published figure is compared with, and how it was chosen.

    Stated period or date -> that key. Open-ended or undated -> the cumulative period from
    its start (or January 2003, the Global Project's launch) to the end of the report's period.
    A stock figure without a date has nothing to compare with."""
    if figure.reference_date is not None:
        return figure.reference_date.isoformat(), "as published"
    if figure.period_start is not None and figure.period_end is not None:
        return f"{figure.period_start.isoformat()}..{figure.period_end.isoformat()}", "as published"
    if figure.period_end is not None and not takes_reference_date:
        return (
            f"{EARLIEST_RECORD.isoformat()}..{figure.period_end.isoformat()}",
            "no start in the report: every recorded year to its end date",
        )
    end = REPORT_PERIOD_END.get(figure.document_symbol)
    if takes_reference_date or end is None:
        return None, "the published figure has no date to compare at"
    start = figure.period_start or CUMULATIVE_START
    how = (
        "open-ended in the report: read to the end of its period"
        if figure.period_start
        else ("no period in the report: read as since January 2003 to the end of its period")
    )
    return f"{start.isoformat()}..{end.isoformat()}", how


def published_periods_and_dates() -> tuple[list[Period], list[datetime.date]]:
    """The periods and dates the linked published figures are compared at (one query), so that
    the standard refresh computes every value the admin compares with a published figure."""
    periods: set[Period] = set()
    dates: set[datetime.date] = set()
    for figure in PublishedFigure.objects.filter(indicator__isnull=False).select_related("indicator"):
        assert figure.indicator is not None  # noqa: S101 -- filtered above
        key, _how = comparable_when_key(
            figure, takes_reference_date=bool(figure.indicator.takes_reference_date)
        )
        if key is None:
            continue
        if ".." in key:
            start, end = key.split("..")
            periods.add((datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)))
        else:
            dates.add(datetime.date.fromisoformat(key))
    return sorted(periods), sorted(dates)
