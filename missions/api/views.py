"""Viewsets of the missions resources. Each queryset shows what it joins and prefetches, so a
list costs the same number of queries whatever its page size."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.serializers import BaseSerializer

from tracker.api.permissions import may_see_confidential
from tracker.api.viewsets import ApiModelViewSet

from .. import filtersets
from ..access import can_see_activity, visible_through_activity
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
from . import serializers


class RegionViewSet(ApiModelViewSet):
    """Field regions of the office, GPML mentor regions and UN M49 groupings."""

    queryset = Region.objects.select_related("parent")
    serializer_class = serializers.RegionSerializer
    filterset_class = filtersets.RegionFilterSet
    search_fields = ["code", "name"]
    ordering_fields = ["id", "code", "name"]
    ordering = ["id"]


class CountryViewSet(ApiModelViewSet):
    """Countries with their ISO and M49 codes, UN membership and names in the six UN languages."""

    queryset = Country.objects.select_related("m49_region", "m49_subregion", "field_region")
    serializer_class = serializers.CountrySerializer
    filterset_class = filtersets.CountryFilterSet
    search_fields = ["iso3", "iso2", "name_en", "name_fr", "name_es"]
    ordering_fields = ["id", "iso3", "name_en", "un_admission_date"]
    ordering = ["id"]


class InstrumentViewSet(ApiModelViewSet):
    """The universal counter-terrorism conventions and protocols."""

    queryset = Instrument.objects.all()
    serializer_class = serializers.InstrumentSerializer
    filterset_class = filtersets.InstrumentFilterSet
    search_fields = ["code", "short_title", "title_en"]
    ordering_fields = ["id", "seq", "adoption_date"]
    ordering = ["id"]


class RatificationViewSet(ApiModelViewSet):
    """Countries' deposits (and signatures) of the instruments."""

    queryset = Ratification.objects.select_related("country", "instrument")
    serializer_class = serializers.RatificationSerializer
    filterset_class = filtersets.RatificationFilterSet
    search_fields = ["country__name_en", "country__iso3", "instrument__short_title"]
    ordering_fields = ["id", "deposit_date"]
    ordering = ["id"]


class LegislationEventViewSet(ApiModelViewSet):
    """Countries' legislative steps: incorporation, new laws, amendments, drafting."""

    queryset = LegislationEvent.objects.select_related("country").prefetch_related("instruments")
    serializer_class = serializers.LegislationEventSerializer
    filterset_class = filtersets.LegislationEventFilterSet
    search_fields = ["title", "country__name_en", "notes"]
    ordering_fields = ["id", "date"]
    ordering = ["id"]

    def perform_create(self, serializer: BaseSerializer[LegislationEvent]) -> None:
        serializer.save(created_by=self.request.user)


class ToolViewSet(ApiModelViewSet):
    """Technical-assistance tools: guides, model laws, databases."""

    queryset = Tool.objects.prefetch_related("countries")
    serializer_class = serializers.ToolSerializer
    filterset_class = filtersets.ToolFilterSet
    search_fields = ["code", "name_en", "kind"]
    ordering_fields = ["id", "code", "status_date", "updated_at"]
    ordering = ["id"]


class _ThroughMissionMixin:
    """Rows that hang off a mission: seen and written only within the caller's regions."""

    request: Any

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()  # type: ignore[misc]  # a GenericAPIView at run time
        return visible_through_activity(
            self.request.user,
            queryset,
            path="mission",
            include_confidential=may_see_confidential(self.request),
        )

    def _check_mission(self, serializer: BaseSerializer[Any]) -> None:
        mission = serializer.validated_data.get("mission")  # type: ignore[attr-defined]  # a Serializer at run time
        if mission is not None and not can_see_activity(
            self.request.user, mission, include_confidential=may_see_confidential(self.request)
        ):
            raise ValidationError({"mission": ["This mission is outside your regions."]})

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        self._check_mission(serializer)
        serializer.save()

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        self._check_mission(serializer)
        serializer.save()


class ActionPlanViewSet(_ThroughMissionMixin, ApiModelViewSet):
    """Action plans drawn up after technical-assistance missions."""

    queryset = ActionPlan.objects.select_related("country")
    serializer_class = serializers.ActionPlanSerializer
    filterset_class = filtersets.ActionPlanFilterSet
    search_fields = ["title", "country__name_en"]
    ordering_fields = ["id", "adopted_on"]
    ordering = ["id"]


class FollowUpRequestViewSet(_ThroughMissionMixin, ApiModelViewSet):
    """Countries' requests for more specialised help after a mission."""

    queryset = FollowUpRequest.objects.select_related("country")
    serializer_class = serializers.FollowUpRequestSerializer
    filterset_class = filtersets.FollowUpRequestFilterSet
    search_fields = ["description", "country__name_en"]
    ordering_fields = ["id", "requested_on"]
    ordering = ["id"]


def activity_queryset():  # type: ignore[no-untyped-def]  # a QuerySet[Activity] the partners API extends
    """Activities with everything their representation embeds, in a constant number of queries."""
    return Activity.objects.select_related("host_country", "region", "responsible_officer").prefetch_related(
        Prefetch("country_roles", queryset=ActivityCountry.objects.select_related("country")),
        "participations",
        "outcomes",
    )
