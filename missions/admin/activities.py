"""Admin for the office's work: one page per kind of activity, plus "All activities".

Every save goes through missions.services.activities (the inlines for countries, participants
and outcomes become the sets the services replace; action plans and follow-up requests are
written by their own services), inside the admin's transaction, with the officer as actor and
the optional "reason for change" as history reason. Other apps may append inlines to the
classes of ``ACTIVITY_ADMINS`` (``inlines`` is a plain list on each class); their formsets
are saved after the activity, the usual way.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Prefetch, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse

from tracker.actors import Actor

from .. import visibility
from ..choices import ActivityKind, CountryRole, OutcomeKind, RegionKind
from ..models import (
    ActionPlan,
    Activity,
    ActivityCountry,
    Country,
    CtcReportSupport,
    CtedJointVisit,
    DelegationVisit,
    FollowUpRequest,
    MinisterialMeeting,
    Mission,
    OtherEvent,
    OutcomeDocument,
    Participation,
    Region,
    TrainingCourse,
    VideoConference,
    Workshop,
)
from ..services import activities as services
from .nothing_half_saved import NothingHalfSaved
from .visible import VisibleAdmin

__all__ = [
    "ACTIVITY_ADMINS",
    "ActivityAdmin",
    "CtcReportSupportAdmin",
    "CtedJointVisitAdmin",
    "DelegationVisitAdmin",
    "MinisterialMeetingAdmin",
    "MissionAdmin",
    "OtherEventAdmin",
    "TrainingCourseAdmin",
    "VideoConferenceAdmin",
    "WorkshopAdmin",
]

# simple-history keeps the history of the concrete Activity; the proxies' history pages read it.
_PROXIES: tuple[type[Activity], ...] = (
    Mission,
    VideoConference,
    CtcReportSupport,
    DelegationVisit,
    CtedJointVisit,
    TrainingCourse,
    Workshop,
    MinisterialMeeting,
    OtherEvent,
)
for _proxy in _PROXIES:
    _proxy._meta.simple_history_manager_attribute = "history"  # type: ignore[attr-defined]  # set by simple-history on concrete models only

_ACTIVITY_FIELDS = frozenset(
    field.name
    for field in Activity._meta.concrete_fields
    if field.name not in {"id", "created_at", "updated_at"}
)
# Kinds without a page of their own, edited on the "Other events" page.
OTHER_EVENT_KINDS = (ActivityKind.OTHER_EVENT, ActivityKind.EXPERT_MEETING, ActivityKind.BRIEFING)


# --- Forms ------------------------------------------------------------------------------------
class ReasonForm(forms.ModelForm):
    """Adds the optional reason for a change, which goes into the history row."""

    change_reason = forms.CharField(
        label="Reason for change",
        required=False,
        max_length=100,
        help_text="Optional; kept in the history with your name and the time.",
    )


def _change_rows(activity_pk: int) -> list[tuple[str, dict[str, Any] | None]]:
    """The newest history row of the activity and of each kind of row that hangs off it."""
    tables: list[tuple[Any, str]] = [
        (Activity, "id"),
        (ActivityCountry, "activity_id"),
        (Participation, "activity_id"),
        (OutcomeDocument, "activity_id"),
        (ActionPlan, "mission_id"),
        (FollowUpRequest, "mission_id"),
    ]
    return [
        (
            model.__name__,
            model.history.filter(**{field: activity_pk})
            .order_by("-history_id")
            .values("history_id", "history_date", "history_user__username")
            .first(),
        )
        for model, field in tables
    ]


def _conflict_message(activity: Activity, seen: int) -> str | None:
    """None when the activity is still at version ``seen``; otherwise who changed it last and when.

    The version is the activity's one lock (the services bump it on any change through any door;
    the API's ETag carries it); the history says who and when.
    """
    if activity.version == seen:
        return None
    rows = [row for _, row in _change_rows(activity.pk) if row]
    if not rows:  # written without history (a bulk load): the version alone tells
        return (
            "This activity was changed since you opened it; reload the page to see that change "
            "(yours was not saved)."
        )
    newest = max(rows, key=lambda row: row["history_date"])
    who = newest["history_user__username"] or "the system (an import or a task)"
    when = newest["history_date"].strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    return (
        f"This activity was changed by {who} at {when} since you opened it; reload the page to see "
        "that change (yours was not saved)."
    )


class ActivityForm(ReasonForm):
    # The version of the record the officer opened; a save over a newer version is refused.
    edit_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    request_user: Any = None  # set by ActivityAdmin.get_form

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["edit_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        follow_up_of = cleaned.get("follow_up_of")
        if follow_up_of is not None and self.instance.pk is not None and follow_up_of.pk == self.instance.pk:
            self.add_error("follow_up_of", "An activity cannot be a follow-up of itself.")
        seen = cleaned.get("edit_version")
        if self.instance.pk is not None and seen is not None:
            conflict = _conflict_message(self.instance, seen)
            if conflict:
                self.add_error(None, conflict)
        if self.request_user is not None:
            errors = visibility.scope_errors(
                self.request_user,
                region=cleaned.get("region"),
                host_country=cleaned.get("host_country"),
                require_some=False,  # the countries are on the inlines; save_related checks the whole
            )
            for field, message in errors.items():
                self.add_error(field if field in self.fields else None, message)
        return cleaned


class ActivityCountryFormSet(BaseInlineFormSet):
    request_user: Any = None  # set by ActivityCountryInline.get_formset
    """Names a country that appears twice in the same role on the row, before the unique check."""

    def clean(self) -> None:
        seen: set[tuple[int, str]] = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("country") or not data.get("role"):
                continue
            key = (data["country"].pk, data["role"])
            if key in seen:
                form.add_error("country", f"{data['country']} appears twice as {data['role']}.")
                continue
            seen.add(key)
            user, country = getattr(self, "request_user", None), data["country"]
            if user is not None and visibility.scope_errors(user, countries=[country], require_some=False):
                form.add_error(
                    "country", f"{country} is outside your regions; you may not record work there."
                )
        super().clean()


class ServiceInlineFormSet(BaseInlineFormSet):
    """Saves its rows through services (``_create``, ``_update``, ``_delete``) instead of ``Model.save``."""

    actor: Any = None
    reason: str = ""
    fields_saved: ClassVar[frozenset[str]] = frozenset()

    def _create(self, **fields: Any) -> Model:
        raise NotImplementedError

    def _update(self, obj: Any, **fields: Any) -> None:
        raise NotImplementedError

    def _delete(self, obj: Any) -> None:
        raise NotImplementedError

    def save(self, commit: bool = True) -> list[Any]:
        self.new_objects: list[Any] = []
        self.changed_objects: list[Any] = []
        self.deleted_objects: list[Any] = []
        for form in self.initial_forms:
            if form in self.deleted_forms:
                self._delete(form.instance)
                self.deleted_objects.append(form.instance)
            elif form.has_changed():
                changed = [name for name in form.changed_data if name in self.fields_saved]
                self._update(form.instance, **{name: form.cleaned_data[name] for name in changed})
                self.changed_objects.append((form.instance, changed))
        for form in self.extra_forms:
            if form.has_changed() and form not in self.deleted_forms:
                fields = {
                    name: form.cleaned_data[name] for name in self.fields_saved if name in form.cleaned_data
                }
                self.new_objects.append(self._create(**fields))
        return self.new_objects


class ActionPlanFormSet(ServiceInlineFormSet):
    fields_saved = frozenset({"country", "title", "status", "adopted_on", "notes"})

    def _create(self, **fields: Any) -> Model:
        return services.create_action_plan(
            actor=self.actor, reason=self.reason, mission=self.instance, **fields
        )

    def _update(self, obj: Any, **fields: Any) -> None:
        services.update_action_plan(actor=self.actor, reason=self.reason, action_plan=obj, **fields)

    def _delete(self, obj: Any) -> None:
        services.delete_action_plan(actor=self.actor, reason=self.reason, action_plan=obj)


class FollowUpRequestFormSet(ServiceInlineFormSet):
    fields_saved = frozenset({"country", "kind", "status", "requested_on", "description", "fulfilled_by"})

    def _create(self, **fields: Any) -> Model:
        return services.create_follow_up_request(
            actor=self.actor, reason=self.reason, mission=self.instance, **fields
        )

    def _update(self, obj: Any, **fields: Any) -> None:
        services.update_follow_up_request(
            actor=self.actor, reason=self.reason, follow_up_request=obj, **fields
        )

    def _delete(self, obj: Any) -> None:
        services.delete_follow_up_request(actor=self.actor, reason=self.reason, follow_up_request=obj)


class VisibleActivityChoices:
    """Activities offered as choices (follow-up of, mission, fulfilled by, an event's activity)
    are only those the user may see: another region's is "not one of the available choices",
    exactly as a missing one (and the services refuse it too)."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is Activity:
            kwargs["queryset"] = visibility.activities(Actor.of(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]  # a ModelAdmin's


# --- Inlines ----------------------------------------------------------------------------------
class ActivityCountryInline(admin.TabularInline):
    model = ActivityCountry
    formset = ActivityCountryFormSet
    fields = ["country", "role"]
    autocomplete_fields = ["country"]
    extra = 1
    verbose_name = "country"
    verbose_name_plural = "countries and their roles"
    default_role: str = CountryRole.BENEFICIARY

    def get_queryset(self, request: HttpRequest) -> QuerySet[ActivityCountry]:
        return super().get_queryset(request).select_related("country")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset: Any = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["role"].initial = self.default_role
        formset.request_user = request.user  # read by ActivityCountryFormSet.clean
        return formset


class AssistedCountryInline(ActivityCountryInline):
    verbose_name = "assisted country"
    verbose_name_plural = "assisted countries"


class ParticipatingCountryInline(ActivityCountryInline):
    verbose_name = "participating country"
    verbose_name_plural = "participating countries (and countries contributing experts)"
    default_role = CountryRole.PARTICIPANT


class TrainingCountryInline(ActivityCountryInline):
    verbose_name = "country"
    verbose_name_plural = "beneficiary and contributing countries"


class ParticipationInline(admin.TabularInline):
    model = Participation  # trained and briefed within the count: Participation.clean
    fields = ["role", "count", "count_qualifier", "trained", "briefed", "notes"]
    extra = 1
    verbose_name = "participants by role"
    verbose_name_plural = "participants by role"


class OutcomeDocumentInline(admin.StackedInline):
    model = OutcomeDocument
    fields = [("kind", "title"), ("symbol", "adopted_on"), "summary"]
    extra = 0
    verbose_name_plural = "outcome documents"
    default_kind: str = OutcomeKind.DECLARATION

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["kind"].initial = self.default_kind
        return formset


class NeedsAssessmentInline(OutcomeDocumentInline):
    verbose_name = "needs assessment"
    verbose_name_plural = "needs assessments received (date received in 'adopted on')"
    default_kind = OutcomeKind.NEEDS_ASSESSMENT


class FollowUpEventInline(admin.TabularInline):
    """The events that follow this one up (edited on their own pages)."""

    model = Activity
    fk_name = "follow_up_of"
    fields = ["reference", "title", "kind", "start_date", "end_date", "status"]
    readonly_fields = ["reference", "title", "kind", "start_date", "end_date", "status"]
    extra = 0
    show_change_link = True
    can_delete = False
    verbose_name = "follow-up event"
    verbose_name_plural = "follow-up events (set 'follow-up of' on the later event)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return visibility.activities(Actor.of(request), super().get_queryset(request))


class ActionPlanInline(VisibleActivityChoices, admin.StackedInline):
    model = ActionPlan
    fk_name = "mission"
    formset = ActionPlanFormSet
    fields = [("country", "status", "adopted_on"), "title", "notes"]
    autocomplete_fields = ["country"]
    extra = 0


class FollowUpRequestInline(VisibleActivityChoices, admin.StackedInline):
    model = FollowUpRequest
    fk_name = "mission"
    formset = FollowUpRequestFormSet
    fields = [("country", "kind", "status", "requested_on"), "description", "fulfilled_by"]
    autocomplete_fields = ["country", "fulfilled_by"]
    extra = 0


# --- List filters -----------------------------------------------------------------------------
class CountryFilter(admin.SimpleListFilter):
    title = "country"
    parameter_name = "country"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[Any, str]]:
        return [
            (country.iso3, country.name_en)
            for country in Country.objects.filter(activity_roles__isnull=False)
            .distinct()
            .only("iso3", "name_en")
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        return queryset.filter(
            Q(pk__in=ActivityCountry.objects.filter(country__iso3=self.value()).values("activity"))
            | Q(host_country__iso3=self.value())
        )


class RegionFilter(admin.SimpleListFilter):
    title = "region"
    parameter_name = "region"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[Any, str]]:
        regions = Region.objects.filter(
            kind__in=[RegionKind.FIELD, RegionKind.M49_REGION, RegionKind.M49_SUBREGION]
        )
        return [(region.code, f"{region.name} ({region.get_kind_display()})") for region in regions]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        region = Region.objects.filter(code=self.value()).first()
        if region is None:
            return queryset.none()
        countries = Country.objects.in_region(region).values("pk")
        return queryset.filter(
            Q(region=region)
            | Q(host_country__in=countries)
            | Q(pk__in=ActivityCountry.objects.filter(country__in=countries).values("activity"))
        )


class YearFilter(admin.SimpleListFilter):
    title = "year"
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[Any, str]]:
        years = model_admin.get_queryset(request).dates("start_date", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        try:
            year = int(self.value() or "")
        except ValueError:
            return queryset.none()
        return queryset.filter(start_date__year=year)


# --- The activity pages -------------------------------------------------------------------------
_WHAT = ["title", "reference", "status", ("start_date", "end_date", "date_precision")]
_RECORD = (
    "Record",
    {
        "fields": [
            "responsible_officer",
            "is_confidential",
            "notes",
            ("source_document", "source_paragraph"),
            ("created_at", "updated_at"),
        ]
    },
)
_REASON = ("Reason for this change", {"fields": ["change_reason", "edit_version"]})
_PLACE = ("Where", {"fields": [("city", "host_country"), "region"]})


class ActivityAdmin(NothingHalfSaved, VisibleActivityChoices, VisibleAdmin):
    """All activities of every kind: search across kinds; every field editable, kind included."""

    kind: ClassVar[str | None] = None
    form = ActivityForm
    list_display = [
        "title",
        "kind",
        "start_date",
        "end_date",
        "status",
        "host_country",
        "country_list",
        "reference",
    ]
    list_filter = ["kind", CountryFilter, RegionFilter, YearFilter, "status", "level"]
    search_fields = ["title", "reference", "city", "notes", "topics", "source_paragraph"]
    date_hierarchy = "start_date"
    list_select_related = ["host_country"]
    autocomplete_fields = ["host_country", "follow_up_of", "responsible_officer"]
    readonly_fields = ["created_at", "updated_at"]
    list_per_page = 50
    fieldsets: Any = [
        (None, {"fields": ["kind", *_WHAT, "level"]}),
        _PLACE,
        ("Content", {"fields": ["target_group", "topics", "follow_up_of"]}),
        (
            "Counts",
            {
                "fields": [
                    ("stated_country_count", "stated_country_count_qualifier"),
                    ("participant_count", "participant_count_qualifier"),
                    ("officials_trained", "officials_briefed"),
                ]
            },
        ),
        _RECORD,
        _REASON,
    ]
    inlines: list[type[admin.options.InlineModelAdmin]] = [
        ActivityCountryInline,
        ParticipationInline,
        OutcomeDocumentInline,
        FollowUpEventInline,
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if self.kind is not None:
            queryset = queryset.filter(kind=self.kind)
        return queryset.prefetch_related(
            Prefetch("country_roles", queryset=ActivityCountry.objects.select_related("country"))
        )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        form.request_user = request.user
        return form

    @admin.display(description="countries")
    def country_list(self, obj: Activity) -> str:
        names = [f"{row.country.iso3} ({row.role})" for row in obj.country_roles.all()]
        return ", ".join(names[:8]) + (f" … (+{len(names) - 8})" if len(names) > 8 else "")

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        # Reverting would bypass the services (and the inlines); edit the record instead.
        return True

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied("Reverting is disabled: edit the record instead.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        obj = super().save_form(request, form, change)
        if self.kind is not None:
            obj.kind = self.kind  # the inlines' rules (e.g. action plans follow missions) look at it
        return obj

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Written in save_related, with the inlines, through the services."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Sequence[Any], change: bool) -> None:
        reason = form.cleaned_data.get("change_reason") or (
            "Changed in the admin" if change else "Added in the admin"
        )
        fields = {name: value for name, value in form.cleaned_data.items() if name in _ACTIVITY_FIELDS}
        sets: dict[str, Any] = {}
        others = []
        for formset in formsets:
            name, row = _SET_ROWS.get(formset.model, (None, None))
            if name is None or row is None:
                others.append(formset)
                continue
            sets[name] = [
                row(data)
                for data in (getattr(f, "cleaned_data", None) for f in formset.forms)
                if data and not data.get("DELETE")
            ]
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if change:  # the service refuses work outside the officer's regions (scope_errors)
            activity = services.update_activity(
                actor=request.user,
                reason=reason,
                activity=form.instance,
                expected_version=form.cleaned_data.get("edit_version"),  # checked again under the row lock
                **sets,
                **fields,
            )
        else:
            kind = fields.pop("kind", None) or self.kind or ""
            activity = services.create_activity(
                actor=request.user, reason=reason, kind=kind, **sets, **fields
            )
        form.instance.pk = activity.pk
        form.instance.kind = activity.kind
        form.instance._state.adding = False
        form.instance._state.db = activity._state.db
        for formset in others:
            formset.actor, formset.reason = request.user, reason
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.delete_activity(actor=request.user, reason="Deleted in the admin", activity=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


def _country_row(data: dict[str, Any]) -> tuple[Any, str]:
    return (data["country"], data["role"])


def _fields_row(names: Iterable[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def row(data: dict[str, Any]) -> dict[str, Any]:
        return {name: data[name] for name in names if name in data}

    return row


_SET_ROWS: dict[type[Model], tuple[str, Callable[[dict[str, Any]], Any]]] = {
    ActivityCountry: ("countries", _country_row),
    Participation: (
        "participations",
        _fields_row(["role", "count", "count_qualifier", "trained", "briefed", "notes"]),
    ),
    OutcomeDocument: ("outcomes", _fields_row(["kind", "title", "symbol", "adopted_on", "summary"])),
}


class _KindAdmin(ActivityAdmin):
    """A page for one kind: the kind is set on save and hidden; only what that kind needs is shown."""

    list_display = ["title", "start_date", "end_date", "status", "country_list", "reference"]
    list_filter = [CountryFilter, RegionFilter, YearFilter, "status"]


@admin.register(Mission)
class MissionAdmin(_KindAdmin):
    kind = ActivityKind.MISSION
    fieldsets = [(None, {"fields": _WHAT}), _PLACE, ("Content", {"fields": ["topics"]}), _RECORD, _REASON]
    inlines = [AssistedCountryInline, ActionPlanInline, FollowUpRequestInline, OutcomeDocumentInline]


@admin.register(VideoConference)
class VideoConferenceAdmin(_KindAdmin):
    kind = ActivityKind.VIDEO_CONFERENCE
    fieldsets = [
        (None, {"fields": _WHAT}),
        ("Content", {"fields": ["topics", "participant_count"]}),
        _RECORD,
        _REASON,
    ]
    inlines = [AssistedCountryInline]


@admin.register(CtcReportSupport)
class CtcReportSupportAdmin(_KindAdmin):
    kind = ActivityKind.CTC_REPORT_SUPPORT
    fieldsets = [(None, {"fields": _WHAT}), ("Content", {"fields": ["topics"]}), _RECORD, _REASON]
    inlines = [AssistedCountryInline]


@admin.register(DelegationVisit)
class DelegationVisitAdmin(_KindAdmin):
    kind = ActivityKind.DELEGATION_VISIT
    fieldsets = [
        (None, {"fields": _WHAT}),
        ("Content", {"fields": ["topics", ("participant_count", "participant_count_qualifier")]}),
        _RECORD,
        _REASON,
    ]
    inlines = [AssistedCountryInline, ParticipationInline]


@admin.register(CtedJointVisit)
class CtedJointVisitAdmin(_KindAdmin):
    kind = ActivityKind.CTED_JOINT_VISIT
    fieldsets = [(None, {"fields": _WHAT}), ("Content", {"fields": ["city", "topics"]}), _RECORD, _REASON]
    inlines = [AssistedCountryInline, NeedsAssessmentInline]


@admin.register(TrainingCourse)
class TrainingCourseAdmin(_KindAdmin):
    kind = ActivityKind.TRAINING_COURSE
    fieldsets = [
        (None, {"fields": [*_WHAT, "level"]}),
        _PLACE,
        ("Content", {"fields": ["target_group", "topics"]}),
        (
            "Participants",
            {
                "fields": [
                    ("participant_count", "participant_count_qualifier"),
                    ("officials_trained", "officials_briefed"),
                ]
            },
        ),
        _RECORD,
        _REASON,
    ]
    inlines = [TrainingCountryInline, ParticipationInline, OutcomeDocumentInline]


_MEETING_FIELDSETS = [
    (None, {"fields": [*_WHAT, "level"]}),
    _PLACE,
    ("Content", {"fields": ["target_group", "topics", "follow_up_of"]}),
    (
        "Participation",
        {
            "fields": [
                ("stated_country_count", "stated_country_count_qualifier"),
                ("participant_count", "participant_count_qualifier"),
            ]
        },
    ),
    _RECORD,
    _REASON,
]


@admin.register(Workshop)
class WorkshopAdmin(_KindAdmin):
    kind = ActivityKind.WORKSHOP
    list_display = [
        "title",
        "start_date",
        "city",
        "host_country",
        "level",
        "stated_country_count",
        "reference",
    ]
    list_filter = [CountryFilter, RegionFilter, YearFilter, "status", "level"]
    fieldsets = _MEETING_FIELDSETS
    inlines = [ParticipatingCountryInline, ParticipationInline, OutcomeDocumentInline, FollowUpEventInline]


@admin.register(MinisterialMeeting)
class MinisterialMeetingAdmin(WorkshopAdmin):
    kind = ActivityKind.MINISTERIAL_MEETING
    inlines = [ParticipatingCountryInline, ParticipationInline, OutcomeDocumentInline, FollowUpEventInline]


class OtherEventForm(ActivityForm):
    kind = forms.ChoiceField(
        choices=[(kind.value, kind.label) for kind in OTHER_EVENT_KINDS], initial=ActivityKind.OTHER_EVENT
    )


@admin.register(OtherEvent)
class OtherEventAdmin(_KindAdmin):
    """Expert meetings, briefings and other events: the kinds without a page of their own."""

    kind = None
    form = OtherEventForm
    list_display = ["title", "kind", "start_date", "status", "city", "host_country", "reference"]
    list_filter = ["kind", CountryFilter, RegionFilter, YearFilter, "status"]
    fieldsets = [
        (None, {"fields": ["kind", *_WHAT, "level"]}),
        _PLACE,
        (
            "Content",
            {"fields": ["topics", "follow_up_of", ("participant_count", "participant_count_qualifier")]},
        ),
        _RECORD,
        _REASON,
    ]
    inlines = [ParticipatingCountryInline, OutcomeDocumentInline, FollowUpEventInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The proxy's manager holds kind other_event only; this page covers its sibling kinds too.
        return (
            visibility.activities(Actor.of(request), Activity.objects.filter(kind__in=OTHER_EVENT_KINDS))
            .select_related("host_country")
            .prefetch_related(
                Prefetch("country_roles", queryset=ActivityCountry.objects.select_related("country"))
            )
        )


admin.site.register(Activity, ActivityAdmin)

ACTIVITY_ADMINS: list[type[ActivityAdmin]] = [
    ActivityAdmin,
    MissionAdmin,
    VideoConferenceAdmin,
    CtcReportSupportAdmin,
    DelegationVisitAdmin,
    CtedJointVisitAdmin,
    TrainingCourseAdmin,
    WorkshopAdmin,
    MinisterialMeetingAdmin,
    OtherEventAdmin,
]


# --- Action plans and follow-up requests on their own pages ------------------------------------
class MissionScopedForm(ReasonForm):
    """The mission of an action plan or follow-up request lies within the user's regions."""

    request_user: Any = None  # set by _ServiceSavedAdmin.get_form

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        mission = cleaned.get("mission")
        user = self.request_user
        if mission is not None and user is not None and not visibility.can_see(user, mission):
            self.add_error("mission", f"{mission} is outside your regions.")
        return cleaned


class ScopedByActivityAdmin(VisibleAdmin):
    """Admin of rows that hang off an activity: only those whose activity the reader may see are
    listed, shown, changed or deleted (missions.visibility narrows the queryset by the model)."""


class _ServiceSavedAdmin(VisibleActivityChoices, ScopedByActivityAdmin):
    form = MissionScopedForm

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form: Any = super().get_form(request, obj, change, **kwargs)
        form.request_user = request.user
        return form

    def _reason(self, form: Any) -> str:
        return form.cleaned_data.get("change_reason") or (
            "Changed in the admin" if form.instance.pk else "Added in the admin"
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:  # "delete selected", one by one through the service
            self.delete_model(request, obj)


@admin.register(ActionPlan)
class ActionPlanAdmin(_ServiceSavedAdmin):
    list_display = ["title", "country", "mission", "status", "adopted_on"]
    list_filter = ["status", ("country", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "country__name_en", "mission__title", "mission__reference"]
    list_select_related = ["country", "mission"]
    autocomplete_fields = ["mission", "country"]
    fields = ["mission", "country", "title", "status", "adopted_on", "notes", "change_reason"]

    def save_model(self, request: HttpRequest, obj: ActionPlan, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in ActionPlanFormSet.fields_saved | {"mission"}}
        if change:
            services.update_action_plan(
                actor=request.user, reason=self._reason(form), action_plan=obj, **values
            )
        else:
            obj.pk = services.create_action_plan(actor=request.user, reason=self._reason(form), **values).pk

    def delete_model(self, request: HttpRequest, obj: ActionPlan) -> None:
        services.delete_action_plan(actor=request.user, reason="Deleted in the admin", action_plan=obj)


@admin.register(FollowUpRequest)
class FollowUpRequestAdmin(_ServiceSavedAdmin):
    list_display = ["country", "kind", "status", "requested_on", "mission", "fulfilled_by"]
    list_filter = ["kind", "status", ("country", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["country__name_en", "description", "mission__title", "mission__reference"]
    list_select_related = ["country", "mission", "fulfilled_by"]
    autocomplete_fields = ["mission", "country", "fulfilled_by"]
    date_hierarchy = "requested_on"
    fields = [
        "mission",
        "country",
        "kind",
        "status",
        "requested_on",
        "description",
        "fulfilled_by",
        "change_reason",
    ]

    def save_model(self, request: HttpRequest, obj: FollowUpRequest, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in FollowUpRequestFormSet.fields_saved | {"mission"}}
        if change:
            services.update_follow_up_request(
                actor=request.user, reason=self._reason(form), follow_up_request=obj, **values
            )
        else:
            obj.pk = services.create_follow_up_request(
                actor=request.user, reason=self._reason(form), **values
            ).pk

    def delete_model(self, request: HttpRequest, obj: FollowUpRequest) -> None:
        services.delete_follow_up_request(
            actor=request.user, reason="Deleted in the admin", follow_up_request=obj
        )
