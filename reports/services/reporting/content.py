"""Assembles a report's sections from the records, following the structure of E/CN.15/2007/9.

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

from django.db.models import Count, Q, QuerySet, Sum

from missions import legal_status
from missions.choices import DIRECT_ASSISTANCE_KINDS, ActivityKind, CountryRole
from missions.models import Activity, ActivityCountry, Country, Ratification
from partners.choices import ContributionKind, OrganisationRole
from partners.models import ActivityOrganisation, Contribution, Partnership

from ...choices import ScopeKind
from ...models import IndicatorValue, Report
from ...scope import Scope

# Kinds shown in the workshops and trainings table (para 21 and the training courses).
EVENT_KINDS = (ActivityKind.WORKSHOP, ActivityKind.TRAINING_COURSE, ActivityKind.MINISTERIAL_MEETING)
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


# --- Figures -------------------------------------------------------------------------------
def countries_directly_assisted(scope: Scope, start: datetime.date, end: datetime.date) -> QuerySet[Country]:
    activities = activities_in_period(scope, start, end).filter(kind__in=DIRECT_ASSISTANCE_KINDS)
    return (
        scope.countries()
        .filter(
            activity_roles__role=CountryRole.BENEFICIARY,
            activity_roles__activity__in=activities.values("pk"),
        )
        .distinct()
        .order_by("name_en")
    )


def _period_figures(scope: Scope, start: datetime.date, end: datetime.date) -> dict[str, int | None]:
    activities = activities_in_period(scope, start, end)
    events = activities.filter(kind__in=EVENT_KINDS)
    totals = events.aggregate(participants=Sum("participant_count"))
    trained = activities.aggregate(trained=Sum("officials_trained"))
    deposits = Ratification.objects.filter(
        scope.country_q("country"), deposit_date__gte=start, deposit_date__lte=end
    ).exclude(action="")
    return {
        "countries_directly_assisted": countries_directly_assisted(scope, start, end).count(),
        "activities_held": activities.count(),
        "workshops_and_trainings": events.count(),
        # None, not 0, where no record states a number: the report does not invent one.
        "participants": totals["participants"],
        "officials_trained": trained["trained"],
        "deposits": deposits.count(),
    }


SUMMARY_LABELS = {
    "countries_directly_assisted": "Countries directly assisted (para 15)",
    "activities_held": "Activities held",
    "workshops_and_trainings": "Workshops, meetings and training courses held (para 21)",
    "participants": "Participants in them (as stated)",
    "officials_trained": "Officials trained (as stated)",
    "deposits": "Deposits of the universal instruments by the countries in scope",
}


# --- Legal status (the legal-status helper's module: one definition of the counting rules) --
def countries_with_all_first_12(scope: Scope, as_of: datetime.date) -> int:
    return legal_status.countries_with_all(as_of=as_of).filter(pk__in=scope.countries().values("pk")).count()


def coverage_text(as_of: datetime.date) -> str:
    return legal_status.coverage(as_of=as_of).text


def deposits_per_year(scope: Scope, years: Iterable[int]) -> dict[int, int]:
    years = list(years)
    rows = (
        Ratification.objects.filter(
            scope.country_q("country"),
            deposit_date__year__gte=years[0],
            deposit_date__year__lte=years[-1],
        )
        .exclude(action="")
        .values_list("deposit_date__year")
        .annotate(n=Count("pk"))
    )
    found = dict(rows)
    return {y: int(found.get(y, 0)) for y in years}


# --- Sections ------------------------------------------------------------------------------
def _change(current: int | Decimal | None, previous: int | Decimal | None) -> int | Decimal | None:
    if current is None or previous is None:
        return None
    return current - previous


def _names(countries: Iterable[Country]) -> str:
    return "; ".join(c.name_en for c in countries)


def summary_section(
    scope: Scope, start: datetime.date, end: datetime.date, figures: dict[str, Any]
) -> Section:
    prev_start, prev_end = previous_period(start, end)
    current = _period_figures(scope, start, end)
    previous = _period_figures(scope, prev_start, prev_end)
    figures.update(current)
    rows: list[list[Any]] = [
        [label, current[key], previous[key], _change(current[key], previous[key])]
        for key, label in SUMMARY_LABELS.items()
    ]
    as_of = end + datetime.timedelta(days=1)
    prev_as_of = prev_end + datetime.timedelta(days=1)
    all_12 = countries_with_all_first_12(scope, as_of)
    all_12_prev = countries_with_all_first_12(scope, prev_as_of)
    figures["countries_with_all_first_12"] = all_12
    rows.append(
        [
            f"UN Member States party to all of the first 12 instruments at {as_of.isoformat()}",
            all_12,
            all_12_prev,
            all_12 - all_12_prev,
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


def activities_section(
    scope: Scope, start: datetime.date, end: datetime.date, figures: dict[str, Any]
) -> Section:
    activities = activities_in_period(scope, start, end)
    by_kind = dict(activities.values_list("kind").annotate(n=Count("pk")))
    kind_rows = [[label, int(by_kind[value])] for value, label in ActivityKind.choices if by_kind.get(value)]
    by_region = activities.values_list("region__name").annotate(n=Count("pk")).order_by("region__name")
    region_rows = [[name or "(no field region recorded)", int(n)] for name, n in by_region]
    assisted = list(countries_directly_assisted(scope, start, end))
    kinds_by_country: dict[int, set[str]] = defaultdict(set)
    labels = dict(ActivityKind.choices)
    for country_id, kind in ActivityCountry.objects.filter(
        country__in=[c.pk for c in assisted],
        role=CountryRole.BENEFICIARY,
        activity__in=activities.filter(kind__in=DIRECT_ASSISTANCE_KINDS).values("pk"),
    ).values_list("country_id", "activity__kind"):
        kinds_by_country[country_id].add(str(labels[kind]))
    country_rows = [
        [i, c.iso3, c.name_en, c.name_ar, c.name_zh, "; ".join(sorted(kinds_by_country[c.pk]))]
        for i, c in enumerate(assisted, start=1)
    ]
    figures["countries_assisted"] = [c.iso3 for c in assisted]
    return Section(
        key="activities",
        title="Direct assistance and activities",
        paragraphs=[
            f"{len(assisted)} countries received direct technical assistance in the period "
            "(missions, video conferences, support for CTC reports, delegation visits, or "
            "direct assistance of a form the records do not state)."
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
    snapshots: list[IndicatorValue],
) -> Section:
    years = list(range(min(TREND_FIRST_YEAR, end.year), end.year + 1))
    # Para 30 counts at January of each year (January 2003: 26; January 2007: 85).
    dates = [*years, end.year + 1]
    all_12 = {y: countries_with_all_first_12(scope, datetime.date(y, 1, 1)) for y in dates}
    deposits = deposits_per_year(scope, years)
    figures["trend_all_first_12"] = all_12
    figures["trend_deposits"] = deposits
    as_of = end + datetime.timedelta(days=1)
    caveat = f"Status data: {coverage_text(as_of)}."
    rows: list[list[Any]] = []
    for value in snapshots:
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
            {"countries": [float(all_12[y]) for y in dates]},
            "line",
            caveat,
        ),
        Chart(
            "deposits",
            "Deposits of the universal instruments per year",
            years,
            {"deposits": [float(deposits[y]) for y in years]},
            "bar",
            caveat,
        ),
    ]
    return Section(
        key="indicators",
        title="Measuring the impact (paras 29-32)",
        paragraphs=[caveat],
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
    """Every section of ``report`` from the records, for its period and scope."""
    scope = scope_of(report)
    start, end = report.period_start, report.period_end
    figures: dict[str, Any] = {}
    used = list(snapshots or [])
    sections = [
        summary_section(scope, start, end, figures),
        activities_section(scope, start, end, figures),
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
        indicator_values=used,
    )
