"""Serializers of the missions resources. Related objects appear by their natural keys:
countries by ISO 3166 alpha-3 code, regions, instruments and tools by code."""

from collections.abc import Mapping
from typing import Any, cast

from rest_framework import serializers

from tracker.actors import Actor
from tracker.api.serializers import ApiModelSerializer

from .. import visibility
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

_UNSET = object()


def _visible_activity_ids(context: Mapping[str, Any]) -> set[Any] | None:
    """The ids of the activities the request's actor may see (None: every one), read once per
    serialization (one query, whatever the number of rows), and only for actors who do not see all."""
    cached = context.get("_visible_activity_ids", _UNSET)
    if cached is _UNSET:
        actor = Actor.of(context["request"])
        if actor.sees_confidential and visibility.region_ids(actor) is None:
            cached = None
        else:
            cached = set(visibility.activities(actor).values_list("pk", flat=True))
        cast(dict[str, Any], context)["_visible_activity_ids"] = cached  # DRF's context is a dict
    return cached  # type: ignore[return-value]  # a set or None, as stored just above


class VisibleActivityField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]  # DRF's field is generic only in the stubs
    """An activity by id, as its reader may see it (missions.visibility).

    Written: an id the actor may not see "does not exist", exactly as a missing id (DRF's own
    error), because the choices are the visible activities. Read: a hidden activity shows as
    null, so a visible record never shows a hidden record's id. The values reader
    (tracker/api/reading.py) calls ``represent_pk`` the same way. Without a request in the
    context (tests, the system) every id is shown.
    """

    def __init__(self, **kwargs: Any) -> None:
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Activity.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        request = self.context.get("request")
        return queryset if request is None else visibility.activities(Actor.of(request), queryset)

    def to_representation(self, value: Any) -> Any:
        return self.represent_pk(value.pk, self.context)

    @staticmethod
    def represent_pk(pk: Any, context: Mapping[str, Any]) -> Any:
        if pk is None or context.get("request") is None:
            return pk
        visible = _visible_activity_ids(context)
        return pk if visible is None or pk in visible else None


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
    activity = VisibleActivityField(
        required=False,
        allow_null=True,
        help_text="Id of the activity through which the office assisted (null when you may not see it).",
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


class MissionField(VisibleActivityField):
    """The mission an action plan or a follow-up request hangs off: chosen among the visible
    missions; always shown, because the row itself is visible only when its mission is."""

    @staticmethod
    def represent_pk(pk: Any, context: Mapping[str, Any]) -> Any:
        return pk


def mission_field(**kwargs: Any) -> MissionField:
    kwargs.setdefault("help_text", "Id of the technical-assistance mission.")
    return MissionField(**kwargs)


class ActionPlanSerializer(ApiModelSerializer):
    mission = mission_field()
    country = country_field()

    class Meta:
        model = ActionPlan
        fields = ["id", "mission", "country", "title", "status", "adopted_on", "notes"]


class FollowUpRequestSerializer(ApiModelSerializer):
    mission = mission_field()
    country = country_field()
    fulfilled_by = VisibleActivityField(
        required=False,
        allow_null=True,
        help_text="Id of the activity that fulfilled the request (null when you may not see it).",
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
    follow_up_of = VisibleActivityField(
        required=False,
        allow_null=True,
        help_text="Id of the activity this one follows up (null when you may not see it).",
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

    @staticmethod
    def service_arguments(validated_data: dict[str, Any]) -> dict[str, Any]:
        """The nested lists in the shape missions.services.activities expects (None = unchanged)."""
        data = dict(validated_data)
        roles = data.pop("country_roles", None)
        return {
            "fields": data,
            "countries": None if roles is None else [(item["country"], item["role"]) for item in roles],
            "participations": data.pop("participations", None),
            "outcomes": data.pop("outcomes", None),
        }
