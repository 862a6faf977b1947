"""The annex of E/CN.15/2007/9, computed from the loaded contributions, equals the printed one."""

from decimal import Decimal

import pytest

from partners.choices import ContributionKind, DonorKind
from partners.models import Contribution, Donor, RegularBudgetAllocation, ReportedFundingFigure
from partners.services.annex import annex_table
from partners.services.funding import record_payment, record_pledge
from partners.services.report_2006 import load_funding_2006
from tests.module_data import module_data

from .conftest import ensure_countries

# The printed annex: donor -> (total, {column: amount}).
PRINTED = {
    "Austria": (1292385, {"pre2002": 308507, "2003": 730689, "2005": 242366, "2006": 10823}),
    "Canada": (811097, {"2004": 47071, "2005": 74371, "2006": 689655}),
    "Denmark": (1317249, {"2005": 546701, "2006": 770548}),
    "France": (1119626, {"2003": 247578, "2004": 246305, "2005": 283013, "2006": 342730}),
    "Germany": (891154, {"2003": 162690, "2004": 256400, "2005": 242130, "2006": 229934}),
    "Italy": (1959782, {"pre2002": 263259, "2003": 271150, "2004": 306373, "2005": 600000, "2006": 519000}),
    "Japan": (146160, {"pre2002": 30000, "2005": 66160, "2006": 50000}),
    "Liechtenstein": (100000, {"2005": 50000, "2006": 50000}),
    "Monaco": (60000, {"2006": 60000}),
    "Netherlands": (1877865, {"2003": 4720, "2005": 937731, "2006": 935414}),
    "New Zealand": (140845, {"2006": 140845}),
    "Norway": (1129861, {"2004": 442478, "2005": 459383, "2006": 228000}),
    "Spain": (605698, {"2003": 156576, "2005": 47337, "2006": 401785}),
    "Sweden": (1311344, {"2005": 491344, "2006": 820000}),
    "Switzerland": (40000, {"2005": 40000}),
    "Turkey": (120170, {"pre2002": 45170, "2004": 50000, "2006": 25000}),
    "United Kingdom of Great Britain and Northern Ireland": (
        1274493,
        {"2004": 478000, "2005": 212146, "2006": 584347},
    ),
    "United States of America": (
        1224000,
        {"pre2002": 230000, "2004": 250000, "2005": 446000, "2006": 298000},
    ),
    "Organization for Security and Co-operation in Europe (OSCE)": (13175, {"2006": 13175}),
}
COLUMN_TOTALS = {"pre2002": 876936, "2003": 1573403, "2004": 2076627, "2005": 4738682, "2006": 6169256}
GRAND_TOTAL = 15434904


def _load_annex() -> None:
    ensure_countries()
    load_funding_2006()


_annex_2006 = module_data(_load_annex)


@pytest.fixture
def annex_loaded(db):  # type: ignore[no-untyped-def]
    """The annex's donors and contributions, loaded once for the module (``_annex_2006``)."""


def _d(value: int) -> Decimal:
    return Decimal(value)


def test_annex_grand_total_equals_the_printed_15_434_904(annex_loaded):
    assert annex_table().grand_total == _d(GRAND_TOTAL)


def test_annex_column_totals_equal_the_printed_ones(annex_loaded):
    table = annex_table()
    assert [c.key for c in table.columns] == ["pre2002", "2003", "2004", "2005", "2006"]
    assert [c.label for c in table.columns] == ["Pre-2002", "2003", "2004", "2005", "2006"]
    assert table.column_totals == {key: _d(v) for key, v in COLUMN_TOTALS.items()}


def test_annex_rows_are_the_19_printed_donors_in_order_with_their_totals_and_cells(annex_loaded):
    table = annex_table()
    assert [row.donor for row in table.rows] == list(PRINTED)
    assert [row.annex_row for row in table.rows] == list(range(1, 20))
    for row in table.rows:
        total, cells = PRINTED[row.donor]
        assert row.total == _d(total), row.donor
        assert row.cells == {key: _d(v) for key, v in cells.items()}, row.donor


def test_first_column_keeps_each_amount_with_its_own_year(annex_loaded):
    items = {
        row.donor: [(int(i.amount), i.year) for i in row.first_column_items] for row in annex_table().rows
    }
    assert items["Austria"] == [(13522, 2002), (294985, 2002)]
    assert items["Italy"] == [(65043, 2001), (198216, 2002)]
    assert items["Japan"] == [(30000, 2002)]
    assert items["Turkey"] == [(20170, 1999), (25000, 2000)]
    assert items["United States of America"] == [(230000, 2000)]
    assert items["Canada"] == []


def test_footnote_unpaid_pledges_are_shown_as_printed_and_attributed_to_no_donor(annex_loaded):
    table = annex_table()
    assert [f.amount for f in table.reported_unpaid_pledges] == [Decimal("878141")]
    # The annex's cells do not tell paid from pledged: nothing to derive from them.
    assert table.derived_unpaid_pledges == Decimal("0")
    assert set(Contribution.objects.values_list("kind", flat=True)) == {ContributionKind.PAID_OR_PLEDGED}


def test_donors_are_18_states_with_their_country_and_the_osce(annex_loaded):
    assert Donor.objects.filter(kind=DonorKind.STATE, country__isnull=False).count() == 18
    osce = Donor.objects.get(kind=DonorKind.ORGANISATION)
    assert osce.organisation is not None
    assert osce.organisation.code == "OSCE"
    assert Contribution.objects.count() == 55
    assert Donor.objects.get(name="Turkey").country.iso3 == "TUR"  # type: ignore[union-attr]


def test_regular_budget_2003_to_2006_is_recorded_as_approximate_with_its_source(annex_loaded):
    budgets = list(RegularBudgetAllocation.objects.values_list("year", "amount", "is_approximate"))
    assert budgets == [(year, Decimal("1000000.00"), True) for year in range(2003, 2007)]
    assert all("para 69" in b.source for b in RegularBudgetAllocation.objects.all())


def test_second_load_of_the_annex_changes_nothing(annex_loaded):
    def history_rows() -> tuple[int, ...]:
        return (
            Contribution.history.count(),
            Donor.history.count(),
            ReportedFundingFigure.history.count(),
            RegularBudgetAllocation.history.count(),
        )

    before = history_rows()
    summary = load_funding_2006()
    assert history_rows() == before
    assert "created" not in summary
    assert "updated" not in summary
    assert annex_table().grand_total == _d(GRAND_TOTAL)


def test_a_new_pledge_and_its_payment_change_the_annex_once(annex_loaded, officer):
    norway = Donor.objects.get(name="Norway")
    pledge = record_pledge(
        actor=officer, reason="test", donor=norway, amount=Decimal("100000"), year=2006
    ).contribution
    table = annex_table()
    assert table.grand_total == _d(GRAND_TOTAL + 100000)
    assert table.derived_unpaid_pledges == Decimal("100000")
    record_payment(actor=officer, reason="test", pledge=pledge, amount=Decimal("60000"), year=2006)
    table = annex_table()
    # Paid and pledged: the payment is part of its pledge, not counted twice.
    assert table.grand_total == _d(GRAND_TOTAL + 100000)
    assert table.column_totals["2006"] == _d(COLUMN_TOTALS["2006"] + 100000)
    assert next(r for r in table.rows if r.donor == "Norway").total == _d(1129861 + 100000)
    assert table.derived_unpaid_pledges == Decimal("40000")


def test_an_overpayment_counts_what_was_paid(annex_loaded, officer):
    norway = Donor.objects.get(name="Norway")
    pledge = record_pledge(
        actor=officer, reason="test", donor=norway, amount=Decimal("1000"), year=2006
    ).contribution
    result = record_payment(actor=officer, reason="test", pledge=pledge, amount=Decimal("1500"), year=2006)
    assert len(result.warnings) == 1
    assert "500.00 more than pledged" in result.warnings[0]
    table = annex_table()
    assert table.grand_total == _d(GRAND_TOTAL + 1500)
    assert table.derived_unpaid_pledges == Decimal("0")


def test_contributions_in_another_currency_or_later_years_stay_out_of_the_annex(annex_loaded, officer):
    norway = Donor.objects.get(name="Norway")
    record_pledge(
        actor=officer, reason="test", donor=norway, amount=Decimal("5000"), year=2006, currency="EUR"
    )
    record_pledge(actor=officer, reason="test", donor=norway, amount=Decimal("5000"), year=2007)
    table = annex_table()
    assert table.grand_total == _d(GRAND_TOTAL)
    assert table.other_currencies == {"EUR": 1}
    assert annex_table(until_year=2007).column_totals["2007"] == Decimal("5000")


def test_annex_table_runs_a_constant_number_of_queries(annex_loaded, django_assert_num_queries):
    # cells, donor totals, column totals, grand total, first-column items, donors, other
    # currencies, the footnote, derived unpaid pledges
    with django_assert_num_queries(9):
        annex_table()
