"""Recording pledges and payments: validation names the field, nothing is half-saved."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from partners.choices import ContributionKind
from partners.models import Contribution, RegularBudgetAllocation, ReportedFundingFigure
from partners.services.funding import (
    create_budget_allocation,
    create_reported_figure,
    record_contribution,
    record_payment,
    record_pledge,
    unpaid_pledges,
)
from tests.factories import ContributionFactory, DonorFactory


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


@pytest.fixture
def donor(db):  # type: ignore[no-untyped-def]
    return DonorFactory.create(name="Norway")


def test_a_pledge_and_its_payment_are_recorded_with_history(donor, officer):
    pledge = record_pledge(
        actor=officer, reason="pledge letter", donor=donor, amount=Decimal("500"), year=2007
    )
    payment = record_payment(
        actor=officer, reason="bank statement", pledge=pledge.contribution, amount=Decimal("200"), year=2007
    )
    assert payment.warnings == []
    assert payment.contribution.donor == donor
    assert payment.contribution.currency == "USD"
    record = payment.contribution.history.get()
    assert (record.history_user, record.history_change_reason) == (officer, "bank statement")
    assert unpaid_pledges() == Decimal("300")
    assert unpaid_pledges(donor=donor, until_year=2006) == Decimal("0")


def test_negative_amount_is_refused(donor, officer):
    with pytest.raises(ValidationError) as excinfo:
        record_pledge(actor=officer, reason="t", donor=donor, amount=Decimal("-1"), year=2006)
    assert errors_of(excinfo) == {"amount": ["The amount cannot be negative."]}
    assert not Contribution.objects.exists()


def test_payment_without_a_donor_is_refused(db, officer):
    with pytest.raises(ValidationError) as excinfo:
        record_payment(actor=officer, reason="t", amount=Decimal("10"), year=2006)
    assert errors_of(excinfo) == {"donor": ["A contribution needs a donor: who pledged or paid it?"]}


def test_unknown_currency_is_refused_even_when_it_looks_like_a_code(donor, officer):
    with pytest.raises(ValidationError) as excinfo:
        record_pledge(actor=officer, reason="t", donor=donor, amount=Decimal("10"), year=2006, currency="XYZ")
    assert errors_of(excinfo) == {
        "currency": ["Unknown currency 'XYZ': not an ISO 4217 code (e.g. USD, EUR)."]
    }
    record_pledge(actor=officer, reason="t", donor=donor, amount=Decimal("10"), year=2006, currency="EUR")


def test_year_out_of_range_is_refused(donor, officer):
    with pytest.raises(ValidationError) as excinfo:
        record_pledge(actor=officer, reason="t", donor=donor, amount=Decimal("10"), year=1900)
    assert errors_of(excinfo) == {"year": ["The year 1900 is out of range (1950 to 2100)."]}


def test_payment_larger_than_its_pledge_is_recorded_and_flagged(donor, officer):
    pledge = record_pledge(
        actor=officer, reason="t", donor=donor, amount=Decimal("100"), year=2006
    ).contribution
    first = record_payment(actor=officer, reason="t", pledge=pledge, amount=Decimal("80"), year=2006)
    second = record_payment(actor=officer, reason="t", pledge=pledge, amount=Decimal("30"), year=2006)
    assert first.warnings == []
    assert second.warnings == [
        f"Payments against the pledge {pledge} total USD 110.00, USD 10.00 more than pledged. "
        "Recorded; please check."
    ]
    assert unpaid_pledges() == Decimal("0")


def test_a_payment_must_pay_a_pledge_of_the_same_donor_and_currency(donor, officer):
    other = DonorFactory.create(name="Sweden")
    pledge = record_pledge(
        actor=officer, reason="t", donor=donor, amount=Decimal("100"), year=2006
    ).contribution
    with pytest.raises(ValidationError) as excinfo:
        record_payment(actor=officer, reason="t", pledge=pledge, donor=other, amount=Decimal("1"), year=2006)
    assert errors_of(excinfo) == {"pledge": [f"{pledge} is another donor's pledge."]}
    with pytest.raises(ValidationError) as excinfo:
        record_payment(
            actor=officer, reason="t", pledge=pledge, amount=Decimal("1"), year=2006, currency="EUR"
        )
    assert errors_of(excinfo) == {"currency": ["The pledge is in USD: record the payment in USD."]}
    payment = record_payment(
        actor=officer, reason="t", pledge=pledge, amount=Decimal("1"), year=2006
    ).contribution
    with pytest.raises(ValidationError) as excinfo:
        record_payment(actor=officer, reason="t", pledge=payment, amount=Decimal("1"), year=2006)
    assert errors_of(excinfo) == {"pledge": [f"{payment} is not a pledge or a commitment."]}
    with pytest.raises(ValidationError) as excinfo:
        record_contribution(
            actor=officer,
            reason="t",
            donor=donor,
            kind=ContributionKind.PLEDGE,
            amount=Decimal("1"),
            year=2006,
            pledge=pledge,
        )
    assert errors_of(excinfo) == {"pledge": ["Only a payment can pay a pledge."]}
    assert Contribution.objects.count() == 2


def test_the_database_refuses_a_negative_amount_written_past_the_service(donor):
    with pytest.raises(IntegrityError), transaction.atomic():
        ContributionFactory.create(donor=donor, amount=Decimal("-5"))


def test_a_negative_budget_or_reported_figure_is_refused_on_its_field(officer):
    with pytest.raises(ValidationError) as excinfo:
        create_budget_allocation(actor=officer, reason="t", year=2007, amount=Decimal("-1"))
    assert errors_of(excinfo) == {"amount": ["The amount cannot be negative."]}
    with pytest.raises(ValidationError) as excinfo:
        create_reported_figure(
            actor=officer,
            reason="t",
            code="T-1",
            kind="unpaid_pledges",
            amount=Decimal("-1"),
            as_of=date(2006, 12, 31),
            label="t",
            source="t",
        )
    assert errors_of(excinfo) == {"amount": ["The amount cannot be negative."]}
    assert not RegularBudgetAllocation.objects.exists()
    assert not ReportedFundingFigure.objects.exists()
