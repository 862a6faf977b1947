"""As-of queries on the countries' legal status: pure reads, a constant number of SQL queries.

Counting rules (shared by every indicator; see README "Legal status data"):
- a deposit counts at ``as_of`` when ``deposit_date <= as_of`` (a deposit on the reference
  date itself counts); only rows with a deposit (an action) count, signatures never do;
- a succession counts like any other deposit (its date is the date of the notification);
- a country counts when it is a UN member at ``as_of`` (``un_admission_date <= as_of``).

``instruments`` is an iterable of Instrument objects or primary keys, or a QuerySet; None
means the first 12 (InstrumentGroup.FIRST_12).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from . import choices
from .choices import ActivityStatus, CountryRole, InstrumentGroup
from .models import ActivityCountry, Country, Instrument, Ratification

InstrumentsArg = Iterable[Instrument | int] | QuerySet[Instrument] | None


def _instrument_filter(instruments: InstrumentsArg, prefix: str = "") -> Q:
    if instruments is None:
        return Q(**{f"{prefix}instrument__group": InstrumentGroup.FIRST_12})
    if isinstance(instruments, QuerySet):
        return Q(**{f"{prefix}instrument__in": instruments.values("pk")})
    return Q(**{f"{prefix}instrument__in": [getattr(i, "pk", i) for i in instruments]})


def _instrument_total(instruments: InstrumentsArg) -> Any:
    """The number of instruments asked about, as a value or a subquery (no extra query)."""
    if instruments is None:
        instruments = Instrument.objects.filter(group=InstrumentGroup.FIRST_12)
    if isinstance(instruments, QuerySet):
        counted = instruments.order_by().values(n=Func(F("pk"), function="COUNT"))
        return Subquery(counted, output_field=IntegerField())
    return Value(len({getattr(i, "pk", i) for i in instruments}))


def _deposits(as_of: datetime.date, instruments: InstrumentsArg) -> QuerySet[Ratification]:
    return (
        Ratification.objects.filter(deposit_date__lte=as_of)
        .exclude(action="")
        .filter(_instrument_filter(instruments))
        .order_by()
    )


def _deposit_counts(as_of: datetime.date, instruments: InstrumentsArg) -> QuerySet[Any]:
    """(country, n) per country with at least one deposit, grouped on the ratification table
    only (one row per country and instrument is a database constraint, so n counts instruments)."""
    return _deposits(as_of, instruments).values("country").annotate(n=Count("pk"))


def instrument_counts(
    *,
    as_of: datetime.date,
    instruments: InstrumentsArg = None,
    countries: Iterable[Country | int] | QuerySet[Country] | None = None,
) -> dict[int, int]:
    """country_id -> how many of the instruments it had deposited by ``as_of``, for every UN
    member at ``as_of`` (0 included). One query."""
    queryset = Country.objects.un_members_at(as_of)
    if isinstance(countries, QuerySet):
        queryset = queryset.filter(pk__in=countries.values_list("pk", flat=True))
    elif countries is not None:
        queryset = queryset.filter(pk__in=[getattr(c, "pk", c) for c in countries])
    per_country = _deposit_counts(as_of, instruments).filter(country=OuterRef("pk")).values("n")
    rows = (
        queryset.order_by()
        .annotate(n=Coalesce(Subquery(per_country, output_field=IntegerField()), 0))
        .values_list("pk", "n")
    )
    return dict(rows)


def countries_with_all(*, as_of: datetime.date, instruments: InstrumentsArg = None) -> QuerySet[Country]:
    """UN members at ``as_of`` that had deposited every one of the instruments by then."""
    complete = _deposit_counts(as_of, instruments).filter(n=_instrument_total(instruments)).values("country")
    return Country.objects.un_members_at(as_of).filter(pk__in=complete)


def countries_with_at_most(
    *, n: int, as_of: datetime.date, instruments: InstrumentsArg = None
) -> QuerySet[Country]:
    """UN members at ``as_of`` that had deposited ``n`` or fewer of the instruments by then."""
    more = _deposit_counts(as_of, instruments).filter(n__gt=n).values("country")
    return Country.objects.un_members_at(as_of).exclude(pk__in=more)


def deposits_in_period(
    *, start: datetime.date, end: datetime.date, instruments: InstrumentsArg = None
) -> QuerySet[Ratification]:
    """Deposits with ``start <= deposit_date <= end`` (any participant, member or not)."""
    return (
        Ratification.objects.filter(deposit_date__gte=start, deposit_date__lte=end)
        .exclude(action="")
        .filter(_instrument_filter(instruments))
        .select_related("country", "instrument")
    )


def deposits_after_assistance(
    *,
    start: datetime.date,
    end: datetime.date,
    instruments: InstrumentsArg = None,
    activities: QuerySet[Any] | None = None,
) -> QuerySet[Ratification]:
    """Deposits in the period by countries that had, on or before the deposit date, a held
    activity in which they were a beneficiary or a participant.

    ``activities`` narrows the assistance that counts (the indicators' open audience passes
    the non-confidential activities, so a confidential one never shows through a deposit)."""
    assisted = ActivityCountry.objects.filter(
        country=OuterRef("country"),
        role__in=(CountryRole.BENEFICIARY, CountryRole.PARTICIPANT),
        activity__status=ActivityStatus.HELD,
        activity__start_date__lte=OuterRef("deposit_date"),
    )
    if activities is not None:
        assisted = assisted.filter(activity__in=activities.values("pk"))
    return deposits_in_period(start=start, end=end, instruments=instruments).filter(Exists(assisted))


@dataclass(frozen=True)
class Coverage:
    """How many of the instruments asked about have status data, and a caveat to print."""

    covered: int
    total: int
    complete: bool
    text: str


def coverage(*, instruments: InstrumentsArg = None, as_of: datetime.date | None = None) -> Coverage:
    """How much of the status data of the instruments we hold (one query).

    An instrument counts as covered when its status data is complete or partial and, for an
    ``as_of`` date, reaches that date (``status_covered_until >= as_of``)."""
    if instruments is None:
        queryset = Instrument.objects.filter(group=InstrumentGroup.FIRST_12)
        label = "the first 12 instruments"
    else:
        queryset = Instrument.objects.filter(pk__in=_pks(instruments))
        label = None
    rows = list(queryset.values_list("status_coverage", "status_covered_until"))
    total = len(rows)
    covered_rows = [
        (status, until)
        for status, until in rows
        if status != choices.Coverage.MISSING and (as_of is None or (until is not None and until >= as_of))
    ]
    covered = len(covered_rows)
    complete = covered == total and all(status == choices.Coverage.COMPLETE for status, _ in covered_rows)
    label = label or f"{total} instrument{'s' if total != 1 else ''}"
    text = f"based on all {label}" if complete else f"based on {covered} of {label}"
    dates = [until for _, until in covered_rows if until is not None]
    if dates:
        text += f" (status data to {min(dates).year})"
    return Coverage(covered=covered, total=total, complete=complete, text=text)


def _pks(instruments: Iterable[Instrument | int] | QuerySet[Instrument]) -> Any:
    if isinstance(instruments, QuerySet):
        return instruments.values("pk")
    return [getattr(i, "pk", i) for i in instruments]
