"""Admin of the reference data: regions, countries (with their legal-status page), instruments.

Country is searchable by its names in the six languages and its codes, so that every other
admin can autocomplete it. Only administrators (missions.change_reference_data) change these
pages, through missions.services.reference_data; everyone else sees them read-only.
"""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from ..choices import Coverage, InstrumentGroup, RegionKind
from ..legal_status import coverage
from ..models import Country, Instrument, OfficerAssignment, Ratification, Region
from ..services import reference_data
from .writing import ReferenceDataAdmin


@admin.register(Region)
class RegionAdmin(ReferenceDataAdmin):
    list_display = ["name", "code", "kind", "m49_code", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "code", "m49_code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]

    def create_record(self, request: HttpRequest, values: dict[str, Any], reason: str) -> Region:
        return reference_data.create_region(actor=self.actor(request), reason=reason, **values)

    def update_record(self, request: HttpRequest, obj: Region, values: dict[str, Any], reason: str) -> Region:
        return reference_data.update_region(actor=self.actor(request), reason=reason, region=obj, **values)

    def delete_record(self, request: HttpRequest, obj: Region, reason: str) -> None:
        reference_data.delete_region(actor=self.actor(request), reason=reason, region=obj)


class M49RegionFilter(admin.SimpleListFilter):
    title = "M49 region or sub-region"
    parameter_name = "m49"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        kinds = (RegionKind.M49_REGION, RegionKind.M49_SUBREGION, RegionKind.M49_INTERMEDIATE)
        regions = Region.objects.filter(kind__in=kinds).order_by("m49_code")
        return [(r.code, f"{r.name} ({r.get_kind_display()})") for r in regions]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        region = Region.objects.filter(code=self.value()).first()
        if region is None:
            return queryset.none()
        return queryset.filter(pk__in=Country.objects.in_region(region).values("pk"))


class FieldRegionFilter(admin.SimpleListFilter):
    title = "field region"
    parameter_name = "field_region"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("none", "None assigned")] + [
            (str(r.pk), r.name) for r in Region.objects.filter(kind=RegionKind.FIELD).order_by("code")
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "none":
            return queryset.filter(field_region__isnull=True)
        if self.value():
            return queryset.filter(field_region_id=self.value())
        return queryset


@admin.register(Country)
class CountryAdmin(ReferenceDataAdmin):
    list_display = [
        "name_en",
        "iso3",
        "iso2",
        "m49",
        "is_un_member",
        "un_admission_date",
        "m49_region",
        "m49_subregion",
        "field_region",
        "legal_status_link",
    ]
    list_filter = ["is_un_member", M49RegionFilter, FieldRegionFilter]
    search_fields = [
        "name_en",
        "name_fr",
        "name_es",
        "name_ru",
        "name_zh",
        "name_ar",
        "formal_name_en",
        "=iso3",
        "=iso2",
        "=m49",
    ]
    list_select_related = ["m49_region", "m49_subregion", "field_region"]
    list_per_page = 100
    fieldsets = [
        (None, {"fields": ["name_en", "formal_name_en", ("iso3", "iso2", "m49")]}),
        (
            "Names in the other UN languages",
            {"fields": ["name_fr", "name_es", "name_ru", "name_zh", "name_ar"]},
        ),
        ("UN membership", {"fields": ["is_un_member", "un_admission_date"]}),
        (
            "Regions",
            {
                "fields": ["m49_region", "m49_subregion", "m49_intermediate_region", "field_region"],
                "description": "No source assigns countries to the office's field regions: "
                "set the field region here where the office has decided one.",
            },
        ),
        ("Source", {"fields": ["source"]}),
        ("Reason for this change", {"fields": ["change_reason"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        # Read-only pages (officers) have no reason to give.
        return fieldsets if self.has_change_permission(request, obj) else fieldsets[:-1]

    def create_record(self, request: HttpRequest, values: dict[str, Any], reason: str) -> Country:
        return reference_data.create_country(actor=self.actor(request), reason=reason, **values)

    def update_record(
        self, request: HttpRequest, obj: Country, values: dict[str, Any], reason: str
    ) -> Country:
        return reference_data.update_country(actor=self.actor(request), reason=reason, country=obj, **values)

    def delete_record(self, request: HttpRequest, obj: Country, reason: str) -> None:
        reference_data.delete_country(actor=self.actor(request), reason=reason, country=obj)

    @admin.display(description="legal status")
    def legal_status_link(self, obj: Country) -> str:
        url = reverse("admin:missions_country_legal_status", args=[obj.pk])
        return format_html('<a href="{}">status</a>', url)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/legal-status/",
                self.admin_site.admin_view(self.legal_status_view),
                name="missions_country_legal_status",
            ),
            *super().get_urls(),
        ]

    def legal_status_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Instruments down, status and dates across, with the coverage caveat (3 queries)."""
        country = get_object_or_404(Country, pk=object_id)
        if not self.has_view_permission(request, country):
            raise PermissionDenied
        by_instrument = {r.instrument_id: r for r in Ratification.objects.filter(country=country)}
        instruments = list(Instrument.objects.all())
        rows = []
        for instrument in instruments:
            ratification = by_instrument.get(instrument.pk)
            if ratification is not None and ratification.action:
                status = ratification.get_action_display()
            elif ratification is not None:
                status = "Signed only"
            elif instrument.status_coverage == Coverage.MISSING:
                status = "Unknown: no status data"
            else:
                status = "No deposit in the data"
            rows.append({"instrument": instrument, "ratification": ratification, "status": status})
        first_12 = [i for i in instruments if i.group == InstrumentGroup.FIRST_12]
        deposited_12 = sum(
            1 for i in first_12 if by_instrument.get(i.pk) is not None and by_instrument[i.pk].action
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": country,
            "title": f"Legal status of {country}",
            "country": country,
            "rows": rows,
            "deposited_12": deposited_12,
            "coverage": coverage(),
        }
        return TemplateResponse(request, "admin/missions/country/legal_status.html", context)


@admin.register(Instrument)
class InstrumentAdmin(ReferenceDataAdmin):
    list_display = [
        "seq",
        "short_title",
        "code",
        "group",
        "adoption_date",
        "depositary",
        "status_coverage",
        "status_covered_until",
        "parties",
    ]
    list_display_links = ["short_title"]
    list_filter = ["group", "status_coverage"]
    search_fields = ["code", "short_title", "title_en", "title_zh"]
    readonly_fields = ["coverage_note"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Instrument]:
        return (
            super()
            .get_queryset(request)
            .annotate(party_count=Count("ratifications", filter=~Q(ratifications__action="")))
        )

    @admin.display(description="deposits held", ordering="party_count")
    def parties(self, obj: Any) -> str:
        if obj.status_coverage == Coverage.MISSING:
            return "no status data"
        return str(obj.party_count)

    @admin.display(description="coverage")
    def coverage_note(self, obj: Instrument) -> str:
        return coverage(instruments=[obj]).text

    def create_record(self, request: HttpRequest, values: dict[str, Any], reason: str) -> Instrument:
        return reference_data.create_instrument(actor=self.actor(request), reason=reason, **values)

    def update_record(
        self, request: HttpRequest, obj: Instrument, values: dict[str, Any], reason: str
    ) -> Instrument:
        return reference_data.update_instrument(
            actor=self.actor(request), reason=reason, instrument=obj, **values
        )

    def delete_record(self, request: HttpRequest, obj: Instrument, reason: str) -> None:
        reference_data.delete_instrument(actor=self.actor(request), reason=reason, instrument=obj)


@admin.register(OfficerAssignment)
class OfficerAssignmentAdmin(ReferenceDataAdmin):
    """Who works in which region: decided by administrators (an officer cannot widen their own)."""

    list_display = ["user", "region"]
    list_filter = ["region"]
    search_fields = ["user__username", "region__name"]
    list_select_related = ["user", "region"]
    autocomplete_fields = ["user"]

    def create_record(self, request: HttpRequest, values: dict[str, Any], reason: str) -> OfficerAssignment:
        return reference_data.create_officer_assignment(actor=self.actor(request), reason=reason, **values)

    def update_record(
        self, request: HttpRequest, obj: OfficerAssignment, values: dict[str, Any], reason: str
    ) -> OfficerAssignment:
        return reference_data.update_officer_assignment(
            actor=self.actor(request), reason=reason, assignment=obj, **values
        )

    def delete_record(self, request: HttpRequest, obj: OfficerAssignment, reason: str) -> None:
        reference_data.delete_officer_assignment(actor=self.actor(request), reason=reason, assignment=obj)
