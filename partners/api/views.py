"""Viewsets of the partners resources, and of activities (which embed organisations).

Reads are narrowed by missions.visibility for the request's actor (a person, or a token with its
scopes); every write calls a service with that actor and the request's reason, from the base's
``create_record`` / ``update_record`` / ``delete_record`` hooks (tracker/api/viewsets.py). The
serializers only validate.
"""

from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from missions import visibility
from missions.api.views import activity_queryset
from missions.models import Activity
from missions.services import activities as activity_services
from tracker.actors import Actor
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
from ..services import funding, organisations
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

    def actor(self) -> Actor:
        return Actor.of(self.request)

    def list_cache_scope(self) -> Any:
        ids = visibility.region_ids(self.actor())
        return [None if ids is None else sorted(ids), self.actor().sees_confidential]

    def get_queryset(self) -> QuerySet[Any]:
        # An activity the caller may not see does not exist for them (404, not 403: its existence
        # is not leaked); lists, CSV and XLSX exports read this same queryset.
        return visibility.activities(self.actor(), super().get_queryset())

    def _arguments(self, data: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        """The activity services' arguments, and the organisation roles (None: unchanged)."""
        data = dict(data)
        roles = data.pop("organisation_roles", None)
        arguments = serializers.ActivitySerializer.service_arguments(data)
        fields = arguments.pop("fields")
        return {**arguments, **fields}, roles

    def _set_organisations(self, activity: Activity, roles: Any) -> None:
        organisations.set_activity_organisations(
            actor=self.actor(),
            reason=self.reason(),
            activity=activity,
            roles=[(item["organisation"], item["role"]) for item in roles],
        )

    def create_record(self, data: dict[str, Any]) -> Activity:
        # The service keeps an officer's work within their regions (missions.visibility.scope_errors).
        arguments, roles = self._arguments(data)
        for name in ("countries", "participations", "outcomes"):
            arguments[name] = arguments[name] or ()
        with transaction.atomic():
            activity = activity_services.create_activity(
                actor=self.actor(), reason=self.reason(), **arguments
            )
            if roles:
                self._set_organisations(activity, roles)
        return activity

    def update_record(self, instance: Activity, data: dict[str, Any]) -> Activity:
        arguments, roles = self._arguments(data)
        with transaction.atomic():
            activity = activity_services.update_activity(
                actor=self.actor(), reason=self.reason(), activity=instance, **arguments
            )
            if roles is not None:
                self._set_organisations(activity, roles)
        return activity

    def delete_record(self, instance: Activity) -> None:
        activity_services.delete_activity(actor=self.actor(), reason=self.reason(), activity=instance)


class _ServiceWrittenViewSet(ApiModelViewSet):
    """A partners resource: each viewset's create/update/delete_record calls its service with ``writer()``."""

    def writer(self) -> dict[str, Any]:
        """The actor and the reason every service is given."""
        return {"actor": Actor.of(self.request), "reason": self.reason()}

    def filter_queryset_for_reload(self) -> QuerySet[Any]:
        # The written row is shown as a later GET shows it: narrowed for its reader.
        return self.get_queryset()


class OrganisationViewSet(_ServiceWrittenViewSet):
    """Partners: UN entities, Security Council bodies, regional organisations, associations, units."""

    queryset = Organisation.objects.select_related("parent", "country")
    serializer_class = serializers.OrganisationSerializer
    filterset_class = filtersets.OrganisationFilterSet
    search_fields = ["code", "name_en", "acronym"]
    ordering_fields = ["id", "code", "name_en", "updated_at"]
    ordering = ["id"]

    def create_record(self, data: dict[str, Any]) -> Any:
        return organisations.create_organisation(**self.writer(), **data)

    def update_record(self, instance: Any, data: dict[str, Any]) -> Any:
        return organisations.update_organisation(**self.writer(), organisation=instance, **data)

    def delete_record(self, instance: Any) -> None:
        organisations.delete_organisation(**self.writer(), organisation=instance)


class PartnershipViewSet(_ServiceWrittenViewSet):
    """Agreements and working arrangements with partners, and the activities done under them."""

    queryset = Partnership.objects.select_related("organisation")
    serializer_class = serializers.PartnershipSerializer
    filterset_class = filtersets.PartnershipFilterSet
    search_fields = ["title", "areas", "organisation__name_en"]
    ordering_fields = ["id", "took_effect_on", "updated_at"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Partnership]:
        # A partnership lists only the activities its reader may see (no hidden ids).
        visible = visibility.activities(Actor.of(self.request), Activity.objects.only("pk"))
        return super().get_queryset().prefetch_related(Prefetch("activities", queryset=visible))

    def create_record(self, data: dict[str, Any]) -> Any:
        return organisations.create_partnership(**self.writer(), **data)

    def update_record(self, instance: Any, data: dict[str, Any]) -> Any:
        # Links to activities the writer cannot see are kept (the service's rule).
        return organisations.update_partnership(**self.writer(), partnership=instance, **data)

    def delete_record(self, instance: Any) -> None:
        organisations.delete_partnership(**self.writer(), partnership=instance)


class DonorViewSet(_ServiceWrittenViewSet):
    """Governments and organisations that fund the office."""

    queryset = Donor.objects.select_related("country", "organisation")
    serializer_class = serializers.DonorSerializer
    filterset_class = filtersets.DonorFilterSet
    search_fields = ["name"]
    ordering_fields = ["id", "name", "annex_row"]
    ordering = ["id"]

    def create_record(self, data: dict[str, Any]) -> Any:
        return funding.create_donor(**self.writer(), **data)

    def update_record(self, instance: Any, data: dict[str, Any]) -> Any:
        return funding.update_donor(**self.writer(), donor=instance, **data)

    def delete_record(self, instance: Any) -> None:
        funding.delete_donor(**self.writer(), donor=instance)


class ContributionViewSet(_ServiceWrittenViewSet):
    """Pledges, commitments and payments, by year and currency."""

    queryset = Contribution.objects.select_related("donor", "earmark_region")
    serializer_class = serializers.ContributionSerializer
    filterset_class = filtersets.ContributionFilterSet
    search_fields = ["donor__name", "earmark", "reference"]
    ordering_fields = ["id", "year", "date", "amount", "updated_at"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Contribution]:
        # Whether the earmarked activity is visible, per row in the same query: a hidden one
        # shows as null (serializers.VisibleActivityField).
        visible = visibility.activities(Actor.of(self.request)).filter(pk=OuterRef("earmark_activity"))
        return super().get_queryset().annotate(earmark_activity_visible=Exists(visible))

    def create_record(self, data: dict[str, Any]) -> Any:
        return funding.record_contribution(**self.writer(), **data).contribution

    def update_record(self, instance: Any, data: dict[str, Any]) -> Any:
        return funding.update_contribution(**self.writer(), contribution=instance, **data).contribution

    def delete_record(self, instance: Any) -> None:
        funding.delete_contribution(**self.writer(), contribution=instance)


class RegularBudgetAllocationViewSet(_ServiceWrittenViewSet):
    """The office's regular-budget allocation per year."""

    queryset = RegularBudgetAllocation.objects.all()
    serializer_class = serializers.RegularBudgetAllocationSerializer
    filterset_class = filtersets.RegularBudgetAllocationFilterSet
    search_fields = ["source"]
    ordering_fields = ["id", "year"]
    ordering = ["id"]

    def create_record(self, data: dict[str, Any]) -> Any:
        return funding.create_budget_allocation(**self.writer(), **data)

    def update_record(self, instance: Any, data: dict[str, Any]) -> Any:
        return funding.update_budget_allocation(**self.writer(), allocation=instance, **data)

    def delete_record(self, instance: Any) -> None:
        funding.delete_budget_allocation(**self.writer(), allocation=instance)
