"""Funding: the only writers of donors, their pledges and payments, the regular budget and the
figures a source reports about the contributions as a whole; and unpaid pledges, derived.

Every writer takes an actor and a reason, checks the actor's model permission, validates the
model (each rule lives once, on the model: ``Contribution.clean()`` and its named constraints),
writes atomically with history, and writes only what differs (``records``).

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

from missions import visibility
from missions.models import Activity, Region

from ..choices import ContributionKind
from ..models import PLEDGE_KINDS, Contribution, Donor, RegularBudgetAllocation, ReportedFundingFigure
from . import records
from .records import require_visible_activity

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


def _require_donor(donor: Any) -> None:
    if donor is None:
        raise ValidationError({"donor": "A contribution needs a donor: who pledged or paid it?"})


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
    """Record (create) a pledge, commitment, payment or a paid-or-pledged figure.

    An earmarked activity must be visible to the actor: a hidden one "does not exist".
    """
    _require_donor(donor)
    require_visible_activity(actor, earmark_activity, field="earmark_activity")
    values = {
        "donor": donor,
        "kind": kind,
        "amount": amount,
        "currency": currency,
        "year": year,
        "date": date,
        "pledge": pledge,
        "earmark": earmark,
        "earmark_region": earmark_region,
        "earmark_activity": earmark_activity,
        "reference": reference,
        "source": source,
        "notes": notes,
    }
    with transaction.atomic():
        contribution = records.create(
            Contribution, actor=actor, reason=reason, values=values, what="A contribution"
        )
        return RecordedContribution(contribution, contribution_warnings(contribution))


def update_contribution(
    *, actor: Any, reason: str, contribution: Contribution, **fields: Any
) -> RecordedContribution:
    """Change a contribution; only what differs is written.

    An earmarked activity the actor cannot see is kept when they send none (they cannot have
    meant to remove what they are not shown), and a hidden one cannot be chosen ("does not exist").
    """
    if "donor" in fields:
        _require_donor(fields["donor"])
    if "earmark_activity" in fields:
        chosen = fields["earmark_activity"]
        if chosen is None:
            stored = (
                Contribution.objects.filter(pk=contribution.pk)
                .values_list("earmark_activity", flat=True)
                .first()
            )
            if stored is not None and not visibility.can_see(actor, Activity(pk=stored)):
                del fields["earmark_activity"]
        else:
            require_visible_activity(actor, chosen, field="earmark_activity")
    with transaction.atomic():
        current = records.update(
            contribution, actor=actor, reason=reason, values=fields, what="A contribution"
        )
        return RecordedContribution(current, contribution_warnings(current))


def delete_contribution(*, actor: Any, reason: str, contribution: Contribution) -> None:
    """Delete a contribution; a pledge with payments is protected (ProtectedError)."""
    records.delete(contribution, actor=actor, reason=reason, what="A contribution")


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


# --- Donors ---------------------------------------------------------------------------------
def create_donor(*, actor: Any, reason: str, **fields: Any) -> Donor:
    return records.create(Donor, actor=actor, reason=reason, values=fields, what="A donor")


def update_donor(*, actor: Any, reason: str, donor: Donor, **fields: Any) -> Donor:
    return records.update(donor, actor=actor, reason=reason, values=fields, what="A donor")


def delete_donor(*, actor: Any, reason: str, donor: Donor) -> None:
    """Delete a donor; one with contributions is protected (ProtectedError)."""
    records.delete(donor, actor=actor, reason=reason, what="A donor")


# --- The regular budget (para 69) -------------------------------------------------------------
def create_budget_allocation(*, actor: Any, reason: str, **fields: Any) -> RegularBudgetAllocation:
    return records.create(
        RegularBudgetAllocation, actor=actor, reason=reason, values=fields, what="A budget allocation"
    )


def update_budget_allocation(
    *, actor: Any, reason: str, allocation: RegularBudgetAllocation, **fields: Any
) -> RegularBudgetAllocation:
    return records.update(allocation, actor=actor, reason=reason, values=fields, what="A budget allocation")


def delete_budget_allocation(*, actor: Any, reason: str, allocation: RegularBudgetAllocation) -> None:
    records.delete(allocation, actor=actor, reason=reason, what="A budget allocation")


# --- Figures a source reports about the contributions as a whole ------------------------------
def create_reported_figure(*, actor: Any, reason: str, **fields: Any) -> ReportedFundingFigure:
    return records.create(
        ReportedFundingFigure, actor=actor, reason=reason, values=fields, what="A reported figure"
    )


def update_reported_figure(
    *, actor: Any, reason: str, figure: ReportedFundingFigure, **fields: Any
) -> ReportedFundingFigure:
    return records.update(figure, actor=actor, reason=reason, values=fields, what="A reported figure")


def delete_reported_figure(*, actor: Any, reason: str, figure: ReportedFundingFigure) -> None:
    records.delete(figure, actor=actor, reason=reason, what="A reported figure")
