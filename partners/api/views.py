"""Viewsets of the partners resources, and of activities (which embed organisations).

Reads are narrowed by missions.visibility for the request's actor (a person, or a token with its
scopes); every write calls a service with that actor and the request's reason, from
``perform_create`` / ``perform_update`` / ``perform_destroy``, and hands the stored row back as
``serializer.instance``. The serializers only validate.
"""

from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.serializers import BaseSerializer

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

    def _check_scope(self, serializer: BaseSerializer[Activity], instance: Activity | None) -> None:
        data = serializer.validated_data  # type: ignore[attr-defined]  # a Serializer at run time
        roles = data.get("country_roles")
        if roles is not None:
            countries = [role["country"] for role in roles]
        elif instance is not None:
            countries = list(instance.countries.all())
        else:
            countries = []
        errors = visibility.scope_errors(
            self.actor(),
            region=data["region"] if "region" in data else getattr(instance, "region", None),
            host_country=data["host_country"]
            if "host_country" in data
            else getattr(instance, "host_country", None),
            countries=countries,
        )
        if errors:
            raise ValidationError({field: [message] for field, message in errors.items()})

    def _arguments(self, serializer: BaseSerializer[Activity]) -> tuple[dict[str, Any], Any]:
        """The activity services' arguments, and the organisation roles (None: unchanged)."""
        data = dict(serializer.validated_data)  # type: ignore[attr-defined]  # a Serializer at run time
        roles = data.pop("organisation_roles", None)
        arguments = serializer.service_arguments(data)  # type: ignore[attr-defined]  # ActivitySerializer
        fields = arguments.pop("fields")
        return {**arguments, **fields}, roles

    def _set_organisations(self, activity: Activity, roles: Any) -> None:
        organisations.set_activity_organisations(
            actor=self.actor(),
            reason=self.reason(),
            activity=activity,
            roles=[(item["organisation"], item["role"]) for item in roles],
        )

    def perform_create(self, serializer: BaseSerializer[Activity]) -> None:
        self._check_scope(serializer, None)
        arguments, roles = self._arguments(serializer)
        for name in ("countries", "participations", "outcomes"):
            arguments[name] = arguments[name] or ()
        with transaction.atomic():
            activity = activity_services.create_activity(
                actor=self.actor(), reason=self.reason(), **arguments
            )
            if roles:
                self._set_organisations(activity, roles)
        serializer.instance = activity

    def perform_update(self, serializer: BaseSerializer[Activity]) -> None:
        self._check_scope(serializer, serializer.instance)
        arguments, roles = self._arguments(serializer)
        with transaction.atomic():
            activity = activity_services.update_activity(
                actor=self.actor(), reason=self.reason(), activity=_stored(serializer), **arguments
            )
            if roles is not None:
                self._set_organisations(activity, roles)
        serializer.instance = activity

    def perform_destroy(self, instance: Any) -> None:
        activity_services.delete_activity(actor=self.actor(), reason=self.reason(), activity=instance)


class _ServiceWrittenViewSet(ApiModelViewSet):
    """A partners resource: each viewset's perform_* calls its service with ``writer()``."""

    def writer(self) -> dict[str, Any]:
        """The actor and the reason every service is given."""
        return {"actor": Actor.of(self.request), "reason": self.reason()}

    def filter_queryset_for_reload(self) -> QuerySet[Any]:
        # The written row is shown as a later GET shows it: narrowed for its reader.
        return self.get_queryset()


def _stored(serializer: BaseSerializer[Any]) -> Any:
    """The row an update changes (always set: DRF's update found it)."""
    return serializer.instance


def _data(serializer: BaseSerializer[Any]) -> dict[str, Any]:
    return dict(serializer.validated_data)  # type: ignore[attr-defined]  # a Serializer at run time


class OrganisationViewSet(_ServiceWrittenViewSet):
    """Partners: UN entities, Security Council bodies, regional organisations, associations, units."""

    queryset = Organisation.objects.select_related("parent", "country")
    serializer_class = serializers.OrganisationSerializer
    filterset_class = filtersets.OrganisationFilterSet
    search_fields = ["code", "name_en", "acronym"]
    ordering_fields = ["id", "code", "name_en", "updated_at"]
    ordering = ["id"]

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = organisations.create_organisation(**self.writer(), **_data(serializer))

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = organisations.update_organisation(
            **self.writer(), organisation=_stored(serializer), **_data(serializer)
        )

    def perform_destroy(self, instance: Any) -> None:
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

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = organisations.create_partnership(**self.writer(), **_data(serializer))

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        # Links to activities the writer cannot see are kept (the service's rule).
        serializer.instance = organisations.update_partnership(
            **self.writer(), partnership=_stored(serializer), **_data(serializer)
        )

    def perform_destroy(self, instance: Any) -> None:
        organisations.delete_partnership(**self.writer(), partnership=instance)


class DonorViewSet(_ServiceWrittenViewSet):
    """Governments and organisations that fund the office."""

    queryset = Donor.objects.select_related("country", "organisation")
    serializer_class = serializers.DonorSerializer
    filterset_class = filtersets.DonorFilterSet
    search_fields = ["name"]
    ordering_fields = ["id", "name", "annex_row"]
    ordering = ["id"]

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = funding.create_donor(**self.writer(), **_data(serializer))

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = funding.update_donor(
            **self.writer(), donor=_stored(serializer), **_data(serializer)
        )

    def perform_destroy(self, instance: Any) -> None:
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

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        recorded = funding.record_contribution(**self.writer(), **_data(serializer))
        serializer.instance = recorded.contribution

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        recorded = funding.update_contribution(
            **self.writer(), contribution=_stored(serializer), **_data(serializer)
        )
        serializer.instance = recorded.contribution

    def perform_destroy(self, instance: Any) -> None:
        funding.delete_contribution(**self.writer(), contribution=instance)


class RegularBudgetAllocationViewSet(_ServiceWrittenViewSet):
    """The office's regular-budget allocation per year."""

    queryset = RegularBudgetAllocation.objects.all()
    serializer_class = serializers.RegularBudgetAllocationSerializer
    filterset_class = filtersets.RegularBudgetAllocationFilterSet
    search_fields = ["source"]
    ordering_fields = ["id", "year"]
    ordering = ["id"]

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = funding.create_budget_allocation(**self.writer(), **_data(serializer))

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = funding.update_budget_allocation(
            **self.writer(), allocation=_stored(serializer), **_data(serializer)
        )

    def perform_destroy(self, instance: Any) -> None:
        funding.delete_budget_allocation(**self.writer(), allocation=instance)
