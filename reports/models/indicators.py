"""Indicator definitions, the figures the office published, and computed snapshots."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from missions.models import Country, Region
from tracker.actors import Audience
from tracker.leases import LeasedWork
from tracker.writing import record_version

from ..choices import Exactness, ScopeKind


class IndicatorDefinition(models.Model):
    """A measure of the office's work or impact (paras 9-32, 67), defined once.

    Its formula, the formula's version and whether it is computed at a reference date or over
    a period live in the code (``reports.indicators.FORMULAS``), never in editable columns: a
    definition exists only for a code that has a formula there.
    """

    code = models.CharField(max_length=60, unique=True)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=60)
    source_paragraph = models.CharField(max_length=60, blank=True)
    baseline_value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    baseline_date = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    display_order = models.PositiveSmallIntegerField(default=0)
    version = record_version()
    history = HistoricalRecords()

    class Meta:
        ordering = ["display_order", "code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    def clean(self) -> None:
        super().clean()
        if self.code and self._formula() is None:
            raise ValidationError(
                {
                    "code": (
                        f"No formula for the indicator code {self.code!r}: a definition needs one "
                        "in the code (reports.indicators.FORMULAS)."
                    )
                }
            )

    def _formula(self) -> Any:
        from ..indicators import FORMULAS  # the formulas read the models: imported when asked

        return FORMULAS.get(self.code)

    @property
    def formula_version(self) -> int | None:
        """The version of its formula in the code (None for a code without one)."""
        formula = self._formula()
        return formula.version if formula is not None else None

    @property
    def takes_reference_date(self) -> bool | None:
        """Computed at a date (stock), not over a period (flow); from the code."""
        formula = self._formula()
        return formula.takes_reference_date if formula is not None else None


class IndicatorTarget(models.Model):
    """A value the office aims to reach by a date."""

    indicator = models.ForeignKey(IndicatorDefinition, on_delete=models.CASCADE, related_name="targets")
    value = models.DecimalField(max_digits=16, decimal_places=2)
    target_date = models.DateField()
    notes = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "target_date"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "target_date"], name="target_unique_date"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} → {self.value} by {self.target_date.isoformat()}"


class PublishedFigure(models.Model):
    """A value the office has published (e.g. the report's own figures, impact_figures.csv)."""

    indicator = models.ForeignKey(
        IndicatorDefinition,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="published_figures",
    )
    figure_id = models.CharField(max_length=20, unique=True, help_text="e.g. IF-19.")
    meaning = models.TextField()
    value = models.DecimalField(max_digits=16, decimal_places=2)
    unit = models.CharField(max_length=60)
    exactness = models.CharField(max_length=12, choices=Exactness.choices, default=Exactness.EXACT)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    reference_date = models.DateField(null=True, blank=True)
    document_symbol = models.CharField(max_length=60, default="E/CN.15/2007/9")
    paragraph = models.CharField(max_length=60)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["figure_id"]

    def __str__(self) -> str:
        return f"{self.figure_id}: {self.value} {self.unit}"


class IndicatorValue(models.Model):
    """A computed snapshot, upserted on indicator × period or date × scope × audience.

    Each value exists for two audiences: ``all`` counts confidential activities, ``open`` does
    not; readers get the one their access allows (``missions.visibility.visible``). The history
    keeps earlier values, so "what we reported on date X" can be reproduced.
    """

    indicator = models.ForeignKey(IndicatorDefinition, on_delete=models.PROTECT, related_name="values")
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    reference_date = models.DateField(null=True, blank=True)
    scope_kind = models.CharField(max_length=10, choices=ScopeKind.choices, default=ScopeKind.GLOBAL)
    scope_region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_country = models.ForeignKey(
        Country, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_key = models.CharField(
        max_length=40, help_text="global, region:<code> or country:<iso3>; part of the natural key."
    )
    when_key = models.CharField(
        max_length=25,
        help_text="Reference date (2007-01-01) or period (2006-01-01..2006-12-31); natural key.",
    )
    audience = models.CharField(
        max_length=5,
        choices=Audience.choices,
        default=Audience.ALL,
        help_text="With confidential records (all) or without (open); part of the natural key.",
    )
    value = models.DecimalField(max_digits=16, decimal_places=2)
    breakdown = models.JSONField(default=dict, blank=True)
    input_count = models.PositiveIntegerField(default=0)
    input_fingerprint = models.CharField(max_length=64)
    coverage = models.CharField(max_length=300, blank=True)
    is_complete = models.BooleanField(default=True, help_text="False when inputs have partial coverage.")
    formula_version = models.PositiveSmallIntegerField()
    computed_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "-reference_date", "-period_start", "scope_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "when_key", "scope_key", "audience"],
                name="indicatorvalue_natural_key_audience",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        reference_date__isnull=False,
                        period_start__isnull=True,
                        period_end__isnull=True,
                    )
                    | models.Q(
                        reference_date__isnull=True,
                        period_start__isnull=False,
                        period_end__isnull=False,
                    )
                ),
                name="indicatorvalue_date_xor_period",
            ),
        ]

    def __str__(self) -> str:
        when = (
            self.reference_date.isoformat()
            if self.reference_date
            else f"{self.period_start}–{self.period_end}"
        )
        return f"{self.indicator.code} {when} {self.scope_key} ({self.audience}): {self.value}"


class ComputationRun(LeasedWork):
    """One request to compute indicators, with its status, so officers can see what happened."""

    indicator = models.ForeignKey(
        IndicatorDefinition,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
        help_text="Empty for 'all indicators'.",
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    reference_date = models.DateField(null=True, blank=True)
    scope_key = models.CharField(max_length=40, default="global")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    values_written = models.PositiveIntegerField(default=0)
    values_changed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            # The sweep reads the running runs every minute; the table grows with every change.
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status="running"),
                name="computationrun_running_lease",
            ),
        ]

    def __str__(self) -> str:
        what = self.indicator.code if self.indicator else "all indicators"
        return f"{what} · {self.get_status_display()} · {self.requested_at:%Y-%m-%d %H:%M}"
