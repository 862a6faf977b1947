"""Donors' pledges and payments: the only writers of Contribution, and unpaid pledges derived.

Rules (issue 4):
- every contribution has a donor, a kind, a non-negative amount, an ISO 4217 currency and a
  year in 1950-2100 (``Contribution.clean()`` names the field of each problem);
- a payment may pay a pledge (or commitment) of the same donor, in the same currency;
- a payment that takes the payments of its pledge above the pledged amount is recorded and
  flagged, not refused: donors do pay more than they pledged (exchange-rate gains, a top-up),
  and refusing would push the officer to type a wrong figure. The warning is returned to the
  caller, which shows it (the admin shows it as a warning message), and the annex then counts
  what was paid, not the smaller pledge.
- unpaid pledges are never typed: they are pledged minus paid, per pledge, by the database.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from missions.models import Activity, Region
from tracker.history import change_context

from ..choices import ContributionKind
from ..models import PLEDGE_KINDS, Contribution, Donor

ZERO = Decimal("0")
_AMOUNT = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class RecordedContribution:
    """A saved contribution and the warnings it raised (shown, not blocking)."""

    contribution: Contribution
    warnings: list[str] = field(default_factory=list)


def paid_against(pledge_ref: Any) -> Subquery:
    """Sum of the payments of the pledge ``pledge_ref`` (an OuterRef), NULL when none."""
    return Subquery(
        Contribution.objects.filter(pledge=pledge_ref, kind=ContributionKind.PAYMENT)
        .order_by()
        .values("pledge")
        .annotate(paid=Sum("amount"))
        .values("paid"),
        output_field=_AMOUNT,
    )


def with_paid(pledges: QuerySet[Contribution]) -> QuerySet[Contribution]:
    """Annotate pledges with ``paid`` (sum of their payments) and ``unpaid`` (never below 0)."""
    return pledges.annotate(
        paid=Coalesce(paid_against(OuterRef("pk")), Value(ZERO), output_field=_AMOUNT)
    ).annotate(unpaid=Greatest(F("amount") - F("paid"), Value(ZERO), output_field=_AMOUNT))


def unpaid_pledges(
    *, currency: str = "USD", until_year: int | None = None, donor: Donor | None = None
) -> Decimal:
    """Unpaid pledges (pledged minus paid, per pledge) where the data tells them apart.

    Contributions of kind ``paid_or_pledged`` (the 2006 annex's cells) cannot tell, so they
    add nothing here; the annex's own unpaid figure is a ReportedFundingFigure.
    """
    pledges = Contribution.objects.filter(kind__in=PLEDGE_KINDS, currency=currency)
    if until_year is not None:
        pledges = pledges.filter(year__lte=until_year)
    if donor is not None:
        pledges = pledges.filter(donor=donor)
    total = with_paid(pledges).aggregate(total=Sum("unpaid"))["total"]
    return total if total is not None else ZERO


def contribution_warnings(contribution: Contribution) -> list[str]:
    """Warnings about a saved contribution: payments above their pledge."""
    if contribution.kind == ContributionKind.PAYMENT and contribution.pledge is not None:
        pledge = contribution.pledge
    elif contribution.kind in PLEDGE_KINDS and contribution.pk is not None:
        pledge = contribution
    else:
        return []
    paid = (
        pledge.payments.filter(kind=ContributionKind.PAYMENT).aggregate(total=Sum("amount"))["total"] or ZERO
    )
    if paid > pledge.amount:
        return [
            f"Payments against the pledge {pledge} total {pledge.currency} {paid:,.2f}, "
            f"{pledge.currency} {paid - pledge.amount:,.2f} more than pledged. Recorded; please check."
        ]
    return []


def save_contribution(*, actor: Any, reason: str, contribution: Contribution) -> RecordedContribution:
    """Validate and save a new or changed contribution (the admin's write path)."""
    if contribution.donor_id is None:
        raise ValidationError({"donor": "A contribution needs a donor: who pledged or paid it?"})
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        contribution.full_clean()
        contribution.save()
        return RecordedContribution(contribution, contribution_warnings(contribution))


def record_contribution(
    *,
    actor: Any,
    reason: str,
    donor: Donor | None,
    kind: str,
    amount: Decimal,
    year: int,
    currency: str = "USD",
    date: date | None = None,
    pledge: Contribution | None = None,
    earmark: str = "",
    earmark_region: Region | None = None,
    earmark_activity: Activity | None = None,
    reference: str | None = None,
    source: str = "",
    notes: str = "",
) -> RecordedContribution:
    """Record a pledge, commitment, payment or a paid-or-pledged figure."""
    if donor is None:
        raise ValidationError({"donor": "A contribution needs a donor: who pledged or paid it?"})
    contribution = Contribution(
        donor=donor,
        kind=kind,
        amount=amount,
        currency=currency,
        year=year,
        date=date,
        pledge=pledge,
        earmark=earmark,
        earmark_region=earmark_region,
        earmark_activity=earmark_activity,
        reference=reference,
        source=source,
        notes=notes,
    )
    return save_contribution(actor=actor, reason=reason, contribution=contribution)


def record_pledge(
    *, actor: Any, reason: str, donor: Donor | None, amount: Decimal, year: int, **fields: Any
) -> RecordedContribution:
    return record_contribution(
        actor=actor,
        reason=reason,
        donor=donor,
        kind=ContributionKind.PLEDGE,
        amount=amount,
        year=year,
        **fields,
    )


def record_payment(
    *,
    actor: Any,
    reason: str,
    amount: Decimal,
    year: int,
    pledge: Contribution | None = None,
    donor: Donor | None = None,
    **fields: Any,
) -> RecordedContribution:
    """Record a payment, against ``pledge`` when given (its donor and currency by default)."""
    if pledge is not None:
        donor = donor or pledge.donor
        fields.setdefault("currency", pledge.currency)
    return record_contribution(
        actor=actor,
        reason=reason,
        donor=donor,
        kind=ContributionKind.PAYMENT,
        amount=amount,
        year=year,
        pledge=pledge,
        **fields,
    )
