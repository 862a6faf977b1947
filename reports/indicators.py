"""Indicator formulas: pure reads of the records, one function per definition code.

``compute(definition, period=..., as_of=..., scope=...)`` returns the value with its breakdown,
the number of input records, a fingerprint of those inputs and the coverage of the data they
come from. The scope carries the audience: for ``open`` every formula that reads activities
(directly, through their countries or participations, or through the deposits that followed
assistance) leaves confidential activities out. Tools are not linked to activities and
legislation events are reference data every reader sees (only their link to a hidden activity
is masked, ``missions.visibility.shown_id``), so both count the same for both audiences: an
indicator agrees with the list its reader is shown.

Every formula aggregates in SQL: its queries group by country, kind, region, year or donor
(bounded by the reference data, never by the number of activities), so the number of queries
is constant and nothing is loaded row by row. Nothing here reads the clock.

The fingerprint hashes SQL aggregates of the inputs: their count, the sum of their ids, the
latest ``updated_at`` and the latest history id of their rows. Any insert, delete or audited
change of an input changes it; recomputing with unchanged data gives the same fingerprint.
"""

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, Max, Model, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from missions.choices import (
    DIRECT_ASSISTANCE_KINDS,
    ActivityKind,
    CountryRole,
    InstrumentGroup,
    LegislationKind,
    ToolStatus,
)
from missions.models import (
    ActivityCountry,
    Country,
    LegislationEvent,
    Participation,
    Ratification,
    Tool,
)
from partners.choices import ContributionKind, DonorKind
from partners.models import Contribution

from .choices import ScopeKind
from .models import IndicatorDefinition
from .scope import Scope

NO_REGION = "(no region)"
ASSISTED_ROLES = (CountryRole.BENEFICIARY, CountryRole.PARTICIPANT)
# The workshops, meetings and training courses of the reports (para 21 and the training courses).
EVENT_KINDS = (ActivityKind.WORKSHOP, ActivityKind.TRAINING_COURSE, ActivityKind.MINISTERIAL_MEETING)


# --- Arguments and result -----------------------------------------------------------------
@dataclass(frozen=True)
class When:
    """A period (both ends inclusive) or a reference date, never both."""

    start: datetime.date | None = None
    end: datetime.date | None = None
    as_of: datetime.date | None = None

    @property
    def key(self) -> str:
        if self.as_of is not None:
            return self.as_of.isoformat()
        assert self.start is not None  # noqa: S101 -- compute() checks the period
        assert self.end is not None  # noqa: S101 -- compute() checks the period
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def period(self) -> tuple[datetime.date, datetime.date]:
        assert self.start is not None  # noqa: S101 -- compute() checks the period
        assert self.end is not None  # noqa: S101 -- compute() checks the period
        return self.start, self.end


@dataclass
class IndicatorResult:
    value: Decimal
    breakdown: dict[str, Any] = field(default_factory=dict)
    input_count: int = 0
    fingerprint: str = ""
    coverage: str = ""
    is_complete: bool = True
    formula_version: int = 1


class Formula(NamedTuple):
    function: Callable[[When, Scope], IndicatorResult]
    version: int
    takes_reference_date: bool


# --- Shared pieces ------------------------------------------------------------------------
def _digest(*parts: Any) -> str:
    text = "|".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()


def _latest_history_id(model: type[Model], rows: QuerySet[Any]) -> int | None:
    """The latest history id of the given rows (one query; rows stays a subquery)."""
    history_model = model.history.model  # type: ignore[attr-defined]  # django-simple-history
    result = history_model.objects.filter(id__in=rows.values("pk")).aggregate(h=Max("history_id"))
    return result["h"]  # type: ignore[no-any-return]


def _fold(rows: Iterable[Mapping[str, Any]]) -> tuple[int, int, Any]:
    """Total count, id sum and latest version over grouped rows (the groups partition the inputs)."""
    count = id_sum = 0
    latest: Any = None
    for row in rows:
        count += row["n"]
        id_sum += row["s"] or 0
        if row.get("v") is not None and (latest is None or row["v"] > latest):
            latest = row["v"]
    return count, id_sum, latest


def _region_name(row: Mapping[str, Any], key: str) -> str:
    return row[key] or NO_REGION


def _counts(pairs: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Distinct second items per first item, sorted by key."""
    sets: dict[str, set[str]] = defaultdict(set)
    for key, item in pairs:
        sets[key].add(item)
    return {key: len(sets[key]) for key in sorted(sets)}


_COUNTRY_FIELDS = ("iso3", "name_en", "field_region__name", "m49_region__name")


def _country_breakdown(per_country: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """per_country maps iso3 -> {name, field_region, m49_region, ...}; returns region and country lists."""
    return {
        "per_field_region": _counts((c["field_region"], iso3) for iso3, c in per_country.items()),
        "per_m49_region": _counts((c["m49_region"], iso3) for iso3, c in per_country.items()),
        "per_country": {iso3: per_country[iso3] for iso3 in sorted(per_country)},
    }


# --- Formulas -----------------------------------------------------------------------------
def _countries_in_activities(
    when: When, scope: Scope, *, kinds: Iterable[str] | None, roles: Iterable[str]
) -> IndicatorResult:
    start, end = when.period
    held = scope.audience_activities().held().in_period(start, end)
    rows_qs = ActivityCountry.objects.filter(
        scope.country_q("country"),
        activity__in=held.values("pk"),
        role__in=list(roles),
    )
    if kinds is not None:
        rows_qs = rows_qs.filter(activity__kind__in=list(kinds))
    grouped = list(
        rows_qs.values(
            "country__iso3",
            "country__name_en",
            "country__field_region__name",
            "country__m49_region__name",
            "activity__kind",
            "role",
        )
        .annotate(
            n=Count("pk"), s=Sum("pk"), v=Max("activity__updated_at"), a=Count("activity", distinct=True)
        )
        .order_by()
    )
    per_country: dict[str, dict[str, Any]] = {}
    for row in grouped:
        entry = per_country.setdefault(
            row["country__iso3"],
            {
                "name": row["country__name_en"],
                "field_region": _region_name(row, "country__field_region__name"),
                "m49_region": _region_name(row, "country__m49_region__name"),
                "activities": 0,
                "kinds": [],
            },
        )
        entry["activities"] += row["a"]
        if row["activity__kind"] not in entry["kinds"]:
            entry["kinds"] = sorted([*entry["kinds"], row["activity__kind"]])
    count, id_sum, latest = _fold(grouped)
    history = _latest_history_id(ActivityCountry, rows_qs)
    breakdown = {
        "per_kind": _counts((r["activity__kind"], r["country__iso3"]) for r in grouped),
        "per_role": _counts((r["role"], r["country__iso3"]) for r in grouped),
        **_country_breakdown(per_country),
    }
    return IndicatorResult(
        value=Decimal(len(per_country)),
        breakdown=breakdown,
        input_count=count,
        fingerprint=_digest(count, id_sum, latest, history),
        coverage=(
            "Countries listed on activities recorded as held "
            "(countries only counted, not listed, are not included)."
        ),
    )


def countries_assisted(when: When, scope: Scope) -> IndicatorResult:
    return _countries_in_activities(when, scope, kinds=None, roles=ASSISTED_ROLES)


def countries_directly_assisted(when: When, scope: Scope) -> IndicatorResult:
    return _countries_in_activities(
        when, scope, kinds=DIRECT_ASSISTANCE_KINDS, roles=(CountryRole.BENEFICIARY,)
    )


def workshop_countries(when: When, scope: Scope) -> IndicatorResult:
    return _countries_in_activities(when, scope, kinds=(ActivityKind.WORKSHOP,), roles=ASSISTED_ROLES)


def workshops_held(when: When, scope: Scope) -> IndicatorResult:
    start, end = when.period
    rows_qs = scope.activities().held().filter(kind=ActivityKind.WORKSHOP).in_period(start, end)
    grouped = list(
        rows_qs.values("region__name", "level")
        .annotate(n=Count("pk"), s=Sum("pk"), v=Max("updated_at"), stated=Sum("stated_country_count"))
        .order_by()
    )
    count, id_sum, latest = _fold(grouped)
    per_region: dict[str, int] = defaultdict(int)
    per_level: dict[str, int] = defaultdict(int)
    for row in grouped:
        per_region[_region_name(row, "region__name")] += row["n"]
        per_level[row["level"]] += row["n"]
    return IndicatorResult(
        value=Decimal(count),
        breakdown={
            "per_region": dict(sorted(per_region.items())),
            "per_level": dict(sorted(per_level.items())),
            "stated_country_count_sum": sum(row["stated"] or 0 for row in grouped),
        },
        input_count=count,
        fingerprint=_digest(count, id_sum, latest),
        coverage="Workshops recorded as held.",
    )


def _held_activities(when: When, scope: Scope, *, kinds: Iterable[str] | None) -> IndicatorResult:
    start, end = when.period
    rows_qs = scope.activities().held().in_period(start, end)
    if kinds is not None:
        rows_qs = rows_qs.filter(kind__in=list(kinds))
    grouped = list(
        rows_qs.values("kind", "region__name")
        .annotate(
            n=Count("pk"),
            s=Sum("pk"),
            v=Max("updated_at"),
            participants=Sum("participant_count"),
            stated=Count("participant_count"),
        )
        .order_by()
    )
    count, id_sum, latest = _fold(grouped)
    per_kind: dict[str, int] = defaultdict(int)
    per_region: dict[str, int] = defaultdict(int)
    for row in grouped:
        per_kind[row["kind"]] += row["n"]
        per_region[_region_name(row, "region__name")] += row["n"]
    stated = sum(row["stated"] for row in grouped)
    return IndicatorResult(
        value=Decimal(count),
        breakdown={
            "per_kind": dict(sorted(per_kind.items())),
            "per_region": dict(sorted(per_region.items())),
            # None, not 0, when no activity states its participants: nothing is invented.
            "participants": sum(row["participants"] or 0 for row in grouped) if stated else None,
            "participants_stated_by": stated,
        },
        input_count=count,
        fingerprint=_digest(count, id_sum, latest),
        coverage="Activities recorded as held.",
    )


def activities_held(when: When, scope: Scope) -> IndicatorResult:
    return _held_activities(when, scope, kinds=None)


def events_held(when: When, scope: Scope) -> IndicatorResult:
    return _held_activities(when, scope, kinds=EVENT_KINDS)


def _officials(when: When, scope: Scope, *, field_name: str) -> IndicatorResult:
    start, end = when.period
    from_participations = (
        Participation.objects.filter(activity=OuterRef("pk"))
        .order_by()
        .values("activity")
        .annotate(total=Sum(field_name.removeprefix("officials_")))
        .values("total")
    )
    rows_qs = scope.activities().held().in_period(start, end)
    grouped = list(
        rows_qs.annotate(
            officials=Coalesce(field_name, Subquery(from_participations, output_field=IntegerField()))
        )
        .values("kind", "region__name")
        .annotate(
            n=Count("pk", filter=Q(officials__isnull=False)),
            s=Sum("pk", filter=Q(officials__isnull=False)),
            v=Max("updated_at", filter=Q(officials__isnull=False)),
            total=Sum("officials"),
        )
        .order_by()
    )
    count, id_sum, latest = _fold(grouped)
    history = _latest_history_id(Participation, Participation.objects.filter(activity__in=rows_qs))
    per_kind: dict[str, int] = defaultdict(int)
    per_region: dict[str, int] = defaultdict(int)
    for row in grouped:
        per_kind[row["kind"]] += row["total"] or 0
        per_region[_region_name(row, "region__name")] += row["total"] or 0
    return IndicatorResult(
        value=Decimal(sum(per_kind.values())),
        breakdown={
            "per_kind": {k: v for k, v in sorted(per_kind.items()) if v},
            "per_region": {k: v for k, v in sorted(per_region.items()) if v},
        },
        input_count=count,
        fingerprint=_digest(count, id_sum, latest, history),
        coverage="Held activities that state how many officials; activities without a figure add nothing.",
    )


def officials_briefed(when: When, scope: Scope) -> IndicatorResult:
    return _officials(when, scope, field_name="officials_briefed")


def officials_trained(when: When, scope: Scope) -> IndicatorResult:
    return _officials(when, scope, field_name="officials_trained")


def tools_developed(when: When, scope: Scope) -> IndicatorResult:
    start, end = when.period
    rows_qs = Tool.objects.filter(
        counts_as_office_tool=True, status__in=(ToolStatus.COMPLETED, ToolStatus.UPDATED)
    )
    if scope.kind != ScopeKind.GLOBAL:
        rows_qs = rows_qs.filter(pk__in=Tool.objects.filter(scope.country_q("countries")).values("pk"))
    in_period = Q(status_date__gte=start, status_date__lte=end)
    grouped = list(
        rows_qs.values("kind")
        .annotate(
            n=Count("pk", filter=in_period),
            s=Sum("pk", filter=in_period),
            v=Max("updated_at", filter=in_period),
            undated=Count("pk", filter=Q(status_date__isnull=True)),
        )
        .order_by()
    )
    count, id_sum, latest = _fold(grouped)
    undated = sum(row["undated"] for row in grouped)
    coverage = "Completed or updated tools of the office with a status date."
    if undated:
        coverage += f" {undated} such tool(s) have no status date and cannot be placed in a period."
    return IndicatorResult(
        value=Decimal(count),
        breakdown={
            "per_kind": {
                row["kind"]: row["n"] for row in sorted(grouped, key=lambda r: r["kind"]) if row["n"]
            }
        },
        input_count=count,
        fingerprint=_digest(count, id_sum, latest, undated),
        coverage=coverage,
        is_complete=undated == 0,
    )


def _legislation(when: When, scope: Scope, *, kind: str) -> IndicatorResult:
    start, end = when.period
    rows_qs = LegislationEvent.objects.filter(
        scope.country_q("country"), kind=kind, assisted_by_office=True, date__gte=start, date__lte=end
    )
    grouped = list(
        rows_qs.values(*(f"country__{name}" for name in _COUNTRY_FIELDS))
        .annotate(n=Count("pk"), s=Sum("pk"))
        .order_by()
    )
    count, id_sum, _ = _fold(grouped)
    history = _latest_history_id(LegislationEvent, rows_qs)
    per_country = {
        row["country__iso3"]: {
            "name": row["country__name_en"],
            "field_region": _region_name(row, "country__field_region__name"),
            "m49_region": _region_name(row, "country__m49_region__name"),
            "events": row["n"],
        }
        for row in grouped
    }
    return IndicatorResult(
        value=Decimal(len(per_country)),
        breakdown=_country_breakdown(per_country),
        input_count=count,
        fingerprint=_digest(count, id_sum, history),
        coverage="Legislation events recorded as assisted by the office.",
    )


def legislation_incorporation(when: When, scope: Scope) -> IndicatorResult:
    return _legislation(when, scope, kind=LegislationKind.INCORPORATION)


def legislation_new_law(when: When, scope: Scope) -> IndicatorResult:
    return _legislation(when, scope, kind=LegislationKind.NEW_LAW)


def legislation_drafting(when: When, scope: Scope) -> IndicatorResult:
    return _legislation(when, scope, kind=LegislationKind.DRAFTING)


def _countries_by_first_12(
    when: When, scope: Scope, *, query: Callable[..., QuerySet[Country]], **kwargs: Any
) -> IndicatorResult:
    from missions import legal_status

    as_of = when.as_of
    assert as_of is not None  # noqa: S101 -- checked by compute()
    countries = query(as_of=as_of, **kwargs)
    if scope.kind != ScopeKind.GLOBAL:
        countries = countries.filter(pk__in=scope.countries().values("pk"))
    per_country = {
        row["iso3"]: {
            "name": row["name_en"],
            "field_region": _region_name(row, "field_region__name"),
            "m49_region": _region_name(row, "m49_region__name"),
        }
        for row in countries.values(*_COUNTRY_FIELDS).order_by()
    }
    deposits = Ratification.objects.filter(
        scope.country_q("country"),
        instrument__group=InstrumentGroup.FIRST_12,
        deposit_date__lte=as_of,
    ).exclude(action="")
    agg = deposits.aggregate(n=Count("pk"), s=Sum("pk"))
    history = _latest_history_id(Ratification, deposits)
    cover = legal_status.coverage(as_of=as_of)
    return IndicatorResult(
        value=Decimal(len(per_country)),
        breakdown=_country_breakdown(per_country),
        input_count=agg["n"],
        fingerprint=_digest(agg["n"], agg["s"], history, cover.text),
        coverage=cover.text,
        is_complete=cover.complete,
    )


def countries_with_all_12(when: When, scope: Scope) -> IndicatorResult:
    from missions import legal_status

    return _countries_by_first_12(when, scope, query=legal_status.countries_with_all)


def countries_with_six_or_fewer(when: When, scope: Scope) -> IndicatorResult:
    from missions import legal_status

    return _countries_by_first_12(when, scope, query=legal_status.countries_with_at_most, n=6)


def ratifications_after_assistance(when: When, scope: Scope) -> IndicatorResult:
    from missions import legal_status

    start, end = when.period
    rows_qs = legal_status.deposits_after_assistance(
        start=start, end=end, activities=scope.audience_activities()
    ).filter(scope.country_q("country"))
    grouped = list(
        rows_qs.values(*(f"country__{name}" for name in _COUNTRY_FIELDS), "instrument__group")
        .annotate(n=Count("pk"), s=Sum("pk"))
        .order_by()
    )
    count, id_sum, _ = _fold(grouped)
    history = _latest_history_id(Ratification, rows_qs)
    per_country: dict[str, dict[str, Any]] = {}
    per_group: dict[str, int] = defaultdict(int)
    for row in grouped:
        entry = per_country.setdefault(
            row["country__iso3"],
            {
                "name": row["country__name_en"],
                "field_region": _region_name(row, "country__field_region__name"),
                "m49_region": _region_name(row, "country__m49_region__name"),
                "deposits": 0,
            },
        )
        entry["deposits"] += row["n"]
        per_group[row["instrument__group"]] += row["n"]
    per_region: dict[str, int] = defaultdict(int)
    for entry in per_country.values():
        per_region[entry["field_region"]] += entry["deposits"]
    cover = legal_status.coverage(as_of=end)
    return IndicatorResult(
        value=Decimal(count),
        breakdown={
            "per_instrument_group": dict(sorted(per_group.items())),
            "deposits_per_field_region": dict(sorted(per_region.items())),
            "per_country": {iso3: per_country[iso3] for iso3 in sorted(per_country)},
        },
        input_count=count,
        fingerprint=_digest(count, id_sum, history, cover.text),
        coverage=cover.text,
        is_complete=cover.complete,
    )


def deposits(when: When, scope: Scope) -> IndicatorResult:
    start, end = when.period
    rows_qs = Ratification.objects.filter(
        scope.country_q("country"), deposit_date__gte=start, deposit_date__lte=end
    ).exclude(action="")
    grouped = list(
        rows_qs.values("deposit_date__year", "instrument__group")
        .annotate(n=Count("pk"), s=Sum("pk"))
        .order_by()
    )
    count, id_sum, _ = _fold(grouped)
    history = _latest_history_id(Ratification, rows_qs)
    per_year: dict[str, int] = defaultdict(int)
    per_group: dict[str, int] = defaultdict(int)
    for row in grouped:
        per_year[str(row["deposit_date__year"])] += row["n"]
        per_group[row["instrument__group"]] += row["n"]
    cover = legal_status_coverage(end)
    return IndicatorResult(
        value=Decimal(count),
        breakdown={
            "per_year": dict(sorted(per_year.items())),
            "per_instrument_group": dict(sorted(per_group.items())),
        },
        input_count=count,
        fingerprint=_digest(count, id_sum, history, cover.text),
        coverage=cover.text,
        is_complete=cover.complete,
    )


def legal_status_coverage(as_of: datetime.date) -> Any:
    from missions import legal_status

    return legal_status.coverage(as_of=as_of)


_TOTAL_KINDS = Q(
    kind__in=(ContributionKind.PLEDGE, ContributionKind.COMMITMENT, ContributionKind.PAID_OR_PLEDGED)
) | Q(kind=ContributionKind.PAYMENT, pledge__isnull=True)


def _money(amount: Decimal) -> str:
    return str(Decimal(amount).quantize(Decimal("0.01")))


def _contributions(when: When, scope: Scope, *, kinds: Q) -> IndicatorResult:
    start, end = when.period
    rows_qs = Contribution.objects.filter(
        kinds, scope.country_q("donor__country"), year__gte=start.year, year__lte=end.year
    )
    grouped = list(
        rows_qs.values("year", "donor__name", "currency")
        .annotate(n=Count("pk"), s=Sum("pk"), v=Max("updated_at"), amount=Sum("amount"))
        .order_by()
    )
    count, id_sum, latest = _fold(grouped)
    per_year: dict[str, Decimal] = defaultdict(Decimal)
    per_donor: dict[str, Decimal] = defaultdict(Decimal)
    other_currencies = 0
    for row in grouped:
        if row["currency"] != "USD":
            other_currencies += row["n"]
            continue
        per_year[str(row["year"])] += row["amount"]
        per_donor[row["donor__name"]] += row["amount"]
    coverage = "Contributions recorded in USD for the years of the period."
    if other_currencies:
        coverage += (
            f" {other_currencies} contribution(s) in other currencies are not converted and not counted."
        )
    return IndicatorResult(
        value=sum(per_year.values(), Decimal(0)),
        breakdown={
            "per_year": {k: _money(v) for k, v in sorted(per_year.items())},
            "per_donor": {k: _money(v) for k, v in sorted(per_donor.items())},
        },
        input_count=count,
        fingerprint=_digest(count, id_sum, latest),
        coverage=coverage,
        is_complete=other_currencies == 0,
    )


def contributions_paid_and_pledged(when: When, scope: Scope) -> IndicatorResult:
    return _contributions(when, scope, kinds=_TOTAL_KINDS)


def contributions_paid(when: When, scope: Scope) -> IndicatorResult:
    return _contributions(when, scope, kinds=Q(kind=ContributionKind.PAYMENT))


def donor_countries(when: When, scope: Scope) -> IndicatorResult:
    start, end = when.period
    rows_qs = Contribution.objects.filter(
        scope.country_q("donor__country"),
        donor__kind=DonorKind.STATE,
        year__gte=start.year,
        year__lte=end.year,
    )
    grouped = list(
        rows_qs.values(*(f"donor__country__{name}" for name in _COUNTRY_FIELDS))
        .annotate(n=Count("pk"), s=Sum("pk"), v=Max("updated_at"))
        .order_by()
    )
    count, id_sum, latest = _fold(grouped)
    per_country = {
        row["donor__country__iso3"]: {
            "name": row["donor__country__name_en"],
            "field_region": _region_name(row, "donor__country__field_region__name"),
            "m49_region": _region_name(row, "donor__country__m49_region__name"),
            "contributions": row["n"],
        }
        for row in grouped
    }
    return IndicatorResult(
        value=Decimal(len(per_country)),
        breakdown=_country_breakdown(per_country),
        input_count=count,
        fingerprint=_digest(count, id_sum, latest),
        coverage="Donor states with a contribution recorded for a year of the period.",
    )


# --- Registry and entry point -------------------------------------------------------------
FORMULAS: dict[str, Formula] = {
    "IND-COUNTRIES-ASSISTED": Formula(countries_assisted, 1, False),
    "IND-COUNTRIES-DIRECT": Formula(countries_directly_assisted, 1, False),
    "IND-WORKSHOPS-HELD": Formula(workshops_held, 1, False),
    "IND-WORKSHOP-COUNTRIES": Formula(workshop_countries, 1, False),
    "IND-ACTIVITIES-HELD": Formula(activities_held, 1, False),
    "IND-EVENTS-HELD": Formula(events_held, 1, False),
    "IND-DEPOSITS": Formula(deposits, 1, False),
    "IND-RATIF-AFTER-ASSIST": Formula(ratifications_after_assistance, 1, False),
    "IND-RATIF-ALL-12": Formula(countries_with_all_12, 1, True),
    "IND-RATIF-SIX-OR-FEWER": Formula(countries_with_six_or_fewer, 1, True),
    "IND-LEGIS-INCORPORATION": Formula(legislation_incorporation, 1, False),
    "IND-LEGIS-NEW-LAW": Formula(legislation_new_law, 1, False),
    "IND-LEGIS-DRAFTING": Formula(legislation_drafting, 1, False),
    "IND-OFFICIALS-BRIEFED": Formula(officials_briefed, 1, False),
    "IND-OFFICIALS-TRAINED": Formula(officials_trained, 1, False),
    "IND-TOOLS-DEVELOPED": Formula(tools_developed, 1, False),
    "IND-CONTRIB-PAID-PLEDGED": Formula(contributions_paid_and_pledged, 1, False),
    "IND-CONTRIB-PAID": Formula(contributions_paid, 1, False),
    "IND-DONOR-COUNTRIES": Formula(donor_countries, 1, False),
}


def when_for(
    definition: IndicatorDefinition,
    *,
    period: tuple[datetime.date, datetime.date] | None = None,
    as_of: datetime.date | None = None,
) -> When:
    """Validate the period or date against the definition (ValidationError names the field)."""
    formula = formula_for(definition)
    if formula.takes_reference_date:
        if as_of is None or period is not None:
            raise ValidationError(
                {"as_of": f"{definition.code} is computed at a reference date, not over a period."}
            )
        return When(as_of=as_of)
    if period is None or as_of is not None:
        raise ValidationError(
            {"period": f"{definition.code} is computed over a period, not at a reference date."}
        )
    start, end = period
    if end < start:
        raise ValidationError(
            {"period": f"The period ends ({end.isoformat()}) before it starts ({start.isoformat()})."}
        )
    return When(start=start, end=end)


def formula_for(definition: IndicatorDefinition) -> Formula:
    try:
        return FORMULAS[definition.code]
    except KeyError:
        raise ValidationError({"code": f"No formula for the indicator {definition.code!r}."}) from None


def compute(
    definition: IndicatorDefinition,
    *,
    period: tuple[datetime.date, datetime.date] | None = None,
    as_of: datetime.date | None = None,
    scope: Scope | None = None,
) -> IndicatorResult:
    """The definition's value for a period (flow) or at a reference date (stock), in a scope
    and for the scope's audience (default: the whole office, confidential records included)."""
    formula = formula_for(definition)
    when = when_for(definition, period=period, as_of=as_of)
    scope = scope or Scope.global_()
    result = formula.function(when, scope)
    result.formula_version = formula.version
    # The open audience's fingerprint differs from the all audience's (the all one is unchanged
    # since values had no audience, so existing snapshots are not rewritten for nothing).
    scope_part = f"{scope.key}|{scope.audience}" if scope.is_open else scope.key
    result.fingerprint = _digest(definition.code, formula.version, when.key, scope_part, result.fingerprint)
    return result
