"""Which of the office's records a user may see and change: the object-level rules.

The admin, the API, the exports and the reports all call these functions, so an officer of West
and Central Africa cannot change an activity in South-East Asia through any door, and no list
shows a record its reader may not see.

An activity belongs to a region when its own ``region`` is that region, or when its host country
or one of its countries lies in it (M49 region, sub-region, intermediate region, or the office's
field region of the country). A user's regions are their OfficerAssignment rows; superusers and
holders of ``tracker.access_all_regions`` (managers and auditors at headquarters) see every region,
and so do the service users of integration accounts that have no region assigned (their API scopes
decide what they see); an integration account whose user is assigned regions is limited to them.
Confidential activities are hidden from integrations and public exports unless they are allowed
to see them (``include_confidential``).
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from tracker.models import IntegrationAccount

from .models import Activity, ActivityCountry, Country, OfficerAssignment

ALL_REGIONS_PERMISSION = "tracker.access_all_regions"


def region_ids(user: Any) -> set[int] | None:
    """The ids of the regions whose records ``user`` may see; None means every region."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
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


def countries_in_regions(ids: set[int]) -> QuerySet[Country]:
    return Country.objects.filter(
        Q(m49_region_id__in=ids)
        | Q(m49_subregion_id__in=ids)
        | Q(m49_intermediate_region_id__in=ids)
        | Q(field_region_id__in=ids)
    )


def visible_activities(
    user: Any, queryset: QuerySet[Activity] | None = None, *, include_confidential: bool = True
) -> QuerySet[Activity]:
    """The activities of ``queryset`` (default: all) that ``user`` may see."""
    queryset = Activity.objects.all() if queryset is None else queryset
    if not include_confidential:
        queryset = queryset.filter(is_confidential=False)
    ids = region_ids(user)
    if ids is None:
        return queryset
    if not ids:
        return queryset.none()
    countries = countries_in_regions(ids)
    in_countries = ActivityCountry.objects.filter(activity=OuterRef("pk"), country__in=countries)
    return queryset.filter(Q(region_id__in=ids) | Q(host_country__in=countries) | Exists(in_countries))


def visible_through_activity(
    user: Any, queryset: QuerySet[Any], *, path: str = "activity", include_confidential: bool = True
) -> QuerySet[Any]:
    """Rows that hang off an activity (outcomes, countries, action plans ...), scoped by it."""
    allowed = visible_activities(user, include_confidential=include_confidential)
    return queryset.filter(**{f"{path}__in": allowed.values("pk")})


def can_see_activity(user: Any, activity: Activity, *, include_confidential: bool = True) -> bool:
    allowed = visible_activities(user, include_confidential=include_confidential)
    return allowed.filter(pk=activity.pk).exists()


def can_change_activity(user: Any, activity: Activity) -> bool:
    """Model permission to change activities, and the activity lies in one of the user's regions."""
    return bool(user.has_perm("missions.change_activity")) and can_see_activity(user, activity)


def can_change_through_activity(user: Any, activity: Activity | None, *, app_model: str) -> bool:
    """Model permission ``app_model`` (e.g. "missions.change_actionplan"), within the activity's regions."""
    if not user.has_perm(app_model):
        return False
    return activity is None or can_see_activity(user, activity)


def scope_errors(
    user: Any,
    *,
    region: Any = None,
    host_country: Any = None,
    countries: Iterable[Any] = (),
    require_some: bool = True,
) -> dict[str, str]:
    """Field errors for a region, host country or countries chosen outside the user's regions.

    Officers write the work of their own regions only: every region, host country and country
    of an activity they save must lie in one of their regions (work that spans regions is
    entered by headquarters, whose users hold ``tracker.access_all_regions``), and one of them at
    least is given (``require_some``), or the record would leave its author's scope. Empty when
    all is within scope (always, for users who see every region).
    """
    ids = region_ids(user)
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
