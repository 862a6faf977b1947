"""The report's annex as a view of the contributions: donors by year column, summed by the database.

Reading of the printed annex of E/CN.15/2007/9 (and of para 67, which sums it):
- the first column is printed "Pre-2002" (2002年前) yet holds amounts noted (2002): it is read
  as "up to and including 2002"; every contribution keeps its own year, and years up to 2002
  fall in that column;
- each cell is "paid and pledged" (kind ``paid_or_pledged``): the annex does not say which,
  and its footnote's unpaid pledges are kept as printed (a ReportedFundingFigure).

What the annex counts, per contribution in USD up to ``until_year`` ("total paid and pledged"):
- a paid-or-pledged figure, or a payment that pays no pledge: its amount;
- a pledge or commitment: the larger of the amount pledged and the payments made against it
  (so a pledge and its payment are never counted twice, and an overpayment counts as paid);
- a payment against a pledge: nothing more (its pledge counts it).
A payment counts in its pledge's year. Contributions in another currency are not converted
(the annex is in USD): they are left out and counted in ``other_currencies``.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, F, IntegerField, OuterRef, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest

from ..choices import ContributionKind, ReportedFigureKind
from ..models import PLEDGE_KINDS, Contribution, Donor, ReportedFundingFigure
from .funding import ZERO, paid_against, unpaid_pledges

ANNEX_CURRENCY = "USD"
# The printed first column holds every year up to and including this one (its heading and the
# years noted in its cells).
FIRST_COLUMN_LAST_YEAR = 2002
FIRST_COLUMN_KEY = "pre2002"
_AMOUNT = DecimalField(max_digits=14, decimal_places=2)

ANNEX_TITLE = (
    "Contributions to the United Nations Crime Prevention and Criminal Justice Fund for technical "
    "assistance projects of the Terrorism Prevention Branch, pre-2002 to 31 December {year}* (USD)"
)
ANNEX_SOURCE = "E/CN.15/2007/9, annex"
AMBIGUITY_NOTES = (
    "Column “Pre-2002” (2002年前): the printed column also holds amounts noted (2002) "
    "(Austria 13,522 and 294,985, Italy 198,216, Japan 30,000), so it is read as “up to and "
    "including 2002”; each amount keeps its own year, shown in brackets (annex, first column).",
    "Placement of Liechtenstein's and Turkey's figures: empty cells are invisible in the source "
    "text, and the column totals alone allow two placements. The printed spacing puts "
    "Liechtenstein's 50,000 + 50,000 in 2005 and 2006 and Turkey's 50,000 in 2004 (and 25,000 "
    "in 2006); this page follows that reading (annex, rows of Liechtenstein and Turkey).",
    "Paid or pledged: the annex does not tell paid from pledged per cell, so its cells are "
    "recorded as “paid or pledged”. Its footnote's unpaid pledges are shown as printed and "
    "attributed to no donor. Para 67's “about USD 15.5 million” for 2003-2006 and its 18 "
    "countries differ from the annex (15,434,904 from pre-2002; 19 donors with the OSCE) "
    "(para 67 and the annex).",
)


@dataclass(frozen=True)
class AnnexColumn:
    key: str
    label: str
    label_zh: str


@dataclass(frozen=True)
class AnnexItem:
    """One contribution shown inside the first column, with its own year."""

    amount: Decimal
    year: int


@dataclass
class AnnexRow:
    donor_id: int
    donor: str
    annex_row: int | None
    cells: dict[str, Decimal]
    total: Decimal
    first_column_items: list[AnnexItem] = field(default_factory=list)

    def cell(self, key: str) -> Decimal | None:
        return self.cells.get(key)


@dataclass
class AnnexTable:
    until_year: int
    title: str
    columns: list[AnnexColumn]
    rows: list[AnnexRow]
    column_totals: dict[str, Decimal]
    grand_total: Decimal
    reported_unpaid_pledges: list[ReportedFundingFigure]
    derived_unpaid_pledges: Decimal
    other_currencies: dict[str, int]
    notes: tuple[str, ...] = AMBIGUITY_NOTES
    source: str = ANNEX_SOURCE

    @property
    def total_label(self) -> str:
        return f"Total paid and pledged as at 31 December {self.until_year}"


def column_key(year: int) -> str:
    return FIRST_COLUMN_KEY if year <= FIRST_COLUMN_LAST_YEAR else str(year)


def annex_columns(until_year: int) -> list[AnnexColumn]:
    columns = [AnnexColumn(FIRST_COLUMN_KEY, "Pre-2002", "2002 年前")]
    columns += [
        AnnexColumn(str(y), str(y), f"{y} 年") for y in range(FIRST_COLUMN_LAST_YEAR + 1, until_year + 1)
    ]
    return columns


def annex_contributions(*, until_year: int) -> QuerySet[Any]:
    """The annex's contributions with ``column`` (a year; 2002 = the first column) and ``annex_amount``."""
    pledged_or_paid = Greatest(
        F("amount"),
        Coalesce(paid_against(OuterRef("pk")), Value(ZERO), output_field=_AMOUNT),
        output_field=_AMOUNT,
    )
    return (
        Contribution.objects.filter(currency=ANNEX_CURRENCY, year__lte=until_year)
        .annotate(
            column=Case(
                When(year__lte=FIRST_COLUMN_LAST_YEAR, then=Value(FIRST_COLUMN_LAST_YEAR)),
                default=F("year"),
                output_field=IntegerField(),
            ),
            annex_amount=Case(
                When(kind=ContributionKind.PAYMENT, pledge__isnull=False, then=Value(ZERO)),
                When(kind__in=PLEDGE_KINDS, then=pledged_or_paid),
                default=F("amount"),
                output_field=_AMOUNT,
            ),
        )
        .order_by()
    )


def annex_table(*, until_year: int = 2006) -> AnnexTable:
    """The annex, every sum computed by the database (GROUP BY donor and column)."""
    contributions = annex_contributions(until_year=until_year)
    cells: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for item in contributions.values("donor_id", "column").annotate(total=Sum("annex_amount")):
        cells[item["donor_id"]][column_key(item["column"])] = item["total"]
    donor_totals = {
        item["donor_id"]: item["total"]
        for item in contributions.values("donor_id").annotate(total=Sum("annex_amount"))
    }
    column_totals = {
        column_key(item["column"]): item["total"]
        for item in contributions.values("column").annotate(total=Sum("annex_amount"))
    }
    grand_total = contributions.aggregate(total=Sum("annex_amount"))["total"] or ZERO
    items: dict[int, list[AnnexItem]] = defaultdict(list)
    for donor_id, amount, year in (
        contributions.filter(year__lte=FIRST_COLUMN_LAST_YEAR)
        .exclude(annex_amount=ZERO, kind=ContributionKind.PAYMENT)
        .order_by("donor_id", "year", "reference", "pk")
        .values_list("donor_id", "annex_amount", "year")
    ):
        items[donor_id].append(AnnexItem(amount, year))
    donors = Donor.objects.filter(pk__in=donor_totals).order_by(F("annex_row").asc(nulls_last=True), "name")
    rows = [
        AnnexRow(
            donor_id=donor.pk,
            donor=donor.name,
            annex_row=donor.annex_row,
            cells=cells[donor.pk],
            total=donor_totals[donor.pk],
            first_column_items=items[donor.pk],
        )
        for donor in donors
    ]
    other_currencies = {
        item["currency"]: item["n"]
        for item in Contribution.objects.filter(year__lte=until_year)
        .exclude(currency=ANNEX_CURRENCY)
        .order_by()
        .values("currency")
        .annotate(n=Count("pk"))
    }
    reported = list(
        ReportedFundingFigure.objects.filter(
            kind=ReportedFigureKind.UNPAID_PLEDGES, as_of=date(until_year, 12, 31), currency=ANNEX_CURRENCY
        )
    )
    return AnnexTable(
        until_year=until_year,
        title=ANNEX_TITLE.format(year=until_year),
        columns=annex_columns(until_year),
        rows=rows,
        column_totals=column_totals,
        grand_total=grand_total,
        reported_unpaid_pledges=reported,
        derived_unpaid_pledges=unpaid_pledges(currency=ANNEX_CURRENCY, until_year=until_year),
        other_currencies=other_currencies,
    )
