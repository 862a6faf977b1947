"""Who may see which of the office's records: the one rule every reader uses.

Every door calls this module: the API's lists, objects, exports and related-field choices; the
admin's querysets, autocompletes, history and audit pages; the indicators (through the audience);
report content; the audit feed. No reader filters by region or confidentiality on its own.

An **actor** is a person (a user in a session), a token (an integration's service user narrowed
by its scopes) or the system (Celery tasks and management commands, which see everything and
whose work was checked when it was asked for).

- **Regions.** An activity belongs to a region when its own ``region`` is that region, or when its
  host country or one of its countries lies in it (M49 region, sub-region, intermediate region,
  or the office's field region of the country). A user's regions are their OfficerAssignment
  rows; superusers and holders of ``tracker.access_all_regions`` (headquarters) see every region,
  and so do the service users of integration accounts that have no region assigned (their
  scopes decide the rest).
- **Confidential records** are seen only by people holding ``missions.view_confidential_activity``
  and by tokens with the ``confidential`` scope (whose service user holds the permission too).
  The indicators exist for two audiences (``Audience``): with confidential records, and without.
- **Everything hanging off an activity** (countries, participants, outcomes, action plans,
  follow-up requests, organisations' roles, legislation events that name it) is visible when
  the activity is. Report schedules, reports, their files and deliveries are visible when their
  scope lies within the actor's regions and their audience is the actor's. Officer assignments,
  import jobs and computation runs: headquarters see all; others their own.

A hidden record and a missing one are indistinguishable: readers narrow their querysets here, so
a hidden id is simply not found. ``shown_id`` keeps hidden ids out of visible records.
"""

from collections.abc import Iterable
from typing import Any, TypeVar

from django.apps import apps
from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from tracker.actors import Actor, Audience
from tracker.models import IntegrationAccount

from .models import Activity, ActivityCountry, Country, OfficerAssignment

M = TypeVar("M", bound=Model)

ALL_REGIONS_PERMISSION = "tracker.access_all_regions"


# --- Regions ------------------------------------------------------------------------------
def region_ids(who: Any) -> set[int] | None:
    """The ids of the regions whose records the actor may see; None means every region."""
    actor = Actor.of(who)
    if actor.is_system:
        return None
    if not actor.is_active:
        return set()
    user = actor.user
    if user.is_superuser or user.has_perm(ALL_REGIONS_PERMISSION):
        return None
    cached = getattr(user, "_tracker_region_ids", None)
    if cached is None:
        cached = set(OfficerAssignment.objects.filter(user=user).values_list("region_id", flat=True))
        user._tracker_region_ids = cached
    if not cached and is_integration(user):
        return None  # an integration's service user with no region of its own: its scopes decide
    return set(cached)


def is_integration(user: Any) -> bool:
    """A service user of an integration account: its API scopes, not regions, decide what it sees."""
    cached = getattr(user, "_tracker_is_integration", None)
    if cached is None:
        related = IntegrationAccount._meta.get_field("user").remote_field
        if related.is_cached(user):  # a token's user, read with its account: no query
            cached = related.get_cached_value(user) is not None
        else:
            cached = IntegrationAccount.objects.filter(user_id=user.pk).exists()
        user._tracker_is_integration = cached
    return bool(cached)


def countries_in_regions(ids: Iterable[int]) -> QuerySet[Country]:
    ids = list(ids)
    return Country.objects.filter(
        Q(m49_region_id__in=ids)
        | Q(m49_subregion_id__in=ids)
        | Q(m49_intermediate_region_id__in=ids)
        | Q(field_region_id__in=ids)
    )


# --- Activities and what hangs off them ---------------------------------------------------
def activities(who: Any, queryset: QuerySet[Activity] | None = None) -> QuerySet[Activity]:
    """The activities of ``queryset`` (default: all) that the actor may see."""
    actor = Actor.of(who)
    queryset = Activity.objects.all() if queryset is None else queryset
    if not actor.sees_confidential:
        queryset = queryset.filter(is_confidential=False)
    ids = region_ids(actor)
    if ids is None:
        return queryset
    if not ids:
        return queryset.none()
    countries = countries_in_regions(ids)
    in_countries = ActivityCountry.objects.filter(activity=OuterRef("pk"), country__in=countries)
    return queryset.filter(Q(region_id__in=ids) | Q(host_country__in=countries) | Exists(in_countries))


def through_activity(who: Any, queryset: QuerySet[M], *, path: str = "activity") -> QuerySet[M]:
    """Rows that hang off an activity (at ``path``), visible when their activity is."""
    allowed = activities(who)
    if allowed.query.is_empty():
        return queryset.none()
    actor = Actor.of(who)
    if actor.sees_confidential and region_ids(actor) is None:
        return queryset
    return queryset.filter(**{f"{path}__in": allowed.values("pk")})


def scoped(who: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """Rows with a scope (scope_kind, scope_region, scope_country): report schedules and reports.

    Visible when the scope lies within the actor's regions; a global scope only to headquarters.
    Rows made for an audience the actor lacks (their ``audience``) are hidden too."""
    actor = Actor.of(who)
    if not actor.sees_confidential:
        queryset = queryset.filter(audience=Audience.OPEN)
    ids = region_ids(actor)
    if ids is None:
        return queryset
    if not ids:
        return queryset.none()
    return queryset.filter(Q(scope_region_id__in=ids) | Q(scope_country__in=countries_in_regions(ids)))


def _own_or_all(who: Any, queryset: QuerySet[M], *, user_field: str) -> QuerySet[M]:
    actor = Actor.of(who)
    if region_ids(actor) is None:
        return queryset
    if not actor.is_active:
        return queryset.none()
    return queryset.filter(**{user_field: actor.user.pk})


def _computation_runs(who: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """Headquarters see every run; others the runs they asked for and those of their regions."""
    actor = Actor.of(who)
    ids = region_ids(actor)
    if ids is None:
        return queryset
    if not actor.is_active:
        return queryset.none()
    region_model = apps.get_model("missions", "Region")
    keys = [
        f"region:{code}" for code in region_model.objects.filter(pk__in=ids).values_list("code", flat=True)
    ]
    keys += [f"country:{iso3}" for iso3 in countries_in_regions(ids).values_list("iso3", flat=True)]
    return queryset.filter(Q(requested_by=actor.user.pk) | Q(scope_key__in=keys))


def _indicator_values(who: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """Values of the actor's audience only (computed with or without confidential records)."""
    return queryset.filter(audience=Actor.of(who).audience)


def _through_report(who: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """Files and deliveries of reports the actor may see."""
    reports = scoped(who, apps.get_model("reports", "Report")._default_manager.all())
    return queryset.filter(report__in=reports.values("pk"))


# --- Every model, by label ----------------------------------------------------------------
# How each model of the office's work is narrowed. A model not named here is reference data or
# an organisation's record: every authenticated reader with the model's view permission sees it.
# Legislation events are a country's legal record (read by all); the activity one of them may
# name is shown only to those who may see it (``shown_id``).
_RULES: dict[str, Any] = {
    "missions.activity": activities,
    "missions.activitycountry": through_activity,
    "missions.participation": through_activity,
    "missions.outcomedocument": through_activity,
    "missions.actionplan": lambda who, qs: through_activity(who, qs, path="mission"),
    "missions.followuprequest": lambda who, qs: through_activity(who, qs, path="mission"),
    "missions.officerassignment": lambda who, qs: _own_or_all(who, qs, user_field="user"),
    "missions.importjob": lambda who, qs: _own_or_all(who, qs, user_field="requested_by"),
    "partners.activityorganisation": through_activity,
    "reports.reportschedule": scoped,
    "reports.report": scoped,
    "reports.reportfile": _through_report,
    "reports.delivery": _through_report,
    "reports.computationrun": _computation_runs,
    "reports.indicatorvalue": _indicator_values,
}


def _label(model: type[Model]) -> str:
    concrete = model._meta.concrete_model or model  # a proxy (Mission, Workshop ...) is its table
    return concrete._meta.label_lower


def visible(who: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """The rows of ``queryset`` the actor may see, whatever its model."""
    rule = _RULES.get(_label(queryset.model))
    return queryset if rule is None else rule(who, queryset)


def sees_everything(who: Any) -> bool:
    """Every region and the confidential records: headquarters with confidential access, the system."""
    actor = Actor.of(who)
    return actor.sees_confidential and region_ids(actor) is None


def history(who: Any, model: type[Model], rows: QuerySet[M]) -> QuerySet[M]:
    """The history rows of ``model`` (its historical table) that the actor may read.

    Those of the records it may see now; a deleted record's history (no live row to judge it
    by) only for actors who see everything. Models without a rule (reference data, accounts)
    are read by every holder of the audit permission."""
    if _label(model) not in _RULES or sees_everything(who):
        return rows
    live = visible(who, model._default_manager.all())
    return rows.filter(**{f"{model._meta.pk.attname}__in": live.values("pk")})


def can_see(who: Any, obj: Model | None) -> bool:
    """Whether the actor may see ``obj`` (None: nothing to see, so False)."""
    if obj is None or obj.pk is None:
        return False
    model = type(obj)
    return visible(who, model._default_manager.filter(pk=obj.pk)).exists()


def shown_id(who: Any, obj: Model | None) -> Any:
    """``obj``'s id if the actor may see it, else None: a visible record never shows a hidden id."""
    return obj.pk if obj is not None and can_see(who, obj) else None


def can_change_activity(who: Any, activity: Activity) -> bool:
    """Model permission to change activities, and the activity is visible to the actor."""
    return Actor.of(who).has_perm("missions.change_activity") and can_see(who, activity)


# --- Writes within one's regions ----------------------------------------------------------
def scope_errors(
    who: Any,
    *,
    region: Any = None,
    host_country: Any = None,
    countries: Iterable[Any] = (),
    require_some: bool = True,
) -> dict[str, str]:
    """Field errors for a region, host country or countries chosen outside the actor's regions.

    Officers write the work of their own regions only: every region, host country and country
    of an activity they save must lie in one of their regions (work that spans regions is
    entered by headquarters, whose users hold ``tracker.access_all_regions``), and one of them at
    least is given (``require_some``), or the record would leave its author's scope. Empty when
    all is within scope (always, for actors who see every region).
    """
    ids = region_ids(who)
    if ids is None:
        return {}
    errors: dict[str, str] = {}
    if region is not None and region.pk not in ids:
        errors["region"] = f"{region} is outside your regions; you may not record work there."
    chosen = {c.pk: c for c in [host_country, *countries] if c is not None}
    allowed = (
        set(countries_in_regions(ids).filter(pk__in=chosen).values_list("pk", flat=True)) if chosen else set()
    )
    if host_country is not None and host_country.pk not in allowed:
        errors["host_country"] = f"{host_country} is outside your regions; you may not record work there."
    outside = sorted(str(c) for c in countries if c is not None and c.pk not in allowed)
    if outside:
        errors["countries"] = f"{', '.join(outside)}: outside your regions; you may not record work there."
    if require_some and region is None and not chosen:
        errors["region"] = (
            "Choose one of your regions (or a country in them), or the record would leave your scope."
        )
    return errors
