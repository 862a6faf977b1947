"""Technical-assistance tools: guides, model laws, databases and software (paras 22-28, 32)."""

from django.db import models
from simple_history.models import HistoricalRecords

from ..choices import DatePrecision, ToolStatus
from .reference import Country


class Tool(models.Model):
    """A tool the office (or a sister unit) developed, published or disseminated."""

    code = models.CharField(max_length=30, unique=True, help_text="Stable code, e.g. TOOL-02.")
    name_en = models.CharField(max_length=400)
    name_zh = models.CharField(max_length=400, blank=True)
    kind = models.CharField(max_length=100, help_text="checklist, legislative guide, model law, database ...")
    owner_unit = models.CharField(max_length=100, blank=True)
    partners = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=ToolStatus.choices, default=ToolStatus.COMPLETED)
    status_date = models.DateField(null=True, blank=True)
    status_date_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    availability = models.CharField(max_length=400, blank=True, help_text="URL, sales number, access terms.")
    legal_system = models.CharField(max_length=50, blank=True)
    countries = models.ManyToManyField(Country, blank=True, related_name="tools")
    counts_as_office_tool = models.BooleanField(
        default=True, help_text="Counts in the office's 'tools developed' indicator (para 32)."
    )
    source_paragraph = models.CharField(max_length=60, blank=True)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_en
