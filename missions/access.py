"""Which of the office's records a user may see and change: the object-level rules.

The admin, the API, the exports and the reports all call these functions, so an officer of West
and Central Africa cannot change an activity in South-East Asia through any door, and no list
shows a record its reader may not see.

An activity belongs to a region when its own ``region`` is that region, or when its host country
or one of its countries lies in it (M49 region, sub-region, intermediate region, or the office's
field region of the country). A user's regions are their OfficerAssignment rows; superusers and
holders of ``tracker.access_all_regions`` (managers and auditors at headquarters) see every region.
Confidential activities are hidden from integrations and public exports unless they are allowed
to see them (``include_confidential``).
"""

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

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
    return set(cached)


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
