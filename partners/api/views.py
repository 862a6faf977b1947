"""Viewsets of the partners resources, and of activities (which embed organisations)."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.serializers import BaseSerializer

from missions.access import region_ids, scope_errors, visible_activities
from missions.api.views import activity_queryset
from missions.models import Activity
from tracker.api.permissions import may_see_confidential
from tracker.api.viewsets import ApiModelViewSet

from .. import filtersets
from ..models import (
    ActivityOrganisation,
    Contribution,
    Donor,
    Organisation,
    Partnership,
    RegularBudgetAllocation,
)
from . import serializers


class ActivityViewSet(ApiModelViewSet):
    """Activities of every kind, with their countries, participants, outcomes and organisations.

    Creating or updating one writes the nested lists in the same transaction; a list given
    replaces the stored one, a list left out (PATCH) is kept.
    """

    queryset = activity_queryset().prefetch_related(
        Prefetch("organisation_roles", queryset=ActivityOrganisation.objects.select_related("organisation"))
    )
    serializer_class = serializers.ActivitySerializer
    filterset_class = filtersets.ActivityFilterSet
    search_fields = ["title", "reference", "city", "topics", "notes"]
    ordering_fields = ["id", "start_date", "updated_at"]
    ordering = ["id"]
    list_from_values = True
    list_cache = True  # the models it shows are watched in partners.apps

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "reason": self.reason()}

    def list_cache_scope(self) -> Any:
        ids = region_ids(self.request.user)
        return None if ids is None else sorted(ids)

    def get_queryset(self) -> QuerySet[Any]:
        # Outside the caller's regions an activity does not exist for them (404, not 403: its
        # existence is not leaked); lists, CSV and XLSX exports read this same queryset.
        return visible_activities(self.request.user, super().get_queryset())

    def _check_scope(self, serializer: BaseSerializer[Activity], instance: Activity | None) -> None:
        data = serializer.validated_data  # type: ignore[attr-defined]  # a Serializer at run time
        roles = data.get("country_roles")
        if roles is not None:
            countries = [role["country"] for role in roles]
        elif instance is not None:
            countries = list(instance.countries.all())
        else:
            countries = []
        errors = scope_errors(
            self.request.user,
            region=data["region"] if "region" in data else getattr(instance, "region", None),
            host_country=data["host_country"]
            if "host_country" in data
            else getattr(instance, "host_country", None),
            countries=countries,
        )
        if errors:
            raise ValidationError({field: [message] for field, message in errors.items()})

    def perform_create(self, serializer: BaseSerializer[Activity]) -> None:
        self._check_scope(serializer, None)
        serializer.save()

    def perform_update(self, serializer: BaseSerializer[Activity]) -> None:
        self._check_scope(serializer, serializer.instance)
        serializer.save()

    def perform_destroy(self, instance: Any) -> None:
        from missions.services.activities import delete_activity

        delete_activity(actor=self.request.user, reason=self.reason(), activity=instance)


class OrganisationViewSet(ApiModelViewSet):
    """Partners: UN entities, Security Council bodies, regional organisations, associations, units."""

    queryset = Organisation.objects.select_related("parent", "country")
    serializer_class = serializers.OrganisationSerializer
    filterset_class = filtersets.OrganisationFilterSet
    search_fields = ["code", "name_en", "acronym"]
    ordering_fields = ["id", "code", "name_en", "updated_at"]
    ordering = ["id"]


class PartnershipViewSet(ApiModelViewSet):
    """Agreements and working arrangements with partners, and the activities done under them."""

    queryset = Partnership.objects.select_related("organisation")
    serializer_class = serializers.PartnershipSerializer
    filterset_class = filtersets.PartnershipFilterSet
    search_fields = ["title", "areas", "organisation__name_en"]
    ordering_fields = ["id", "took_effect_on", "updated_at"]
    ordering = ["id"]

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "reason": self.reason()}

    def get_queryset(self) -> QuerySet[Partnership]:
        # A partnership lists only the activities its reader may see (no ids of other regions').
        visible = visible_activities(
            self.request.user,
            Activity.objects.only("pk"),
            include_confidential=may_see_confidential(self.request),
        )
        return super().get_queryset().prefetch_related(Prefetch("activities", queryset=visible))


class DonorViewSet(ApiModelViewSet):
    """Governments and organisations that fund the office."""

    queryset = Donor.objects.select_related("country", "organisation")
    serializer_class = serializers.DonorSerializer
    filterset_class = filtersets.DonorFilterSet
    search_fields = ["name"]
    ordering_fields = ["id", "name", "annex_row"]
    ordering = ["id"]


class ContributionViewSet(ApiModelViewSet):
    """Pledges, commitments and payments, by year and currency."""

    queryset = Contribution.objects.select_related("donor", "earmark_region")
    serializer_class = serializers.ContributionSerializer
    filterset_class = filtersets.ContributionFilterSet
    search_fields = ["donor__name", "earmark", "reference"]
    ordering_fields = ["id", "year", "date", "amount", "updated_at"]
    ordering = ["id"]

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "reason": self.reason()}


class RegularBudgetAllocationViewSet(ApiModelViewSet):
    """The office's regular-budget allocation per year."""

    queryset = RegularBudgetAllocation.objects.all()
    serializer_class = serializers.RegularBudgetAllocationSerializer
    filterset_class = filtersets.RegularBudgetAllocationFilterSet
    search_fields = ["source"]
    ordering_fields = ["id", "year"]
    ordering = ["id"]
