"""Partners (organisations and agreements), joint work, donors, contributions and the regular budget."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from missions.choices import DatePrecision
from missions.models import Activity, Country, Region
from tracker.writing import record_version

from .choices import (
    ContributionKind,
    DonorKind,
    OrganisationKind,
    OrganisationRole,
    PartnershipKind,
    ReportedFigureKind,
)
from .currencies import is_iso_4217

# Kinds a payment can pay: a pledge or a (firmer) commitment.
PLEDGE_KINDS: tuple[str, ...] = (ContributionKind.PLEDGE, ContributionKind.COMMITMENT)
NEGATIVE_AMOUNT = "The amount cannot be negative."
FIRST_YEAR, LAST_YEAR = 1950, 2100  # the years a contribution may count for


def _refuse_negative(amount: Decimal | None) -> None:
    """The field error behind the ``*_amount_not_negative`` constraints (they name no field)."""
    if amount is not None and amount < 0:
        raise ValidationError({"amount": NEGATIVE_AMOUNT})


class Organisation(models.Model):
    """A body the office works with: UN entity, Council body, regional organisation, association ..."""

    code = models.CharField(max_length=40, unique=True, help_text="Stable code, e.g. the report's org_id.")
    name_en = models.CharField(max_length=300)
    acronym = models.CharField(max_length=40, blank=True)
    name_zh = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=30, choices=OrganisationKind.choices)
    subkind = models.CharField(max_length=300, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    country = models.ForeignKey(
        Country,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
        help_text="For a government or a national body.",
    )
    notes = models.TextField(blank=True)
    source_paragraph = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = record_version()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name_en"]

    def __str__(self) -> str:
        return f"{self.name_en} ({self.acronym})" if self.acronym else self.name_en

    def clean(self) -> None:
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": "An organisation cannot be its own parent."})
        seen = {self.pk}
        parent = self.parent if self.parent_id else None
        while parent is not None:
            if parent.pk in seen:
                raise ValidationError({"parent": f"{self.parent} cannot be the parent: it is below {self}."})
            seen.add(parent.pk)
            parent = parent.parent


class Partnership(models.Model):
    """A formal or working arrangement with a partner, and the work done under it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="partnerships")
    kind = models.CharField(max_length=25, choices=PartnershipKind.choices)
    title = models.CharField(max_length=300, blank=True)
    took_effect_on = models.DateField(null=True, blank=True)
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    areas = models.TextField(blank=True, help_text="What the arrangement covers.")
    activities = models.ManyToManyField(Activity, blank=True, related_name="partnerships")
    source_paragraph = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = record_version()
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation__name_en", "took_effect_on"]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.get_kind_display()}"


class ActivityOrganisation(models.Model):
    """An organisation's role in an activity: co-organiser, host, funder, participant ..."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="organisation_roles")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="activity_roles")
    role = models.CharField(max_length=20, choices=OrganisationRole.choices)
    notes = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["activity", "role", "organisation__name_en"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "organisation", "role"], name="activityorg_unique_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()})"


class Donor(models.Model):
    """A government or an organisation that funds the office's work."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=15, choices=DonorKind.choices)
    country = models.ForeignKey(
        Country, null=True, blank=True, on_delete=models.PROTECT, related_name="donors"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="donors"
    )
    annex_row = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Row in the report's annex."
    )
    version = record_version()
    history = HistoricalRecords()

    class Meta:
        ordering = ["annex_row", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind=DonorKind.STATE, country__isnull=False, organisation__isnull=True)
                    | models.Q(
                        kind=DonorKind.ORGANISATION,
                        country__isnull=True,
                        organisation__isnull=False,
                    )
                ),
                name="donor_is_state_xor_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contribution(models.Model):
    """A donor's pledge, commitment or payment, for a year, in a currency.

    Unpaid pledges are derived (pledged minus paid), never typed.
    """

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="contributions")
    kind = models.CharField(max_length=20, choices=ContributionKind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD", help_text="ISO 4217 code.")
    year = models.PositiveSmallIntegerField(help_text="The year the contribution counts for.")
    date = models.DateField(null=True, blank=True)
    pledge = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        help_text="For a payment: the pledge it pays.",
    )
    earmark = models.CharField(max_length=300, blank=True)
    earmark_region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    earmark_activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="contributions"
    )
    reference = models.CharField(
        max_length=60, unique=True, null=True, blank=True, help_text="Stable import key."
    )
    source = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = record_version()
    history = HistoricalRecords()

    class Meta:
        ordering = ["donor", "year", "date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=Decimal("0")),
                name="contribution_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"),
                name="contribution_currency_iso4217",
            ),
            models.CheckConstraint(
                condition=models.Q(year__gte=FIRST_YEAR, year__lte=LAST_YEAR), name="contribution_year_range"
            ),
        ]

    def __str__(self) -> str:
        amount = f"{self.currency} {self.amount:,.0f}"
        return f"{self.donor} · {self.get_kind_display()} · {amount} ({self.year})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.currency and not is_iso_4217(self.currency):
            errors["currency"] = f"Unknown currency {self.currency!r}: not an ISO 4217 code (e.g. USD, EUR)."
        if self.amount is not None and self.amount < 0:
            errors["amount"] = NEGATIVE_AMOUNT
        if self.year is not None and not FIRST_YEAR <= self.year <= LAST_YEAR:
            errors["year"] = f"The year {self.year} is out of range ({FIRST_YEAR} to {LAST_YEAR})."
        pledge = self.pledge if self.pledge_id is not None else None
        if pledge is not None:
            if self.kind != ContributionKind.PAYMENT:
                errors["pledge"] = "Only a payment can pay a pledge."
            elif pledge.pk == self.pk:
                errors["pledge"] = "A payment cannot pay itself."
            elif pledge.kind not in PLEDGE_KINDS:
                errors["pledge"] = f"{pledge} is not a pledge or a commitment."
            elif self.donor_id is not None and pledge.donor_id != self.donor_id:
                errors["pledge"] = f"{pledge} is another donor's pledge."
            elif self.currency and pledge.currency != self.currency:
                errors["currency"] = (
                    f"The pledge is in {pledge.currency}: record the payment in {pledge.currency}."
                )
        if errors:
            raise ValidationError(errors)


class RegularBudgetAllocation(models.Model):
    """The office's regular-budget allocation for a year (para 69: about USD 1 million a year)."""

    year = models.PositiveSmallIntegerField(unique=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    is_approximate = models.BooleanField(default=False)
    source = models.CharField(max_length=300, blank=True)
    version = record_version()
    history = HistoricalRecords()

    class Meta:
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=Decimal("0")), name="budget_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.currency} {self.amount:,.0f}"

    def clean(self) -> None:
        _refuse_negative(self.amount)


class ReportedFundingFigure(models.Model):
    """A figure a source reports about the contributions as a whole, attributed to no donor.

    The annex of E/CN.15/2007/9 says its totals include USD 878,141 of unpaid pledges without
    saying whose: that figure is recorded here as printed, beside the contributions, never
    spread over them.
    """

    code = models.CharField(max_length=60, unique=True, help_text="Stable import key.")
    kind = models.CharField(max_length=20, choices=ReportedFigureKind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    as_of = models.DateField(help_text="The date the figure stands at.")
    label = models.CharField(max_length=300, help_text="The figure's wording in the source.")
    source = models.CharField(max_length=300)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["as_of", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=Decimal("0")), name="reported_figure_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.currency} {self.amount:,.0f} ({self.as_of:%Y-%m-%d})"

    def clean(self) -> None:
        _refuse_negative(self.amount)
