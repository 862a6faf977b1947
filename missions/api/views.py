"""Viewsets of the missions resources. Each queryset shows what it joins and prefetches, so a
list costs the same number of queries whatever its page size."""

from typing import Any

from django.db.models import Model, Prefetch, QuerySet
from rest_framework import permissions
from rest_framework.request import Request

from tracker.actors import Actor
from tracker.api.permissions import DEFAULT_PERMISSIONS
from tracker.api.viewsets import ApiModelViewSet

from .. import filtersets, visibility
from ..models import (
    ActionPlan,
    Activity,
    ActivityCountry,
    Country,
    FollowUpRequest,
    Instrument,
    LegislationEvent,
    Ratification,
    Region,
    Tool,
)
from ..services import activities as activity_services
from ..services import legal, reference_data, tools
from ..services.reference_data import REFERENCE_DATA_PERMISSION
from . import serializers


class ReferenceDataWrites(permissions.BasePermission):
    """Regions, countries, instruments: everyone with the view permission reads them; only holders
    of missions.change_reference_data write them (the services refuse anyone else too). Checked
    before the model permissions, so that the 403 names the permission that decides."""

    message = (
        f"Only administrators change the reference data: it needs the permission {REFERENCE_DATA_PERMISSION}."
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in permissions.SAFE_METHODS or reference_data.may_change_reference_data(
            Actor.of(request)
        )


_REFERENCE_PERMISSIONS = [*DEFAULT_PERMISSIONS[:-1], ReferenceDataWrites, DEFAULT_PERMISSIONS[-1]]


class RegionViewSet(ApiModelViewSet):
    """Field regions of the office, GPML mentor regions and UN M49 groupings."""

    queryset = Region.objects.select_related("parent")
    serializer_class = serializers.RegionSerializer
    filterset_class = filtersets.RegionFilterSet
    permission_classes = _REFERENCE_PERMISSIONS
    search_fields = ["code", "name"]
    ordering_fields = ["id", "code", "name"]
    ordering = ["id"]

    def create_record(self, data: dict[str, Any]) -> Model:
        return reference_data.create_region(actor=self.actor(), reason=self.reason(), **data)

    def update_record(self, instance: Region, data: dict[str, Any]) -> Model:
        return reference_data.update_region(actor=self.actor(), reason=self.reason(), region=instance, **data)

    def delete_record(self, instance: Region) -> None:
        reference_data.delete_region(actor=self.actor(), reason=self.reason(), region=instance)


class CountryViewSet(ApiModelViewSet):
    """Countries with their ISO and M49 codes, UN membership and names in the six UN languages."""

    queryset = Country.objects.select_related("m49_region", "m49_subregion", "field_region")
    serializer_class = serializers.CountrySerializer
    filterset_class = filtersets.CountryFilterSet
    permission_classes = _REFERENCE_PERMISSIONS
    search_fields = ["iso3", "iso2", "name_en", "name_fr", "name_es"]
    ordering_fields = ["id", "iso3", "name_en", "un_admission_date"]
    ordering = ["id"]

    def create_record(self, data: dict[str, Any]) -> Model:
        return reference_data.create_country(actor=self.actor(), reason=self.reason(), **data)

    def update_record(self, instance: Country, data: dict[str, Any]) -> Model:
        return reference_data.update_country(
            actor=self.actor(), reason=self.reason(), country=instance, **data
        )

    def delete_record(self, instance: Country) -> None:
        reference_data.delete_country(actor=self.actor(), reason=self.reason(), country=instance)


class InstrumentViewSet(ApiModelViewSet):
    """The universal counter-terrorism conventions and protocols."""

    queryset = Instrument.objects.all()
    serializer_class = serializers.InstrumentSerializer
    filterset_class = filtersets.InstrumentFilterSet
    permission_classes = _REFERENCE_PERMISSIONS
    search_fields = ["code", "short_title", "title_en"]
    ordering_fields = ["id", "seq", "adoption_date"]
    ordering = ["id"]

    def create_record(self, data: dict[str, Any]) -> Model:
        return reference_data.create_instrument(actor=self.actor(), reason=self.reason(), **data)

    def update_record(self, instance: Instrument, data: dict[str, Any]) -> Model:
        return reference_data.update_instrument(
            actor=self.actor(), reason=self.reason(), instrument=instance, **data
        )

    def delete_record(self, instance: Instrument) -> None:
        reference_data.delete_instrument(actor=self.actor(), reason=self.reason(), instrument=instance)


class RatificationViewSet(ApiModelViewSet):
    """Countries' deposits (and signatures) of the instruments."""

    queryset = Ratification.objects.select_related("country", "instrument")
    serializer_class = serializers.RatificationSerializer
    filterset_class = filtersets.RatificationFilterSet
    search_fields = ["country__name_en", "country__iso3", "instrument__short_title"]
    ordering_fields = ["id", "deposit_date"]
    ordering = ["id"]

    def create_record(self, data: dict[str, Any]) -> Model:
        return legal.create_ratification(actor=self.actor(), reason=self.reason(), **data)

    def update_record(self, instance: Ratification, data: dict[str, Any]) -> Model:
        return legal.update_ratification(
            actor=self.actor(), reason=self.reason(), ratification=instance, **data
        )

    def delete_record(self, instance: Ratification) -> None:
        legal.delete_ratification(actor=self.actor(), reason=self.reason(), ratification=instance)


class LegislationEventViewSet(ApiModelViewSet):
    """Countries' legislative steps: incorporation, new laws, amendments, drafting."""

    queryset = LegislationEvent.objects.select_related("country").prefetch_related("instruments")
    serializer_class = serializers.LegislationEventSerializer
    filterset_class = filtersets.LegislationEventFilterSet
    search_fields = ["title", "country__name_en", "notes"]
    ordering_fields = ["id", "date"]
    ordering = ["id"]

    def create_record(self, data: dict[str, Any]) -> Model:
        return legal.create_legislation_event(actor=self.actor(), reason=self.reason(), **data)

    def update_record(self, instance: LegislationEvent, data: dict[str, Any]) -> Model:
        return legal.update_legislation_event(
            actor=self.actor(), reason=self.reason(), event=instance, **data
        )

    def delete_record(self, instance: LegislationEvent) -> None:
        legal.delete_legislation_event(actor=self.actor(), reason=self.reason(), event=instance)


class ToolViewSet(ApiModelViewSet):
    """Technical-assistance tools: guides, model laws, databases."""

    queryset = Tool.objects.prefetch_related("countries")
    serializer_class = serializers.ToolSerializer
    filterset_class = filtersets.ToolFilterSet
    search_fields = ["code", "name_en", "kind"]
    ordering_fields = ["id", "code", "status_date", "updated_at"]
    ordering = ["id"]

    def create_record(self, data: dict[str, Any]) -> Model:
        return tools.create_tool(actor=self.actor(), reason=self.reason(), **data)

    def update_record(self, instance: Tool, data: dict[str, Any]) -> Model:
        return tools.update_tool(actor=self.actor(), reason=self.reason(), tool=instance, **data)

    def delete_record(self, instance: Tool) -> None:
        tools.delete_tool(actor=self.actor(), reason=self.reason(), tool=instance)


class _ThroughMissionMixin:
    """Rows that hang off a mission: seen only when the mission is (missions.visibility); the
    serializer's mission field offers only visible missions, and the services refuse the rest."""

    request: Any

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()  # type: ignore[misc]  # a GenericAPIView at run time
        return visibility.through_activity(Actor.of(self.request), queryset, path="mission")


class ActionPlanViewSet(_ThroughMissionMixin, ApiModelViewSet):
    """Action plans drawn up after technical-assistance missions."""

    queryset = ActionPlan.objects.select_related("country")
    serializer_class = serializers.ActionPlanSerializer
    filterset_class = filtersets.ActionPlanFilterSet
    search_fields = ["title", "country__name_en"]
    ordering_fields = ["id", "adopted_on"]
    ordering = ["id"]

    def create_record(self, data: dict[str, Any]) -> Model:
        return activity_services.create_action_plan(actor=self.actor(), reason=self.reason(), **data)

    def update_record(self, instance: ActionPlan, data: dict[str, Any]) -> Model:
        return activity_services.update_action_plan(
            actor=self.actor(), reason=self.reason(), action_plan=instance, **data
        )

    def delete_record(self, instance: ActionPlan) -> None:
        activity_services.delete_action_plan(actor=self.actor(), reason=self.reason(), action_plan=instance)


class FollowUpRequestViewSet(_ThroughMissionMixin, ApiModelViewSet):
    """Countries' requests for more specialised help after a mission."""

    queryset = FollowUpRequest.objects.select_related("country")
    serializer_class = serializers.FollowUpRequestSerializer
    filterset_class = filtersets.FollowUpRequestFilterSet
    search_fields = ["description", "country__name_en"]
    ordering_fields = ["id", "requested_on"]
    ordering = ["id"]

    def create_record(self, data: dict[str, Any]) -> Model:
        return activity_services.create_follow_up_request(actor=self.actor(), reason=self.reason(), **data)

    def update_record(self, instance: FollowUpRequest, data: dict[str, Any]) -> Model:
        return activity_services.update_follow_up_request(
            actor=self.actor(), reason=self.reason(), follow_up_request=instance, **data
        )

    def delete_record(self, instance: FollowUpRequest) -> None:
        activity_services.delete_follow_up_request(
            actor=self.actor(), reason=self.reason(), follow_up_request=instance
        )


def activity_queryset():  # type: ignore[no-untyped-def]  # a QuerySet[Activity] the partners API extends
    """Activities with everything their representation embeds, in a constant number of queries."""
    return Activity.objects.select_related("host_country", "region", "responsible_officer").prefetch_related(
        Prefetch("country_roles", queryset=ActivityCountry.objects.select_related("country")),
        "participations",
        "outcomes",
    )
