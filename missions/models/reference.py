"""Reference data: regions, countries and the universal counter-terrorism instruments."""

import datetime

from django.db import models
from simple_history.models import HistoricalRecords

from tracker.writing import record_version

from ..choices import Coverage, InstrumentGroup, RegionKind


class Region(models.Model):
    """A field region of the office (para 13), a GPML mentor region, or a UN M49 grouping."""

    code = models.CharField(max_length=40, unique=True, help_text="Stable code, e.g. M49-002 or FIELD-WCA.")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=RegionKind.choices)
    m49_code = models.CharField(
        max_length=3, blank=True, help_text="Zero-padded M49 code, for M49 groupings."
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    source = models.CharField(max_length=300, blank=True)
    version = record_version()
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="region_unique_kind_name"),
        ]
        # Who works where follows from regions, countries' regions and officer assignments, so
        # changing them is an administrator's decision (missions.services.reference_data).
        permissions = [
            (
                "change_reference_data",
                "Can change regions, countries' regions, instruments and officer assignments",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CountryQuerySet(models.QuerySet["Country"]):
    def in_region(self, region: Region) -> "CountryQuerySet":
        """Countries of a region of any kind: M49 region, sub-region or intermediate region
        (through the country's M49 links) or the office's field region (Country.field_region).
        A GPML mentor region has no member countries in any source, so it matches none."""
        return self.filter(
            models.Q(m49_region=region)
            | models.Q(m49_subregion=region)
            | models.Q(m49_intermediate_region=region)
            | models.Q(field_region=region)
        )

    def un_members_at(self, as_of: datetime.date) -> "CountryQuerySet":
        """UN member states on ``as_of`` (admitted on or before that date)."""
        return self.filter(is_un_member=True, un_admission_date__lte=as_of)


class Country(models.Model):
    """A state or area, with its codes, UN membership and names in the six UN languages."""

    iso3 = models.CharField("ISO 3166 alpha-3", max_length=3, unique=True)
    iso2 = models.CharField("ISO 3166 alpha-2", max_length=2, unique=True)
    m49 = models.CharField("M49 code", max_length=3, unique=True, help_text="Zero-padded, e.g. 004.")
    name_en = models.CharField("name (English)", max_length=200)
    name_fr = models.CharField("name (French)", max_length=200, blank=True)
    name_es = models.CharField("name (Spanish)", max_length=200, blank=True)
    name_ru = models.CharField("name (Russian)", max_length=200, blank=True)
    name_zh = models.CharField("name (Chinese)", max_length=200, blank=True)
    name_ar = models.CharField("name (Arabic)", max_length=200, blank=True)
    formal_name_en = models.CharField(max_length=300, blank=True)
    is_un_member = models.BooleanField("UN member state", default=False)
    un_admission_date = models.DateField(null=True, blank=True)
    m49_region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": RegionKind.M49_REGION},
    )
    m49_subregion = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": RegionKind.M49_SUBREGION},
    )
    m49_intermediate_region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": RegionKind.M49_INTERMEDIATE},
        help_text="UN M49 intermediate region, where M49 defines one (e.g. Western Africa).",
    )
    field_region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="field_countries",
        limit_choices_to={"kind": RegionKind.FIELD},
        help_text="The office's field region responsible for this country, where one is assigned.",
    )
    source = models.CharField(max_length=300, blank=True)
    version = record_version()
    history = HistoricalRecords()

    objects = CountryQuerySet.as_manager()

    class Meta:
        ordering = ["name_en"]
        verbose_name_plural = "countries"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(is_un_member=True, un_admission_date__isnull=True),
                name="country_member_has_admission_date",
            ),
        ]

    def __str__(self) -> str:
        return self.name_en


class Instrument(models.Model):
    """A universal counter-terrorism convention or protocol (19 of them by 2014)."""

    code = models.CharField(max_length=40, unique=True)
    seq = models.PositiveSmallIntegerField(unique=True, help_text="Order in the usual list.")
    group = models.CharField(max_length=20, choices=InstrumentGroup.choices)
    short_title = models.CharField(max_length=200)
    title_en = models.CharField(max_length=400)
    title_zh = models.CharField(max_length=400, blank=True)
    adoption_place = models.CharField(max_length=100, blank=True)
    adoption_date = models.DateField()
    depositary = models.CharField(max_length=300)
    adopted_by = models.CharField(max_length=300, blank=True)
    status_coverage = models.CharField(
        max_length=10,
        choices=Coverage.choices,
        default=Coverage.MISSING,
        help_text="How complete the status (deposit) data held for this instrument is.",
    )
    status_covered_until = models.DateField(
        null=True, blank=True, help_text="Deposits up to this date are in the data."
    )
    status_source = models.CharField(max_length=300, blank=True)
    data_source = models.CharField(
        max_length=300, blank=True, help_text="Where the instrument's own facts come from."
    )
    version = record_version()
    history = HistoricalRecords()

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"{self.short_title} ({self.adoption_date.year})"

    @property
    def is_first_12(self) -> bool:
        return self.group == InstrumentGroup.FIRST_12
