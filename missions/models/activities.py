"""The office's work: one Activity table for what every kind shares, small tables for outcomes.

Indicators query one place (Activity with its ActivityCountry rows); officers see one admin
page per kind through the proxy models at the end of this module.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from tracker.writing import record_version

from ..choices import (
    ActionPlanStatus,
    ActivityKind,
    ActivityLevel,
    ActivityStatus,
    CountryRole,
    DatePrecision,
    FollowUpKind,
    FollowUpStatus,
    OutcomeKind,
    ParticipantRole,
    Qualifier,
)
from .reference import Country, Region


def _month_after(day: datetime.date) -> datetime.date:
    """The first day of the month after ``day``'s."""
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


class ActivityQuerySet(models.QuerySet["Activity"]):
    def of_kind(self, *kinds: str) -> "ActivityQuerySet":
        return self.filter(kind__in=kinds)

    def in_period(self, start: datetime.date, end: datetime.date) -> "ActivityQuerySet":
        """Activities that started within [start, end], both inclusive: the one date rule of
        every indicator and report.

        An activity known only by its month or year (``date_precision``) counts only when the
        period covers that whole month or year, so a quarter never claims work the records
        date only to "2006"."""
        return self.filter(start_date__gte=start, start_date__lte=end).filter(
            self._precise_enough(start, end)
        )

    @staticmethod
    def _precise_enough(start: datetime.date, end: datetime.date) -> models.Q:
        # The whole months (years) inside the period run from the first one starting on or
        # after ``start`` to the last one ending on or before ``end``.
        first_month = start if start.day == 1 else _month_after(start)
        after_end = end + datetime.timedelta(days=1)
        end_of_months = end if after_end.day == 1 else end.replace(day=1) - datetime.timedelta(days=1)
        first_year = start.year if (start.month, start.day) == (1, 1) else start.year + 1
        last_year = end.year if (end.month, end.day) == (12, 31) else end.year - 1
        return (
            models.Q(date_precision=DatePrecision.DAY)
            | models.Q(
                date_precision=DatePrecision.MONTH,
                start_date__gte=first_month,
                start_date__lte=end_of_months,
            )
            | models.Q(
                date_precision=DatePrecision.YEAR,
                start_date__year__gte=first_year,
                start_date__year__lte=last_year,
            )
        )

    def held(self) -> "ActivityQuerySet":
        return self.filter(status=ActivityStatus.HELD)


class Activity(models.Model):
    """One piece of the office's work, of one kind, with its dates, place and countries."""

    kind = models.CharField(max_length=30, choices=ActivityKind.choices, db_index=True)
    reference = models.CharField(
        max_length=60,
        unique=True,
        null=True,
        blank=True,
        help_text="Stable external identifier (e.g. the report's W-a), used by imports to stay idempotent.",
    )
    title = models.CharField(max_length=400)
    start_date = models.DateField(db_index=True)
    end_date = models.DateField(null=True, blank=True)
    date_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    status = models.CharField(max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.HELD)
    level = models.CharField(max_length=15, choices=ActivityLevel.choices, default=ActivityLevel.NATIONAL)
    city = models.CharField(max_length=120, blank=True)
    host_country = models.ForeignKey(
        Country, null=True, blank=True, on_delete=models.PROTECT, related_name="hosted_activities"
    )
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
        help_text="The office's field region the activity belongs to.",
    )
    countries = models.ManyToManyField(Country, through="ActivityCountry", related_name="activities")
    target_group = models.CharField(max_length=300, blank=True)
    topics = models.TextField(blank=True)
    stated_country_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Countries taking part, as stated where no list is given."
    )
    stated_country_count_qualifier = models.CharField(
        max_length=12, choices=Qualifier.choices, default=Qualifier.EXACT
    )
    participant_count = models.PositiveIntegerField(null=True, blank=True)
    participant_count_qualifier = models.CharField(
        max_length=12, choices=Qualifier.choices, default=Qualifier.EXACT
    )
    officials_trained = models.PositiveIntegerField(null=True, blank=True)
    officials_briefed = models.PositiveIntegerField(null=True, blank=True)
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_up_events"
    )
    responsible_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    is_confidential = models.BooleanField(
        default=False,
        help_text="Hidden from integrations and public exports unless their scope allows it.",
    )
    notes = models.TextField(blank=True)
    source_document = models.CharField(
        max_length=100, blank=True, help_text="Document symbol, e.g. E/CN.15/2007/9."
    )
    source_paragraph = models.CharField(max_length=60, blank=True, help_text="e.g. 21(a).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    version = record_version()
    history = HistoricalRecords()

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "title"]
        verbose_name_plural = "activities"
        permissions = [
            ("view_confidential_activity", "Can see activities marked confidential (missions.visibility)"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="activity_end_not_before_start",
            ),
        ]
        indexes = [models.Index(fields=["kind", "start_date"], name="activity_kind_start")]

    def __str__(self) -> str:
        return f"{self.title} ({self.start_date.isoformat()})"

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date is before the start date."})


class ActivityCountry(models.Model):
    """A country's part in an activity: assisted, participating, contributing experts or hosting."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="country_roles")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="activity_roles")
    role = models.CharField(max_length=15, choices=CountryRole.choices, default=CountryRole.BENEFICIARY)
    history = HistoricalRecords()

    class Meta:
        ordering = ["activity", "role", "country__name_en"]
        verbose_name_plural = "activity countries"
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "country", "role"], name="activitycountry_unique_role"
            ),
        ]
        indexes = [models.Index(fields=["country", "role"], name="activitycountry_country_role")]

    def __str__(self) -> str:
        return f"{self.country} ({self.get_role_display()})"


class Participation(models.Model):
    """Who took part in an activity, by role (prosecutors, judges, judicial police ...)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="participations")
    role = models.CharField(max_length=30, choices=ParticipantRole.choices)
    count = models.PositiveIntegerField(null=True, blank=True)
    count_qualifier = models.CharField(max_length=12, choices=Qualifier.choices, default=Qualifier.EXACT)
    trained = models.PositiveIntegerField(null=True, blank=True, help_text="How many of them were trained.")
    briefed = models.PositiveIntegerField(null=True, blank=True, help_text="How many of them were briefed.")
    notes = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["activity", "role"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "role"], name="participation_unique_role"),
            models.CheckConstraint(
                condition=models.Q(count__isnull=True)
                | models.Q(trained__isnull=True)
                | models.Q(trained__lte=models.F("count")),
                name="participation_trained_within_count",
                violation_error_message="More were trained than took part.",
            ),
            models.CheckConstraint(
                condition=models.Q(count__isnull=True)
                | models.Q(briefed__isnull=True)
                | models.Q(briefed__lte=models.F("count")),
                name="participation_briefed_within_count",
                violation_error_message="More were briefed than took part.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.count if self.count is not None else 'number not stated'}"

    def clean(self) -> None:
        # The constraints above hold this in the database; here it names the field, for every door.
        errors = {
            part: f"More {part} ({value}) than took part ({self.count})."
            for part, value in (("trained", self.trained), ("briefed", self.briefed))
            if value is not None and self.count is not None and value > self.count
        }
        if errors:
            raise ValidationError(errors)


class ActionPlan(models.Model):
    """A country's action plan drawn up after a technical-assistance mission (para 15)."""

    mission = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="action_plans")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="action_plans")
    title = models.CharField(max_length=400)
    status = models.CharField(
        max_length=20, choices=ActionPlanStatus.choices, default=ActionPlanStatus.DRAFTED
    )
    adopted_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    version = record_version()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-mission__start_date", "title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        mission = self.mission if self.mission_id else None
        if mission is not None and mission.kind != ActivityKind.MISSION:
            raise ValidationError({"mission": "An action plan follows a technical-assistance mission."})


class FollowUpRequest(models.Model):
    """A country's request for more specialised help after a mission (para 15)."""

    mission = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="follow_up_requests")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="follow_up_requests")
    kind = models.CharField(max_length=25, choices=FollowUpKind.choices)
    status = models.CharField(max_length=15, choices=FollowUpStatus.choices, default=FollowUpStatus.REQUESTED)
    requested_on = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)
    fulfilled_by = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="fulfils_requests"
    )
    version = record_version()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_on", "country__name_en"]

    def __str__(self) -> str:
        return f"{self.country}: {self.get_kind_display()} ({self.get_status_display()})"

    def clean(self) -> None:
        mission = self.mission if self.mission_id else None
        if mission is not None and mission.kind != ActivityKind.MISSION:
            raise ValidationError({"mission": "A follow-up request follows a technical-assistance mission."})
        if mission is not None and self.requested_on and self.requested_on < mission.start_date:
            raise ValidationError(
                {"requested_on": "A follow-up cannot be requested before its mission started."}
            )


class OutcomeDocument(models.Model):
    """What an activity produced: a declaration, plan of action, recommendations, needs assessment."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(max_length=20, choices=OutcomeKind.choices)
    title = models.CharField(max_length=400)
    symbol = models.CharField("UN document symbol", max_length=100, blank=True)
    adopted_on = models.DateField(
        null=True, blank=True, help_text="Adopted, or received for a needs assessment."
    )
    summary = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["activity", "kind", "title"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "kind", "title"], name="outcome_unique_title"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.symbol})" if self.symbol else self.title


class OfficerAssignment(models.Model):
    """The field regions whose work an officer may write (and a manager may read)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="region_assignments"
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="officer_assignments")
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__username", "region__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "region"], name="officerassignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.region}"


# --- One admin page per kind ------------------------------------------------------------
class _KindManager(models.Manager["Activity"]):
    kind: str = ""

    def get_queryset(self) -> models.QuerySet["Activity"]:
        return super().get_queryset().filter(kind=self.kind)


def _kind_manager(kind: str) -> _KindManager:
    manager = _KindManager()
    manager.kind = kind
    return manager


class Mission(Activity):
    objects = _kind_manager(ActivityKind.MISSION)  # type: ignore[assignment,misc]  # proxy filter

    class Meta:
        proxy = True
        verbose_name = "technical-assistance mission"


class VideoConference(Activity):
    objects = _kind_manager(ActivityKind.VIDEO_CONFERENCE)  # type: ignore[assignment,misc]  # proxy filter

    class Meta:
        proxy = True


class CtcReportSupport(Activity):
    objects = _kind_manager(ActivityKind.CTC_REPORT_SUPPORT)  # type: ignore[assignment,misc]  # proxy filter

    class Meta:
        proxy = True
        verbose_name = "CTC report support"
        verbose_name_plural = "CTC report support"


class DelegationVisit(Activity):
    objects = _kind_manager(ActivityKind.DELEGATION_VISIT)  # type: ignore[assignment,misc]  # proxy filter

    class Meta:
        proxy = True


class CtedJointVisit(Activity):
    objects = _kind_manager(ActivityKind.CTED_JOINT_VISIT)  # type: ignore[assignment,misc]  # proxy filter

    class Meta:
        proxy = True
        verbose_name = "joint visit with CTED"
        verbose_name_plural = "joint visits with CTED"


class TrainingCourse(Activity):
    objects = _kind_manager(ActivityKind.TRAINING_COURSE)  # type: ignore[assignment,misc]  # proxy filter

    class Meta:
        proxy = True


class Workshop(Activity):
    objects = _kind_manager(ActivityKind.WORKSHOP)  # type: ignore[assignment,misc]  # proxy filter

    class Meta:
        proxy = True
        verbose_name = "subregional or regional workshop"


class MinisterialMeeting(Activity):
    objects = _kind_manager(ActivityKind.MINISTERIAL_MEETING)  # type: ignore[assignment,misc]  # proxy filter

    class Meta:
        proxy = True


class OtherEvent(Activity):
    """Expert meetings, briefings and other events (the kinds without a page of their own)."""

    objects = _kind_manager(ActivityKind.OTHER_EVENT)  # type: ignore[assignment,misc]  # proxy filter

    class Meta:
        proxy = True
