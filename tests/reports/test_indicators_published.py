import datetime
from decimal import Decimal

import pytest

from reports.choices import Exactness
from reports.models import IndicatorDefinition, PublishedFigure
from reports.services.published_figures import load_published_figures

pytestmark = pytest.mark.django_db


def test_load_creates_every_definition_and_the_37_published_figures() -> None:
    summary = load_published_figures()

    assert IndicatorDefinition.objects.count() == 19
    assert PublishedFigure.objects.count() == 37
    assert summary.startswith("19 indicator definitions created")
    assert "37 created, 0 updated, 0 unchanged" in summary


def test_second_load_changes_nothing_and_writes_no_history() -> None:
    load_published_figures()
    history_before = (
        PublishedFigure.history.count(),
        IndicatorDefinition.history.count(),
    )

    summary = load_published_figures()

    assert "0 indicator definitions created (19 already present)" in summary
    assert "0 created, 0 updated, 37 unchanged" in summary
    assert (PublishedFigure.history.count(), IndicatorDefinition.history.count()) == history_before


def test_month_precision_reference_date_is_the_first_and_periods_end_on_the_last_day() -> None:
    load_published_figures()

    all_12_2007 = PublishedFigure.objects.get(figure_id="IF-19")
    direct_2006 = PublishedFigure.objects.get(figure_id="IF-02")
    assert all_12_2007.reference_date == datetime.date(2007, 1, 1)
    assert all_12_2007.indicator is not None
    assert all_12_2007.indicator.code == "IND-RATIF-ALL-12"
    assert (direct_2006.period_start, direct_2006.period_end) == (
        datetime.date(2006, 1, 1),
        datetime.date(2006, 12, 31),
    )
    assert direct_2006.value == Decimal(54)


def test_report_date_figures_carry_no_date_and_say_so() -> None:
    load_published_figures()

    incorporated = PublishedFigure.objects.get(figure_id="IF-22")
    assert incorporated.reference_date is None
    assert incorporated.period_start is None
    assert "does not print" in incorporated.notes
    assert incorporated.exactness == Exactness.AT_LEAST
    assert PublishedFigure.objects.get(figure_id="IF-10").exactness == Exactness.MORE_THAN


def test_officer_edits_of_a_definition_survive_a_reload() -> None:
    load_published_figures()
    IndicatorDefinition.objects.filter(code="IND-TOOLS-DEVELOPED").update(name="Tools (edited)")

    load_published_figures()

    assert IndicatorDefinition.objects.get(code="IND-TOOLS-DEVELOPED").name == "Tools (edited)"
