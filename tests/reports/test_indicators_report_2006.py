"""The report's own figures, computed from the 2006 fixtures where the data supports them.

The README ("Impact indicators") lists every published figure beside ours, with the reason
for each difference; the figures pinned here are those the loaded records reproduce.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from reports.indicators import compute
from reports.models import IndicatorDefinition, IndicatorValue
from reports.services.snapshots import refresh_outcome
from tests.module_data import module_data

pytestmark = pytest.mark.django_db

Y2006 = (datetime.date(2006, 1, 1), datetime.date(2006, 12, 31))
SINCE_2003 = (datetime.date(2003, 1, 1), datetime.date(2006, 12, 31))
TO_END_2006 = (datetime.date(1950, 1, 1), datetime.date(2006, 12, 31))


_report_2006 = module_data(lambda: call_command("load_report_2006", stdout=io.StringIO()))


@pytest.fixture
def report_2006() -> None:
    """The whole 2006 report, loaded once for the module (``_report_2006``)."""


def value(code: str, **when) -> Decimal:  # type: ignore[no-untyped-def]
    return compute(IndicatorDefinition.objects.get(code=code), **when).value


def test_54_countries_directly_assisted_in_2006_with_the_per_kind_lists(report_2006) -> None:  # type: ignore[no-untyped-def]
    result = compute(IndicatorDefinition.objects.get(code="IND-COUNTRIES-DIRECT"), period=Y2006)

    assert result.value == Decimal(54)  # IF-02, para 15
    assert result.breakdown["per_kind"] == {
        "ctc_report_support": 4,  # IF-04, para 17
        "delegation_visit": 4,  # IF-05, para 18
        "direct_assistance": 54,
        "video_conference": 11,  # IF-03, para 16
    }


def test_workshops_and_cted_visits_of_2006(report_2006) -> None:  # type: ignore[no-untyped-def]
    assisted = compute(IndicatorDefinition.objects.get(code="IND-COUNTRIES-ASSISTED"), period=Y2006)

    assert value("IND-WORKSHOPS-HELD", period=Y2006) == Decimal(10)  # IF-09, para 21
    assert assisted.breakdown["per_kind"]["cted_joint_visit"] == 9  # IF-37, para 38(e)


def test_annex_totals_and_the_18_donor_countries(report_2006) -> None:  # type: ignore[no-untyped-def]
    assert value("IND-CONTRIB-PAID-PLEDGED", period=TO_END_2006) == Decimal(15434904)  # IF-31, annex
    assert value("IND-CONTRIB-PAID-PLEDGED", period=SINCE_2003) == Decimal(14557968)  # 2003-2006 columns
    assert value("IND-DONOR-COUNTRIES", period=SINCE_2003) == Decimal(18)  # IF-29, para 67


def test_loading_and_refreshing_twice_changes_nothing(report_2006) -> None:  # type: ignore[no-untyped-def]
    first = refresh_outcome(periods=[Y2006, SINCE_2003], reference_dates=[datetime.date(2007, 1, 1)])
    history = IndicatorValue.history.count()

    call_command("load_report_2006", stdout=io.StringIO())
    second = refresh_outcome(periods=[Y2006, SINCE_2003], reference_dates=[datetime.date(2007, 1, 1)])

    assert first.written == 2 * (17 * 2 + 2)  # both audiences
    assert (second.written, second.changed) == (0, 0)
    assert IndicatorValue.history.count() == history
