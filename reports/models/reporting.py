"""Report schedules, generated reports, their files and their deliveries."""

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Subquery
from simple_history.models import HistoricalRecords

from missions.models import Country, Region
from tracker.actors import Audience
from tracker.leases import LeasedWork
from tracker.writing import record_version

from ..choices import Frequency, ReportFormat, ScopeKind
from .indicators import IndicatorValue


class ReportScheduleQuerySet(models.QuerySet["ReportSchedule"]):
    def with_last_result(self) -> "ReportScheduleQuerySet":
        """Each schedule with its latest report's id, status, time of its last change and error
        (``last_report_*``; None before its first report), in the same query."""
        latest = Report.objects.filter(schedule=OuterRef("pk")).order_by("-created_at", "-pk")
        return self.annotate(
            last_report_id=Subquery(latest.values("pk")[:1]),
            last_report_status=Subquery(latest.values("status")[:1]),
            last_report_at=Subquery(latest.values("updated_at")[:1]),
            last_report_error=Subquery(latest.values("error")[:1]),
        )


class ReportSchedule(models.Model):
    """What a manager receives, how often, about which period and scope, in which formats."""

    name = models.CharField(max_length=200, unique=True)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="report_schedules")
    extra_addresses = models.TextField(blank=True, help_text="More e-mail addresses, one per line.")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.YEARLY)
    cron = models.CharField(max_length=100, blank=True, help_text="For the cron frequency, e.g. '0 6 1 * *'.")
    scope_kind = models.CharField(max_length=10, choices=ScopeKind.choices, default=ScopeKind.GLOBAL)
    scope_region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_country = models.ForeignKey(
        Country, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    formats = models.JSONField(default=list, help_text="Any of pdf, xlsx, html.")
    audience = models.CharField(
        max_length=5,
        choices=Audience.choices,
        default=Audience.OPEN,
        help_text=(
            "Set by the service: all only when its creator sees confidential records and every "
            "address lies inside the organisation."
        ),
    )
    is_active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(help_text="When the next report is due.")
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = record_version()
    history = HistoricalRecords()

    objects = ReportScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [
            (
                "add_external_recipients",
                "Can add extra addresses to report schedules (outside ones only with an allowed domain)",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Report(LeasedWork):
    """One generated report: its period, scope, status and the snapshots it used."""

    schedule = models.ForeignKey(
        ReportSchedule,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        help_text="Empty for a report made on demand.",
    )
    title = models.CharField(max_length=300)
    period_start = models.DateField()
    period_end = models.DateField()
    scope_kind = models.CharField(max_length=10, choices=ScopeKind.choices, default=ScopeKind.GLOBAL)
    scope_region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_country = models.ForeignKey(
        Country, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    formats = models.JSONField(default=list)
    audience = models.CharField(
        max_length=5,
        choices=Audience.choices,
        default=Audience.OPEN,
        help_text="Who the report is for: when open, its content and figures leave confidential records out.",
    )
    indicator_values = models.ManyToManyField(IndicatorValue, blank=True, related_name="reports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its task was last handed to the broker (empty: not yet, or the broker was away).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="report_period_ordered",
            ),
            # A schedule produces one report per period, however many dispatchers run.
            models.UniqueConstraint(
                fields=["schedule", "period_start", "period_end"],
                condition=models.Q(schedule__isnull=False),
                name="report_unique_schedule_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.period_start}–{self.period_end})"


def report_file_path(instance: Any, filename: str) -> str:
    """``reports/<128 random bits>/<filename>``: a stored name cannot be guessed from the report
    (its id and period), should the storage ever be reachable without the download views."""
    return f"reports/{secrets.token_urlsafe(16)}/{filename}"


class ReportFile(models.Model):
    """A rendered file of a report, with its checksum."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="files")
    format = models.CharField(max_length=5, choices=ReportFormat.choices)
    file = models.FileField(upload_to=report_file_path)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "format"]
        constraints = [
            models.UniqueConstraint(fields=["report", "format"], name="reportfile_unique_format"),
        ]

    def __str__(self) -> str:
        return f"{self.report} · {self.get_format_display()}"


class Delivery(LeasedWork):
    """One e-mail of a report to one recipient, with its outcome."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="deliveries")
    address = models.EmailField()
    sent_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its task was last handed to the broker (empty: not yet, or the broker was away).",
    )

    class Meta:
        ordering = ["report", "address"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["report", "address"], name="delivery_unique_address"),
        ]

    def __str__(self) -> str:
        return f"{self.report} → {self.address} ({self.get_status_display()})"
