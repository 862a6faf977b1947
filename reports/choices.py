"""Kinds and statuses of the reports app."""

from django.db import models

from tracker.leases import LeaseStatus


class ScopeKind(models.TextChoices):
    GLOBAL = "global", "Global"
    REGION = "region", "Region"
    COUNTRY = "country", "Country"


class Exactness(models.TextChoices):
    EXACT = "exact", "Exact"
    MORE_THAN = "more_than", "More than"
    AT_LEAST = "at_least", "At least"
    ABOUT = "about", "About"
    ESTIMATED = "estimated", "Estimated"
    DERIVED = "derived", "Derived from a printed list"


# The statuses of leased work (reports, deliveries, computation runs): one definition.
RunStatus = LeaseStatus


class Frequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"
    CRON = "cron", "Cron expression"


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"
    HTML = "html", "HTML"
