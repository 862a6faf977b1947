"""What a figure or a report covers: the whole office, one region or one country, for an audience.

One ``Scope`` for the indicators, the report content and the report schedules, so "an activity
in this region" means the same everywhere: the rule of ``missions.visibility`` (the activity's
own region is the scope's region, or its host country or one of its listed countries lies in
the scope), and "confidential records" are left out of an ``open`` scope whatever reads it.

The audience is not part of ``key`` (the geographic part of a snapshot's natural key); the
snapshot stores it in its own ``audience`` column.
"""

from dataclasses import dataclass, replace
from typing import Any, cast

from django.db.models import Exists, OuterRef, Q, QuerySet

from missions.models import Activity, ActivityCountry, Country, Region
from missions.models.activities import ActivityQuerySet
from tracker.actors import Audience

from .choices import ScopeKind


@dataclass(frozen=True)
class Scope:
    """Global, one region (of any kind) or one country, for the ``all`` or the ``open`` audience."""

    kind: str = ScopeKind.GLOBAL
    region_id: int | None = None
    region_code: str = ""
    region_kind: str = ""
    region_name: str = ""
    country_id: int | None = None
    country_iso3: str = ""
    country_name: str = ""
    audience: str = Audience.ALL

    # --- Constructors ---------------------------------------------------------------------
    @classmethod
    def global_(cls, *, audience: str = Audience.ALL) -> "Scope":
        return cls(audience=audience)

    @classmethod
    def for_region(cls, region: Region, *, audience: str = Audience.ALL) -> "Scope":
        return cls(
            kind=ScopeKind.REGION,
            region_id=region.pk,
            region_code=region.code,
            region_kind=region.kind,
            region_name=region.name,
            audience=audience,
        )

    @classmethod
    def for_country(cls, country: Country, *, audience: str = Audience.ALL) -> "Scope":
        return cls(
            kind=ScopeKind.COUNTRY,
            country_id=country.pk,
            country_iso3=country.iso3,
            country_name=country.name_en,
            audience=audience,
        )

    @classmethod
    def of(cls, record: Any) -> "Scope":
        """The scope of a row with scope_kind / scope_region / scope_country (and audience):
        a report or a report schedule."""
        audience = getattr(record, "audience", Audience.ALL)
        if record.scope_kind == ScopeKind.REGION and record.scope_region is not None:
            return cls.for_region(record.scope_region, audience=audience)
        if record.scope_kind == ScopeKind.COUNTRY and record.scope_country is not None:
            return cls.for_country(record.scope_country, audience=audience)
        return cls.global_(audience=audience)

    def with_audience(self, audience: str) -> "Scope":
        return replace(self, audience=audience)

    # --- Keys and labels ------------------------------------------------------------------
    @property
    def key(self) -> str:
        if self.kind == ScopeKind.REGION:
            return f"region:{self.region_code}"
        if self.kind == ScopeKind.COUNTRY:
            return f"country:{self.country_iso3}"
        return "global"

    @property
    def label(self) -> str:
        if self.kind == ScopeKind.REGION:
            return f"Region: {self.region_name or self.region_code}"
        if self.kind == ScopeKind.COUNTRY:
            return f"Country: {self.country_name or self.country_iso3}"
        return "Global"

    @property
    def is_global(self) -> bool:
        return self.kind == ScopeKind.GLOBAL

    @property
    def is_open(self) -> bool:
        return self.audience == Audience.OPEN

    # --- Reads ----------------------------------------------------------------------------
    def countries(self) -> QuerySet[Country]:
        """The countries in scope, as a lazy queryset (used as a subquery, never evaluated alone)."""
        if self.kind == ScopeKind.COUNTRY:
            return Country.objects.filter(Q(pk=self.country_id))
        if self.kind == ScopeKind.REGION:
            region = Region(pk=self.region_id, code=self.region_code, kind=self.region_kind)
            return Country.objects.in_region(region)
        return Country.objects.all()

    def country_q(self, path: str) -> Q:
        """Rows whose country (at ``path``, e.g. "country" or "donor__country") is in scope."""
        if self.kind == ScopeKind.GLOBAL:
            return Q()
        if self.kind == ScopeKind.COUNTRY:
            return Q(**{path: self.country_id})
        return Q(**{f"{path}__in": self.countries()})

    def audience_activities(self) -> ActivityQuerySet:
        """Every activity the audience may count, in any place (confidential ones only for all)."""
        queryset = cast(ActivityQuerySet, Activity.objects.all())
        return queryset.filter(is_confidential=False) if self.is_open else queryset

    def activities(self) -> ActivityQuerySet:
        """Activities in scope and audience: of the region, hosted by or listing a country in scope."""
        queryset = self.audience_activities()
        if self.is_global:
            return queryset
        countries = self.countries()
        listed = ActivityCountry.objects.filter(activity=OuterRef("pk"), country__in=countries)
        place = Q(host_country__in=countries) | Q(Exists(listed))
        if self.kind == ScopeKind.REGION:
            place |= Q(region_id=self.region_id)
        return queryset.filter(place)
