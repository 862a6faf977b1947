"""A country's legal status: deposits of the instruments and legislative steps."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from tracker.writing import record_version

from ..choices import DatePrecision, LegislationKind, RatificationAction
from .reference import Country, Instrument


class Ratification(models.Model):
    """A country's deposit of consent to an instrument (or, with no deposit, its signature).

    One row per country and instrument; a correction replaces it and the old values stay in
    its history.
    """

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="ratifications")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="ratifications")
    action = models.CharField(
        max_length=20,
        choices=RatificationAction.choices,
        blank=True,
        help_text="Empty when the country has only signed.",
    )
    signature_date = models.DateField(null=True, blank=True)
    deposit_date = models.DateField(
        null=True, blank=True, help_text="Date of deposit of the instrument of consent."
    )
    entry_into_force_date = models.DateField(null=True, blank=True)
    reservations = models.TextField("reservations or declarations", blank=True)
    source = models.CharField(max_length=300, blank=True, help_text="Depositary, document or dataset.")
    source_reference = models.CharField(
        max_length=300, blank=True, help_text="The source's own cell or page."
    )
    retrieved_on = models.DateField(null=True, blank=True)
    version = record_version()
    history = HistoricalRecords()

    class Meta:
        ordering = ["country__name_en", "instrument__seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "instrument"], name="ratification_unique_country_instrument"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(action="", deposit_date__isnull=True)
                    | (~models.Q(action="") & models.Q(deposit_date__isnull=False))
                ),
                name="ratification_action_iff_deposit",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(entry_into_force_date__isnull=True)
                    | models.Q(deposit_date__isnull=True)
                    | models.Q(entry_into_force_date__gte=models.F("deposit_date"))
                ),
                name="ratification_in_force_not_before_deposit",
            ),
        ]

    def __str__(self) -> str:
        what = self.get_action_display() or "Signature"
        return f"{self.country} · {self.instrument.short_title} · {what}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        instrument = getattr(self, "instrument", None) if self.instrument_id else None
        if instrument is not None:
            for field in ("signature_date", "deposit_date"):
                value = getattr(self, field)
                if value and value < instrument.adoption_date:
                    errors[field] = (
                        f"{value.isoformat()} is before the instrument was adopted "
                        f"({instrument.adoption_date.isoformat()})."
                    )
        if bool(self.action) != bool(self.deposit_date):
            errors["action" if self.deposit_date else "deposit_date"] = (
                "A deposit needs both its kind of act and its date."
            )
        if errors:
            raise ValidationError(errors)


class LegislationEvent(models.Model):
    """A country incorporating the instruments' provisions, or adopting, amending or drafting a law."""

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="legislation_events")
    kind = models.CharField(max_length=20, choices=LegislationKind.choices)
    title = models.CharField(max_length=400, blank=True, help_text="The law's title, where known.")
    date = models.DateField()
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    instruments = models.ManyToManyField(Instrument, blank=True, related_name="legislation_events")
    assisted_by_office = models.BooleanField(default=False)
    activity = models.ForeignKey(
        "missions.Activity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="legislation_events",
        help_text="The activity through which the office assisted.",
    )
    source = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = record_version()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "country__name_en"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "kind", "date", "title"],
                name="legislation_unique_country_kind_date_title",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country} · {self.get_kind_display()} · {self.date.isoformat()}"

    def clean(self) -> None:
        if self.activity_id and not self.assisted_by_office:
            raise ValidationError(
                {"assisted_by_office": "An event linked to an activity was assisted by the office."}
            )
