"""Serializers of the missions resources. Related objects appear by their natural keys:
countries by ISO 3166 alpha-3 code, regions, instruments and tools by code."""

from typing import Any

from rest_framework import serializers

from tracker.api.serializers import ApiModelSerializer

from ..models import (
    ActionPlan,
    Activity,
    ActivityCountry,
    Country,
    FollowUpRequest,
    Instrument,
    LegislationEvent,
    OutcomeDocument,
    Participation,
    Ratification,
    Region,
    Tool,
)


def country_field(**kwargs: Any) -> serializers.SlugRelatedField:
    kwargs.setdefault("help_text", "Country, by ISO 3166 alpha-3 code (e.g. NER).")
    if not kwargs.get("read_only"):
        kwargs["queryset"] = Country.objects.all()
    return serializers.SlugRelatedField(slug_field="iso3", **kwargs)


def region_field(**kwargs: Any) -> serializers.SlugRelatedField:
    kwargs.setdefault("help_text", "Region, by its code (e.g. M49-002).")
    if not kwargs.get("read_only"):
        kwargs["queryset"] = Region.objects.all()
    return serializers.SlugRelatedField(slug_field="code", **kwargs)


class RegionSerializer(ApiModelSerializer):
    parent = region_field(required=False, allow_null=True, help_text="Enclosing region, by code.")  # type: ignore[assignment]  # DRF moves fields off the class

    class Meta:
        model = Region
        fields = ["id", "code", "name", "kind", "m49_code", "parent", "source"]


class CountrySerializer(ApiModelSerializer):
    m49_region = region_field(required=False, allow_null=True, help_text="UN M49 region, by code.")
    m49_subregion = region_field(required=False, allow_null=True, help_text="UN M49 sub-region, by code.")
    field_region = region_field(
        required=False,
        allow_null=True,
        help_text="The office's field region, by code, where one is assigned.",
    )

    class Meta:
        model = Country
        fields = [
            "id",
            "iso3",
            "iso2",
            "m49",
            "name_en",
            "name_fr",
            "name_es",
            "name_ru",
            "name_zh",
            "name_ar",
            "formal_name_en",
            "is_un_member",
            "un_admission_date",
            "m49_region",
            "m49_subregion",
            "field_region",
            "source",
        ]


class InstrumentSerializer(ApiModelSerializer):
    is_first_12 = serializers.BooleanField(
        read_only=True, help_text="One of the first 12 universal instruments (1963-1999)."
    )

    class Meta:
        model = Instrument
        fields = [
            "id",
            "code",
            "seq",
            "group",
            "is_first_12",
            "short_title",
            "title_en",
            "title_zh",
            "adoption_place",
            "adoption_date",
            "depositary",
            "adopted_by",
            "status_coverage",
            "status_covered_until",
            "status_source",
            "data_source",
        ]


class RatificationSerializer(ApiModelSerializer):
    country = country_field()
    instrument = serializers.SlugRelatedField(
        slug_field="code", queryset=Instrument.objects.all(), help_text="Instrument, by code."
    )

    class Meta:
        model = Ratification
        fields = [
            "id",
            "country",
            "instrument",
            "action",
            "signature_date",
            "deposit_date",
            "entry_into_force_date",
            "reservations",
            "source",
            "source_reference",
            "retrieved_on",
        ]
        # The pair is checked by the model's constraint in full_clean (named field errors).
        validators: list[Any] = []


class LegislationEventSerializer(ApiModelSerializer):
    country = country_field()
    instruments = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Instrument.objects.all(),
        many=True,
        required=False,
        help_text="Instruments whose provisions the law incorporates, by code.",
    )
    activity = serializers.PrimaryKeyRelatedField(
        queryset=Activity.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the activity through which the office assisted.",
    )

    class Meta:
        model = LegislationEvent
        fields = [
            "id",
            "country",
            "kind",
            "title",
            "date",
            "date_precision",
            "instruments",
            "assisted_by_office",
            "activity",
            "source",
            "notes",
        ]
        validators: list[Any] = []


class ToolSerializer(ApiModelSerializer):
    countries = country_field(many=True, required=False, help_text="Countries it was disseminated to (ISO3).")

    class Meta:
        model = Tool
        fields = [
            "id",
            "code",
            "name_en",
            "name_zh",
            "kind",
            "owner_unit",
            "partners",
            "status",
            "status_date",
            "status_date_precision",
            "availability",
            "legal_system",
            "countries",
            "counts_as_office_tool",
            "source_paragraph",
            "notes",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


def mission_field(**kwargs: Any) -> serializers.PrimaryKeyRelatedField:
    kwargs.setdefault("help_text", "Id of the technical-assistance mission.")
    return serializers.PrimaryKeyRelatedField(queryset=Activity.objects.all(), **kwargs)


class ActionPlanSerializer(ApiModelSerializer):
    mission = mission_field()
    country = country_field()

    class Meta:
        model = ActionPlan
        fields = ["id", "mission", "country", "title", "status", "adopted_on", "notes"]


class FollowUpRequestSerializer(ApiModelSerializer):
    mission = mission_field()
    country = country_field()
    fulfilled_by = serializers.PrimaryKeyRelatedField(
        queryset=Activity.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the activity that fulfilled the request.",
    )

    class Meta:
        model = FollowUpRequest
        fields = ["id", "mission", "country", "kind", "status", "requested_on", "description", "fulfilled_by"]


# --- An activity and its nested parts ---------------------------------------------------
class ActivityCountrySerializer(ApiModelSerializer):
    country = country_field()

    class Meta:
        model = ActivityCountry
        fields = ["country", "role"]
        validators: list[Any] = []


class ParticipationSerializer(ApiModelSerializer):
    class Meta:
        model = Participation
        fields = ["role", "count", "count_qualifier", "trained", "briefed", "notes"]
        validators: list[Any] = []


class OutcomeDocumentSerializer(ApiModelSerializer):
    class Meta:
        model = OutcomeDocument
        fields = ["kind", "title", "symbol", "adopted_on", "summary"]
        validators: list[Any] = []


def _unique(items: list[dict[str, Any]], keys: tuple[str, ...], what: str) -> list[dict[str, Any]]:
    seen: set[tuple[Any, ...]] = set()
    for item in items:
        key = tuple(item.get(k) for k in keys)
        if key in seen:
            names = ", ".join(str(getattr(k, "iso3", None) or getattr(k, "code", None) or k) for k in key)
            raise serializers.ValidationError(f"Duplicate {what}: {names}.")
        seen.add(key)
    return items


class ActivitySerializer(ApiModelSerializer):
    """An activity with its countries (by role), participants and outcome documents.

    Writing the nested lists replaces them; leaving a list out (PATCH) keeps it.
    """

    host_country = country_field(required=False, allow_null=True, help_text="Host country (ISO3).")
    region = region_field(
        required=False, allow_null=True, help_text="The office's field region the activity belongs to (code)."
    )
    follow_up_of = serializers.PrimaryKeyRelatedField(
        queryset=Activity.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the activity this one follows up.",
    )
    responsible_officer: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="User name of the responsible officer.",
    )
    countries = ActivityCountrySerializer(
        many=True, source="country_roles", required=False, help_text="Countries and their role."
    )
    participations = ParticipationSerializer(
        many=True, required=False, help_text="Who took part, by role, with counts."
    )
    outcomes = OutcomeDocumentSerializer(
        many=True, required=False, help_text="Declarations, plans of action and other outcome documents."
    )

    class Meta:
        model = Activity
        fields = [
            "id",
            "reference",
            "kind",
            "title",
            "start_date",
            "end_date",
            "date_precision",
            "status",
            "level",
            "city",
            "host_country",
            "region",
            "target_group",
            "topics",
            "stated_country_count",
            "stated_country_count_qualifier",
            "participant_count",
            "participant_count_qualifier",
            "officials_trained",
            "officials_briefed",
            "follow_up_of",
            "responsible_officer",
            "is_confidential",
            "notes",
            "source_document",
            "source_paragraph",
            "created_at",
            "updated_at",
            "countries",
            "participations",
            "outcomes",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_countries(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _unique(value, ("country", "role"), "country and role")

    def validate_participations(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _unique(value, ("role",), "participant role")

    def validate_outcomes(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _unique(value, ("kind", "title"), "outcome")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": "The end date is before the start date."})
        return attrs

    def service_arguments(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        """The nested lists in the shape missions.services.activities expects (None = unchanged)."""
        data = dict(validated_data)
        roles = data.pop("country_roles", None)
        return {
            "fields": data,
            "countries": None if roles is None else [(item["country"], item["role"]) for item in roles],
            "participations": data.pop("participations", None),
            "outcomes": data.pop("outcomes", None),
        }

    def create(self, validated_data: dict[str, Any]) -> Activity:
        from ..services.activities import create_activity

        args = self.service_arguments(validated_data)
        fields = args["fields"]
        return create_activity(
            actor=self.context["request"].user,
            reason=self.context.get("reason", "API create"),
            countries=args["countries"] or (),
            participations=args["participations"] or (),
            outcomes=args["outcomes"] or (),
            **fields,
        )

    def update(self, instance: Activity, validated_data: dict[str, Any]) -> Activity:
        from ..services.activities import update_activity

        args = self.service_arguments(validated_data)
        return update_activity(
            actor=self.context["request"].user,
            reason=self.context.get("reason", "API update"),
            activity=instance,
            countries=args["countries"],
            participations=args["participations"],
            outcomes=args["outcomes"],
            **args["fields"],
        )
