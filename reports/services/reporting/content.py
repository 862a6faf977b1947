"""Assembles a report's sections, following the structure of E/CN.15/2007/9.

Every figure the report prints (the key figures, the activity and country tables, the trends,
the indicator table) is read from the indicator snapshots of its period, scope and audience,
so one figure is computed once (``reports.indicators``) and the summary and the indicator
section cannot disagree. The lists (events, joint activities) come from the records, narrowed
by the same ``Scope`` and audience: an open report lists no confidential activity.

The result (``ReportContent``) is plain data: sections of paragraphs, typed tables and chart
series. The PDF, XLSX and HTML renderers only lay it out, so every format says the same thing.
Every read is scoped: a regional or country report never reads another region's countries.
"""

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from missions import legal_status
from missions.choices import ActivityKind, CountryRole
from missions.models import Activity, ActivityCountry, Country
from partners.choices import ContributionKind, OrganisationRole
from partners.models import ActivityOrganisation, Contribution, Partnership

from ...choices import ScopeKind
from ...indicators import EVENT_KINDS, NO_REGION
from ...models import IndicatorDefinition, IndicatorValue, Report
from ...scope import Scope

# The impact indicators start from the Global Project's launch (para 30: January 2003).
TREND_FIRST_YEAR = 2003


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "text"  # text, int, money, date
    width: int = 0  # characters; 0: from the content


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    note: str = ""


@dataclass
class Chart:
    key: str
    title: str
    x: list[int]
    series: dict[str, list[float]]
    kind: str = "line"  # line or bar
    caption: str = ""


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class ReportContent:
    title: str
    period_start: datetime.date
    period_end: datetime.date
    scope_label: str
    sections: list[Section]
    figures: dict[str, Any]
    indicator_values: list[IndicatorValue] = field(default_factory=list)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


# --- Scope and period ----------------------------------------------------------------------
def scope_of(report: Report) -> Scope:
    """The report's scope and audience (the one ``Scope`` of the indicators)."""
    return Scope.of(report)


def previous_period(start: datetime.date, end: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The period of the same shape just before: the previous months if whole months, else days."""
    next_day = end + datetime.timedelta(days=1)
    if start.day == 1 and next_day.day == 1:
        months = (next_day.year * 12 + next_day.month) - (start.year * 12 + start.month)
        index = start.year * 12 + start.month - 1 - months
        prev_start = datetime.date(index // 12, index % 12 + 1, 1)
        return prev_start, start - datetime.timedelta(days=1)
    length = end - start
    prev_end = start - datetime.timedelta(days=1)
    return prev_end - length, prev_end


def activities_in_period(scope: Scope, start: datetime.date, end: datetime.date) -> QuerySet[Activity]:
    """Held activities of the scope and its audience that started in the period (the one date
    rule, ``ActivityQuerySet.in_period``: one known only by its month or year counts only when
    the period covers that whole month or year)."""
    return scope.activities().held().in_period(start, end)


# --- Figures: every one is read from the indicator snapshots -------------------------------
def trend_years(end: datetime.date) -> list[int]:
    return list(range(min(TREND_FIRST_YEAR, end.year), end.year + 1))


def periods_and_dates(
    start: datetime.date, end: datetime.date
) -> tuple[list[tuple[datetime.date, datetime.date]], list[datetime.date]]:
    """The periods and dates whose snapshots a report prints: its period and the previous one,
    the whole years of the trend, 1 January of each trend year and the day after each period."""
    prev_start, prev_end = previous_period(start, end)
    years = trend_years(end)
    periods = [
        (start, end),
        (prev_start, prev_end),
        (datetime.date(years[0], 1, 1), datetime.date(end.year, 12, 31)),
    ]
    dates = [end + datetime.timedelta(days=1), prev_end + datetime.timedelta(days=1)]
    dates += [datetime.date(y, 1, 1) for y in [*years, end.year + 1]]
    return list(dict.fromkeys(periods)), list(dict.fromkeys(dates))


class Snapshots:
    """The snapshots a report reads, by code and period or date; a missing one is noted, and
    the figure it would give is left empty (its computation failed or it is not defined)."""

    def __init__(self, values: Iterable[IndicatorValue]) -> None:
        self.values = list(values)
        self._by_key = {(v.indicator.code, v.when_key): v for v in self.values}
        self.missing: list[str] = []

    def get(
        self,
        code: str,
        *,
        period: tuple[datetime.date, datetime.date] | None = None,
        as_of: datetime.date | None = None,
    ) -> IndicatorValue | None:
        key = as_of.isoformat() if as_of else f"{period[0].isoformat()}..{period[1].isoformat()}"  # type: ignore[index]  # one of the two
        found = self._by_key.get((code, key))
        if found is None and code not in self.missing:
            self.missing.append(code)
        return found

    def count(self, code: str, **when: Any) -> int | None:
        found = self.get(code, **when)
        return int(found.value) if found is not None else None

    def note(self) -> str:
        if not self.missing:
            return ""
        return (
            f"Not available: {', '.join(sorted(self.missing))} (no snapshot: the indicator is not "
            "defined or its computation failed; see the computation runs). Those cells are empty."
        )


def _participants(value: IndicatorValue | None) -> int | None:
    return None if value is None else value.breakdown.get("participants")


def _stated_sum(value: IndicatorValue | None) -> int | None:
    # None, not 0, where no record states a number: the report does not invent one.
    return None if value is None or not value.input_count else int(value.value)


# (figure, indicator code, how the figure is read from its snapshot)
SUMMARY_FIGURES: list[tuple[str, str, Callable[[IndicatorValue | None], Any]]] = [
    ("countries_directly_assisted", "IND-COUNTRIES-DIRECT", lambda v: None if v is None else int(v.value)),
    ("activities_held", "IND-ACTIVITIES-HELD", lambda v: None if v is None else int(v.value)),
    ("workshops_and_trainings", "IND-EVENTS-HELD", lambda v: None if v is None else int(v.value)),
    ("participants", "IND-EVENTS-HELD", _participants),
    ("officials_trained", "IND-OFFICIALS-TRAINED", _stated_sum),
    ("deposits", "IND-DEPOSITS", lambda v: None if v is None else int(v.value)),
]
SUMMARY_LABELS = {
    "countries_directly_assisted": "Countries directly assisted (para 15)",
    "activities_held": "Activities held",
    "workshops_and_trainings": "Workshops, meetings and training courses held (para 21)",
    "participants": "Participants in them (as stated)",
    "officials_trained": "Officials trained (as stated)",
    "deposits": "Deposits of the universal instruments by the countries in scope",
}
ALL_12 = "IND-RATIF-ALL-12"


def _period_figures(snapshots: Snapshots, start: datetime.date, end: datetime.date) -> dict[str, Any]:
    return {key: read(snapshots.get(code, period=(start, end))) for key, code, read in SUMMARY_FIGURES}


def coverage_text(as_of: datetime.date) -> str:
    return legal_status.coverage(as_of=as_of).text


# --- Sections ------------------------------------------------------------------------------
def _change(current: int | Decimal | None, previous: int | Decimal | None) -> int | Decimal | None:
    if current is None or previous is None:
        return None
    return current - previous


def summary_section(
    scope: Scope, start: datetime.date, end: datetime.date, figures: dict[str, Any], snapshots: Snapshots
) -> Section:
    prev_start, prev_end = previous_period(start, end)
    current = _period_figures(snapshots, start, end)
    previous = _period_figures(snapshots, prev_start, prev_end)
    figures.update(current)
    rows: list[list[Any]] = [
        [label, current[key], previous[key], _change(current[key], previous[key])]
        for key, label in SUMMARY_LABELS.items()
    ]
    as_of = end + datetime.timedelta(days=1)
    prev_as_of = prev_end + datetime.timedelta(days=1)
    all_12 = snapshots.count(ALL_12, as_of=as_of)
    all_12_prev = snapshots.count(ALL_12, as_of=prev_as_of)
    figures["countries_with_all_first_12"] = all_12
    rows.append(
        [
            f"UN Member States party to all of the first 12 instruments at {as_of.isoformat()}",
            all_12,
            all_12_prev,
            _change(all_12, all_12_prev),
        ]
    )
    table = Table(
        key="summary",
        title="Key figures",
        columns=[
            Column("Figure", width=60),
            Column(f"{start.isoformat()} to {end.isoformat()}", "int", 16),
            Column(f"{prev_start.isoformat()} to {prev_end.isoformat()}", "int", 16),
            Column("Change", "int", 10),
        ],
        rows=rows,
        note=(
            "Previous period: the period of the same length just before. Activities known only "
            "by their month or year count only in a report covering that whole month or year. "
            f"Status data: {coverage_text(as_of)}."
        ),
    )
    return Section(
        key="summary",
        title="Summary of the period",
        paragraphs=[
            f"Scope: {scope.label}. Period: {start.isoformat()} to {end.isoformat()}.",
        ],
        tables=[table],
    )


def key_figures(report: Report) -> list[tuple[str, Any]]:
    """The summary's headline figures of the report's period, read from the snapshots the
    report was made from (``report.indicator_values``, stored when it was generated), so the
    e-mail says what the attached report says; a figure without a snapshot is None."""
    start, end = report.period_start, report.period_end
    snapshots = Snapshots(report.indicator_values.select_related("indicator"))
    current = _period_figures(snapshots, start, end)
    figures = [(SUMMARY_LABELS[key], current[key]) for key in SUMMARY_LABELS]
    as_of = end + datetime.timedelta(days=1)
    figures.append(
        (
            f"UN Member States party to all of the first 12 instruments at {as_of.isoformat()}",
            snapshots.count(ALL_12, as_of=as_of),
        )
    )
    return figures


NO_REGION_LABEL = "(no field region recorded)"


def activities_section(
    scope: Scope, start: datetime.date, end: datetime.date, figures: dict[str, Any], snapshots: Snapshots
) -> Section:
    held = snapshots.get("IND-ACTIVITIES-HELD", period=(start, end))
    by_kind = held.breakdown.get("per_kind", {}) if held is not None else {}
    kind_rows = [[label, int(by_kind[value])] for value, label in ActivityKind.choices if by_kind.get(value)]
    by_region = held.breakdown.get("per_region", {}) if held is not None else {}
    region_rows = [
        [NO_REGION_LABEL if name == NO_REGION else name, int(n)]
        for name, n in sorted(by_region.items(), key=lambda item: (item[0] == NO_REGION, item[0]))
    ]
    direct = snapshots.get("IND-COUNTRIES-DIRECT", period=(start, end))
    per_country: dict[str, Any] = direct.breakdown.get("per_country", {}) if direct is not None else {}
    names = {c.iso3: c for c in Country.objects.filter(iso3__in=list(per_country))}
    labels = dict(ActivityKind.choices)
    assisted = sorted(per_country, key=lambda iso3: (per_country[iso3]["name"], iso3))
    country_rows = [
        [
            i,
            iso3,
            per_country[iso3]["name"],
            names[iso3].name_ar if iso3 in names else "",
            names[iso3].name_zh if iso3 in names else "",
            "; ".join(sorted(str(labels.get(kind, kind)) for kind in per_country[iso3]["kinds"])),
        ]
        for i, iso3 in enumerate(assisted, start=1)
    ]
    figures["countries_assisted"] = assisted
    count = len(assisted) if direct is not None else None
    return Section(
        key="activities",
        title="Direct assistance and activities",
        paragraphs=[
            f"{count if count is not None else 'An unknown number of'} countries received direct "
            "technical assistance in the period (missions, video conferences, support for CTC "
            "reports, delegation visits, or direct assistance of a form the records do not state)."
        ],
        tables=[
            Table(
                "by_kind", "Activities by kind", [Column("Kind", width=50), Column("Held", "int")], kind_rows
            ),
            Table(
                "by_region",
                "Activities by field region",
                [Column("Field region", width=50), Column("Held", "int")],
                region_rows,
            ),
            Table(
                "countries_assisted",
                "Countries directly assisted",
                [
                    Column("No.", "int", 5),
                    Column("ISO3", width=6),
                    Column("Country", width=36),
                    Column("Arabic", width=28),
                    Column("Chinese", width=20),
                    Column("Forms of assistance", width=60),
                ],
                country_rows,
            ),
        ],
    )


def events_section(scope: Scope, start: datetime.date, end: datetime.date) -> Section:
    events = list(
        activities_in_period(scope, start, end)
        .filter(kind__in=EVENT_KINDS)
        .select_related("host_country")
        .order_by("start_date", "title")
    )
    ids = [e.pk for e in events]
    co_organisers: dict[int, list[str]] = defaultdict(list)
    for activity_id, name, acronym in ActivityOrganisation.objects.filter(
        activity__in=ids, role=OrganisationRole.CO_ORGANISER
    ).values_list("activity_id", "organisation__name_en", "organisation__acronym"):
        co_organisers[activity_id].append(acronym or name)
    countries: dict[int, list[str]] = defaultdict(list)
    for activity_id, name in (
        ActivityCountry.objects.filter(scope.country_q("country"), activity__in=ids)
        .exclude(role=CountryRole.HOST)
        .order_by("country__name_en")
        .values_list("activity_id", "country__name_en")
        .distinct()
    ):
        countries[activity_id].append(name)
    rows = []
    for e in events:
        place = ", ".join(p for p in (e.city, e.host_country.name_en if e.host_country else "") if p)
        stated = e.stated_country_count if scope.is_global else None
        listed = countries[e.pk]
        count = len(listed) if listed else stated
        participants = e.participant_count
        qualifier = (
            "" if e.participant_count_qualifier == "exact" else e.get_participant_count_qualifier_display()
        )
        rows.append(
            [
                e.reference or "",
                e.title,
                e.get_kind_display(),
                e.start_date,
                e.end_date,
                place,
                "; ".join(sorted(co_organisers[e.pk])),
                count,
                "; ".join(listed),
                participants,
                qualifier if participants is not None else "",
            ]
        )
    return Section(
        key="events",
        title="Workshops, meetings and training courses",
        tables=[
            Table(
                "events",
                "Workshops, meetings and training courses",
                [
                    Column("Ref.", width=8),
                    Column("Title", width=60),
                    Column("Kind", width=24),
                    Column("Start", "date", 12),
                    Column("End", "date", 12),
                    Column("Place", width=28),
                    Column("Co-organisers", width=40),
                    Column("Countries", "int", 10),
                    Column("Countries listed", width=60),
                    Column("Participants", "int", 12),
                    Column("Participants (qualifier)", width=14),
                ],
                rows,
                note="Empty cells: the records do not state the value.",
            )
        ],
    )


def indicators_section(
    scope: Scope,
    start: datetime.date,
    end: datetime.date,
    figures: dict[str, Any],
    snapshots: Snapshots,
) -> Section:
    years = trend_years(end)
    # Para 30 counts at January of each year (January 2003: 26; January 2007: 85).
    dates = [*years, end.year + 1]
    all_12 = {y: snapshots.count(ALL_12, as_of=datetime.date(y, 1, 1)) for y in dates}
    cumulative = snapshots.get(
        "IND-DEPOSITS", period=(datetime.date(years[0], 1, 1), datetime.date(end.year, 12, 31))
    )
    per_year = cumulative.breakdown.get("per_year", {}) if cumulative is not None else None
    deposits = {y: (int(per_year.get(str(y), 0)) if per_year is not None else None) for y in years}
    figures["trend_all_first_12"] = all_12
    figures["trend_deposits"] = deposits
    as_of = end + datetime.timedelta(days=1)
    caveat = f"Status data: {coverage_text(as_of)}."
    own_keys = {f"{start.isoformat()}..{end.isoformat()}", as_of.isoformat()}
    listed = [v for v in snapshots.values if v.when_key in own_keys]
    shown = {v.indicator.code for v in listed}
    for code in IndicatorDefinition.objects.filter(is_active=True).values_list("code", flat=True):
        if code not in shown and code not in snapshots.missing:
            snapshots.missing.append(code)  # its computation failed: said, not silently left out
    rows: list[list[Any]] = []
    for value in listed:
        definition = value.indicator
        target = next(iter(definition.targets.all()), None)
        when = (
            value.reference_date.isoformat()
            if value.reference_date
            else f"{value.period_start} to {value.period_end}"
        )
        rows.append(
            [
                definition.code,
                definition.name,
                when,
                value.value,
                definition.baseline_value,
                definition.baseline_date,
                _change(value.value, definition.baseline_value),
                target.value if target else None,
                target.target_date if target else None,
                value.coverage or ("complete" if value.is_complete else "partial"),
            ]
        )
    tables = [
        Table(
            "indicator_values",
            "Impact indicators (paras 29-32)",
            [
                Column("Code", width=16),
                Column("Indicator", width=60),
                Column("Date or period", width=24),
                Column("Value", "money", 12),
                Column("Baseline", "money", 12),
                Column("Baseline date", "date", 12),
                Column("Change vs baseline", "money", 14),
                Column("Target", "money", 12),
                Column("Target date", "date", 12),
                Column("Coverage", width=50),
            ],
            rows,
            note="Values are the stored snapshots used for this report (see the admin).",
        ),
        Table(
            "trend",
            "Trend of the ratification indicators",
            [
                Column("Year", "int", 8),
                Column("UN Member States party to all of the first 12 on 1 January", "int", 24),
                Column("Deposits in the year", "int", 14),
            ],
            [[y, all_12[y], deposits.get(y)] for y in dates],
            note=caveat,
        ),
    ]
    charts = [
        Chart(
            "all_first_12",
            "UN Member States party to all of the first 12 instruments, on 1 January",
            dates,
            {"countries": [float(all_12[y] or 0) for y in dates]},
            "line",
            caveat,
        ),
        Chart(
            "deposits",
            "Deposits of the universal instruments per year",
            years,
            {"deposits": [float(deposits[y] or 0) for y in years]},
            "bar",
            caveat,
        ),
    ]
    return Section(
        key="indicators",
        title="Measuring the impact (paras 29-32)",
        paragraphs=[p for p in (caveat, snapshots.note()) if p],
        tables=tables,
        charts=charts,
    )


def partners_section(scope: Scope, start: datetime.date, end: datetime.date) -> Section:
    activities = activities_in_period(scope, start, end)
    joint = (
        ActivityOrganisation.objects.filter(activity__in=activities.values("pk"))
        .select_related("activity", "organisation")
        .order_by("activity__start_date", "activity__title", "organisation__name_en")
    )
    joint_rows = [
        [
            j.organisation.acronym or j.organisation.name_en,
            j.organisation.name_en,
            j.get_role_display(),
            j.activity.title,
            j.activity.start_date,
        ]
        for j in joint
    ]
    partnerships = Partnership.objects.select_related("organisation").filter(
        Q(took_effect_on__isnull=True) | Q(took_effect_on__lte=end)
    )
    if not scope.is_global:
        partnerships = partnerships.filter(activities__in=activities.values("pk")).distinct()
    partnership_rows = [
        [p.organisation.name_en, p.get_kind_display(), p.title, p.took_effect_on, p.areas]
        for p in partnerships
    ]
    organisations = Counter(row[0] for row in joint_rows)
    return Section(
        key="partners",
        title="Cooperation and partnerships",
        paragraphs=[
            f"{len(organisations)} organisations took part in {len({r[3] for r in joint_rows})} "
            "of the period's activities."
        ],
        tables=[
            Table(
                "joint_activities",
                "Joint activities",
                [
                    Column("Organisation", width=20),
                    Column("Name", width=50),
                    Column("Role", width=20),
                    Column("Activity", width=60),
                    Column("Start", "date", 12),
                ],
                joint_rows,
            ),
            Table(
                "partnerships",
                "Partnership arrangements",
                [
                    Column("Organisation", width=50),
                    Column("Kind", width=28),
                    Column("Title", width=40),
                    Column("Took effect", "date", 12),
                    Column("Areas", width=60),
                ],
                partnership_rows,
            ),
        ],
    )


def funding_section(
    scope: Scope, start: datetime.date, end: datetime.date, figures: dict[str, Any], annex: Callable[..., Any]
) -> Section:
    years = list(range(start.year, end.year + 1))
    contributions = Contribution.objects.filter(year__in=years)
    if not scope.is_global:
        region_id = scope.region_id if scope.kind == ScopeKind.REGION else None
        contributions = (
            contributions.filter(earmark_region_id=region_id) if region_id else contributions.none()
        )
    by_kind = dict(contributions.values_list("kind").annotate(total=Sum("amount")))
    kind_rows = [[label, by_kind.get(value) or Decimal("0")] for value, label in ContributionKind.choices]
    tables = [
        Table(
            "pledged_paid",
            f"Contributions counted for {years[0]}" + (f"-{years[-1]}" if len(years) > 1 else ""),
            [Column("Kind", width=50), Column("Amount (USD)", "money", 16)],
            kind_rows,
            note="Unpaid pledges are pledged minus paid; the source does not always tell them apart.",
        )
    ]
    paragraphs: list[str] = []
    if scope.is_global:
        table = annex(until_year=end.year)
        tables.insert(0, table)
        figures["annex_total"] = table.rows[-1][1]
    else:
        paragraphs.append(
            "The annex of contributions is kept for the whole office; this report lists only "
            "contributions earmarked for its region."
        )
    return Section(key="funding", title="Funding", paragraphs=paragraphs, tables=tables)


def annex_table_from_partners(*, until_year: int) -> Table:
    """The annex (partners.services.annex.annex_table) as a report table: donors by year column.

    Its last row holds the totals; the first-column items keep their own years in brackets.
    """
    from partners.services.annex import annex_table

    annex = annex_table(until_year=until_year)
    columns = [Column("Donor", width=28), Column(annex.total_label, "money", 18)]
    columns += [Column(c.label, "money", 13) for c in annex.columns]
    rows: list[list[Any]] = [
        [row.donor, row.total, *[row.cell(c.key) for c in annex.columns]] for row in annex.rows
    ]
    rows.append(["Total", annex.grand_total, *[annex.column_totals.get(c.key) for c in annex.columns]])
    notes = []
    for figure in annex.reported_unpaid_pledges:
        notes.append(f"* Includes unpaid pledges of {figure.currency} {figure.amount:,.0f} (as printed).")
    notes.append(f"Unpaid pledges derived from the records: USD {annex.derived_unpaid_pledges:,.0f}.")
    notes.append(f"Source: {annex.source}.")
    notes.extend(annex.notes)
    return Table("annex", annex.title, columns, rows, note=" ".join(notes))


def assemble(
    report: Report,
    *,
    snapshots: list[IndicatorValue] | None = None,
    annex: Callable[..., Any] = annex_table_from_partners,
) -> ReportContent:
    """Every section of ``report`` for its period, scope and audience. Every figure comes from
    the indicator snapshots (``snapshots``; refreshed here when not given), so the summary and
    the indicator section cannot disagree; the lists come from the records of the audience."""
    scope = scope_of(report)
    start, end = report.period_start, report.period_end
    if snapshots is None:
        from . import indicator_snapshots

        snapshots = indicator_snapshots(report)
    figures: dict[str, Any] = {}
    used = Snapshots(snapshots)
    sections = [
        summary_section(scope, start, end, figures, used),
        activities_section(scope, start, end, figures, used),
        events_section(scope, start, end),
        indicators_section(scope, start, end, figures, used),
        partners_section(scope, start, end),
        funding_section(scope, start, end, figures, annex),
    ]
    return ReportContent(
        title=report.title,
        period_start=start,
        period_end=end,
        scope_label=scope.label,
        sections=sections,
        figures=figures,
        indicator_values=used.values,
    )
