"""Serializers of the partners resources, and the activity with its organisations.

They validate and represent; the viewsets write, through partners.services. Activities are
read and accepted through missions.visibility: a hidden activity's id is never shown, and
choosing one gets the answer a missing id gets.

The activity resource lives here because it embeds organisations (partners), and imports go
one way: partners -> missions.
"""

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS, PKOnlyObject

from missions import visibility
from missions.api.serializers import ActivitySerializer as MissionsActivitySerializer
from missions.api.serializers import _unique, country_field, region_field
from missions.models import Activity
from tracker.actors import Actor
from tracker.api.serializers import ApiModelSerializer

from ..models import (
    ActivityOrganisation,
    Contribution,
    Donor,
    Organisation,
    Partnership,
    RegularBudgetAllocation,
)


def organisation_field(**kwargs: Any) -> serializers.SlugRelatedField:
    kwargs.setdefault("help_text", "Organisation, by its code (e.g. the report's org_id).")
    return serializers.SlugRelatedField(slug_field="code", queryset=Organisation.objects.all(), **kwargs)


class OrganisationSerializer(ApiModelSerializer):
    parent = organisation_field(required=False, allow_null=True, help_text="Parent organisation, by code.")  # type: ignore[assignment]  # DRF moves fields off the class
    country = country_field(
        required=False, allow_null=True, help_text="For a government body: its country (ISO3)."
    )

    class Meta:
        model = Organisation
        fields = [
            "id",
            "code",
            "name_en",
            "acronym",
            "name_zh",
            "kind",
            "subkind",
            "parent",
            "country",
            "notes",
            "source_paragraph",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


def _actor(context: Mapping[str, Any]) -> Actor:
    return Actor.of(context["request"])


class _VisibleActivities(serializers.ManyRelatedField):
    """Activity ids of a record, only those its reader may see.

    The viewsets prefetch the visible ones (one query per page); unprefetched, they are narrowed here.
    """

    def get_attribute(self, instance: Any) -> Any:
        related = super().get_attribute(instance)
        if not isinstance(related, QuerySet) or self.source in getattr(
            instance, "_prefetched_objects_cache", {}
        ):
            return related
        return visibility.activities(_actor(self.context), related)


class VisibleActivityField(serializers.PrimaryKeyRelatedField):
    """An activity id the caller may see; any other id "does not exist", as a missing one.

    Reading, a hidden activity shows as null: the viewset annotates ``<field>_visible``, and
    without it (a single object) the rule is asked.
    """

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> serializers.ManyRelatedField:
        """As DRF's, with the list narrowed to what its reader may see."""
        shared = {key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS}
        return _VisibleActivities(child_relation=cls(*args, **kwargs), **shared)

    def get_queryset(self) -> Any:
        return visibility.activities(_actor(self.context), super().get_queryset())

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)
        pk = value.pk if isinstance(value, PKOnlyObject | Activity) else None
        if pk is None:
            return value
        shown = getattr(instance, f"{self.source}_visible", None)
        if shown is None:
            shown = visibility.can_see(_actor(self.context), Activity(pk=pk))
        return value if shown else None


class PartnershipSerializer(ApiModelSerializer):
    organisation = organisation_field()
    activities = VisibleActivityField(
        queryset=Activity.objects.all(),
        many=True,
        required=False,
        help_text="Ids of activities done under it.",
    )

    class Meta:
        model = Partnership
        fields = [
            "id",
            "organisation",
            "kind",
            "title",
            "took_effect_on",
            "date_precision",
            "areas",
            "activities",
            "source_paragraph",
            "notes",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


class DonorSerializer(ApiModelSerializer):
    country = country_field(
        required=False, allow_null=True, help_text="For a State donor: the country (ISO3)."
    )
    organisation = organisation_field(
        required=False, allow_null=True, help_text="For an organisation donor: the organisation (code)."
    )

    class Meta:
        model = Donor
        fields = ["id", "name", "kind", "country", "organisation", "annex_row"]


class ContributionSerializer(ApiModelSerializer):
    donor = serializers.SlugRelatedField(
        slug_field="name", queryset=Donor.objects.all(), help_text="Donor, by its name."
    )
    pledge = serializers.PrimaryKeyRelatedField(
        queryset=Contribution.objects.all(),
        required=False,
        allow_null=True,
        help_text="For a payment: id of the pledge it pays.",
    )
    earmark_region = region_field(required=False, allow_null=True, help_text="Region earmarked (code).")
    earmark_activity = VisibleActivityField(
        queryset=Activity.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the activity earmarked.",
    )

    class Meta:
        model = Contribution
        fields = [
            "id",
            "donor",
            "kind",
            "amount",
            "currency",
            "year",
            "date",
            "pledge",
            "earmark",
            "earmark_region",
            "earmark_activity",
            "reference",
            "source",
            "notes",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


class RegularBudgetAllocationSerializer(ApiModelSerializer):
    class Meta:
        model = RegularBudgetAllocation
        fields = ["id", "year", "amount", "currency", "is_approximate", "source"]


class ActivityOrganisationSerializer(ApiModelSerializer):
    organisation = organisation_field()

    class Meta:
        model = ActivityOrganisation
        fields = ["organisation", "role", "notes"]
        read_only_fields = ["notes"]
        validators: list[Any] = []


class ActivitySerializer(MissionsActivitySerializer):
    """An activity with its countries, participants, outcome documents and organisations.

    One request writes all of them atomically; a nested list given replaces the stored one.
    """

    organisations = ActivityOrganisationSerializer(
        many=True,
        source="organisation_roles",
        required=False,
        help_text="Organisations and their role (co-organiser, host, funder ...).",
    )

    class Meta(MissionsActivitySerializer.Meta):
        fields = [*MissionsActivitySerializer.Meta.fields, "organisations"]

    def validate_organisations(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _unique(value, ("organisation", "role"), "organisation and role")
