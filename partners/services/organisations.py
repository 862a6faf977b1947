"""Organisations, partnerships and joint work (which organisation did what in an activity)."""

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet

from missions.models import Activity
from tracker.history import change_context

from ..choices import OrganisationRole
from ..models import ActivityOrganisation, Organisation, Partnership

M = TypeVar("M", bound=models.Model)


def upsert(model: type[M], *, lookup: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[M, str]:
    """Create or update one row found by ``lookup``; save (and write history) only on a change.

    ``values`` use field names (a foreign key takes an instance or None). Returns the row and
    "created", "updated" or "unchanged". Validates with full_clean().
    """
    instance = model._default_manager.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
        status = "created"
    else:
        changed = False
        for name, value in values.items():
            attname = getattr(model._meta.get_field(name), "attname", name)
            current = getattr(instance, attname)
            wanted = value.pk if isinstance(value, models.Model) else value
            if current != wanted:
                setattr(instance, name, value)
                changed = True
        if not changed:
            return instance, "unchanged"
        status = "updated"
    instance.full_clean()
    instance.save()
    return instance, status


def save_organisation(*, actor: Any, reason: str, organisation: Organisation) -> Organisation:
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        organisation.full_clean()
        organisation.save()
    return organisation


def save_partnership(
    *,
    actor: Any,
    reason: str,
    partnership: Partnership,
    activities: Iterable[Activity] | None = None,
    visible_activities: QuerySet[Activity] | None = None,
) -> Partnership:
    """Save a partnership; ``activities`` (when given) replaces the activities done under it,
    within what the writer sees (``visible_activities``; see set_partnership_activities)."""
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        partnership.full_clean()
        partnership.save()
        if activities is not None:
            set_partnership_activities(
                actor=actor,
                reason=reason,
                partnership=partnership,
                activities=activities,
                visible_activities=visible_activities,
            )
    return partnership


def set_partnership_activities(
    *,
    actor: Any,
    reason: str,
    partnership: Partnership,
    activities: Iterable[Activity],
    visible_activities: QuerySet[Activity] | None = None,
) -> None:
    """Make the activities done under the partnership ``activities``, as far as the writer sees.

    With ``visible_activities`` (the writer's view, from missions.access), links to activities
    outside it are kept, never dropped, and linking one is refused as unknown: nobody changes,
    or learns of, another region's work through a partnership. Without it, nothing is hidden.
    """
    wanted = list(activities)
    kept: list[Activity] = []
    if visible_activities is not None:
        ids = {activity.pk for activity in wanted}
        allowed = set(visible_activities.filter(pk__in=ids).values_list("pk", flat=True))
        unknown = sorted(ids - allowed)
        if unknown:
            raise ValidationError({"activities": [f"Activity {pk} does not exist." for pk in unknown]})
        kept = list(partnership.activities.exclude(pk__in=visible_activities.values("pk")))
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        partnership.activities.set([*wanted, *kept])


def set_activity_organisations(
    *, actor: Any, reason: str, activity: Activity, roles: Iterable[tuple[Organisation, str]]
) -> None:
    """Make the activity's organisation roles exactly ``roles``; untouched rows keep their history."""
    wanted: dict[tuple[int, str], Organisation] = {}
    for organisation, role in roles:
        if role not in OrganisationRole.values:
            raise ValidationError(
                {"role": f"Unknown role {role!r}; one of {', '.join(OrganisationRole.values)}."}
            )
        if organisation.pk is None:
            raise ValidationError({"organisation": f"{organisation} is not saved."})
        wanted[(organisation.pk, role)] = organisation
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        for row in ActivityOrganisation.objects.filter(activity=activity):
            if (row.organisation_id, row.role) in wanted:
                del wanted[(row.organisation_id, row.role)]
            else:
                row.delete()
        for (_, role), organisation in wanted.items():
            row = ActivityOrganisation(activity=activity, organisation=organisation, role=role)
            row.full_clean()
            row.save()


def add_activity_organisation(
    *, actor: Any, reason: str, activity: Activity, organisation: Organisation, role: str, notes: str = ""
) -> tuple[ActivityOrganisation, str]:
    """Add (or update the notes of) one role, leaving the activity's other roles alone."""
    if role not in OrganisationRole.values:
        raise ValidationError(
            {"role": f"Unknown role {role!r}; one of {', '.join(OrganisationRole.values)}."}
        )
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        return upsert(
            ActivityOrganisation,
            lookup={"activity": activity, "organisation": organisation, "role": role},
            values={"notes": notes},
        )
