"""Serializers of the partners resources, and the activity with its organisations.

The activity resource lives here because it embeds organisations (partners), and imports go
one way: partners -> missions.
"""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from rest_framework import serializers

from missions.api.serializers import ActivitySerializer as MissionsActivitySerializer
from missions.api.serializers import _unique, country_field, region_field
from missions.models import Activity
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


def _visible_activities(context: Mapping[str, Any], queryset: Any = None) -> Any:
    from missions.access import visible_activities
    from tracker.api.permissions import may_see_confidential

    request = context["request"]
    return visible_activities(request.user, queryset, include_confidential=may_see_confidential(request))


class VisibleActivityField(serializers.PrimaryKeyRelatedField):
    """An activity id the caller may see; any other id "does not exist", as in a 404."""

    def get_queryset(self) -> Any:
        return _visible_activities(self.context, super().get_queryset())


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

    def create(self, validated_data: dict[str, Any]) -> Partnership:
        return self._save(Partnership(), validated_data)

    def update(self, instance: Partnership, validated_data: dict[str, Any]) -> Partnership:
        return self._save(instance, validated_data)

    def _save(self, partnership: Partnership, data: dict[str, Any]) -> Partnership:
        from ..services.organisations import save_partnership

        activities = data.pop("activities", None)
        for name, value in data.items():
            setattr(partnership, name, value)
        # Links to activities the writer cannot see are kept (the service's rule).
        return save_partnership(
            actor=self.context["request"].user,
            reason=self.context.get("reason", "API"),
            partnership=partnership,
            activities=activities,
            visible_activities=_visible_activities(self.context),
        )


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
    earmark_activity = serializers.PrimaryKeyRelatedField(
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

    def create(self, validated_data: dict[str, Any]) -> Contribution:
        from ..services.funding import record_contribution

        recorded = record_contribution(
            actor=self.context["request"].user, reason=self.context.get("reason", "API"), **validated_data
        )
        return recorded.contribution

    def update(self, instance: Contribution, validated_data: dict[str, Any]) -> Contribution:
        from ..services.funding import save_contribution

        for name, value in validated_data.items():
            setattr(instance, name, value)
        recorded = save_contribution(
            actor=self.context["request"].user,
            reason=self.context.get("reason", "API"),
            contribution=instance,
        )
        return recorded.contribution


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

    def create(self, validated_data: dict[str, Any]) -> Activity:
        roles = validated_data.pop("organisation_roles", None)
        with transaction.atomic():
            activity = super().create(validated_data)
            if roles:
                self._set_organisations(activity, roles)
        return activity

    def update(self, instance: Activity, validated_data: dict[str, Any]) -> Activity:
        roles = validated_data.pop("organisation_roles", None)
        with transaction.atomic():
            activity = super().update(instance, validated_data)
            if roles is not None:
                self._set_organisations(activity, roles)
        return activity

    def _set_organisations(self, activity: Activity, roles: list[dict[str, Any]]) -> None:
        from ..services.organisations import set_activity_organisations

        set_activity_organisations(
            actor=self.context["request"].user,
            reason=self.context.get("reason", "API"),
            activity=activity,
            roles=[(item["organisation"], item["role"]) for item in roles],
        )
