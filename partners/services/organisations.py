"""Organisations, partnerships and joint work (an organisation's role in an activity): their only writers.

The admin, the API and imports call these with an actor and a reason. Each write checks the
actor's model permission, validates the model (``full_clean``: its fields, constraints and
``clean()``), writes atomically with history naming actor and reason, and writes only what
differs. Activities are the office's work, narrowed by ``missions.visibility``: an activity the
actor cannot see is refused as if it did not exist, and links to it that are already stored are
kept, never dropped, by someone who cannot see them.
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from missions import visibility
from missions.models import Activity
from tracker.actors import Actor
from tracker.history import change_context
from tracker.writing import bump_version, require_permission

from ..models import ActivityOrganisation, Organisation, Partnership
from . import records
from .records import require_visible_activity, unknown_activity

__all__ = [
    "create_activity_organisation",
    "create_organisation",
    "create_partnership",
    "delete_activity_organisation",
    "delete_organisation",
    "delete_partnership",
    "set_activity_organisations",
    "set_partnership_activities",
    "update_activity_organisation",
    "update_organisation",
    "update_partnership",
]


# --- Organisations --------------------------------------------------------------------------
def create_organisation(*, actor: Any, reason: str, **fields: Any) -> Organisation:
    return records.create(Organisation, actor=actor, reason=reason, values=fields, what="An organisation")


def update_organisation(
    *, actor: Any, reason: str, organisation: Organisation, **fields: Any
) -> Organisation:
    return records.update(organisation, actor=actor, reason=reason, values=fields, what="An organisation")


def delete_organisation(*, actor: Any, reason: str, organisation: Organisation) -> None:
    """Delete an organisation; one still named by a partnership, a role, a donor or a part is
    protected (ProtectedError, which the admin and the API show as such)."""
    records.delete(organisation, actor=actor, reason=reason, what="An organisation")


# --- Partnerships ---------------------------------------------------------------------------
def create_partnership(
    *, actor: Any, reason: str, activities: Iterable[Activity] | None = None, **fields: Any
) -> Partnership:
    """A new partnership, with the activities done under it (each visible to the actor)."""
    with transaction.atomic():
        partnership = records.create(
            Partnership, actor=actor, reason=reason, values=fields, what="A partnership"
        )
        if activities is not None:
            set_partnership_activities(
                actor=actor, reason=reason, partnership=partnership, activities=activities
            )
    return partnership


def update_partnership(
    *,
    actor: Any,
    reason: str,
    partnership: Partnership,
    activities: Iterable[Activity] | None = None,
    **fields: Any,
) -> Partnership:
    """Change a partnership; ``activities`` (when given) replaces the activities done under it,
    within what the actor sees (see set_partnership_activities)."""
    with transaction.atomic():
        current = records.update(partnership, actor=actor, reason=reason, values=fields, what="A partnership")
        if activities is not None:
            set_partnership_activities(actor=actor, reason=reason, partnership=current, activities=activities)
    return current


def delete_partnership(*, actor: Any, reason: str, partnership: Partnership) -> None:
    records.delete(partnership, actor=actor, reason=reason, what="A partnership")


def set_partnership_activities(
    *, actor: Any, reason: str, partnership: Partnership, activities: Iterable[Activity]
) -> None:
    """Make the activities done under the partnership ``activities``, as far as the actor sees.

    Links to activities the actor cannot see are kept, never dropped, and linking one is refused
    as unknown: nobody changes, or learns of, another region's (or confidential) work through a
    partnership. The system sees every activity.
    """
    require_permission(actor, "partners.change_partnership", doing="change a partnership")
    wanted = list(activities)
    ids = {activity.pk for activity in wanted}
    visible = visibility.activities(actor)
    allowed = set(visible.filter(pk__in=ids).values_list("pk", flat=True))
    unknown = sorted(ids - allowed)
    if unknown:
        raise unknown_activity(unknown, "activities")
    stored = set(partnership.activities.values_list("pk", flat=True))
    kept = stored - set(visible.filter(pk__in=stored).values_list("pk", flat=True))
    if stored == ids | kept:
        return  # nothing changes: no history
    with transaction.atomic(), change_context(actor=Actor.of(actor), reason=reason):
        partnership.activities.set([*wanted, *kept])


# --- Joint work: an organisation's role in an activity ----------------------------------------
def create_activity_organisation(
    *, actor: Any, reason: str, activity: Activity | None, **fields: Any
) -> ActivityOrganisation:
    """An organisation's role in an activity the actor sees (a hidden one "does not exist")."""
    require_visible_activity(actor, activity, field="activity")
    return records.create(
        ActivityOrganisation,
        actor=actor,
        reason=reason,
        values={"activity": activity, **fields},
        what="An organisation's role",
    )


def update_activity_organisation(
    *, actor: Any, reason: str, activity_organisation: ActivityOrganisation, **fields: Any
) -> ActivityOrganisation:
    """Change a role, of an activity the actor sees, and moved (if at all) to one they see."""
    require_visible_activity(actor, _stored_activity(activity_organisation), field="activity")
    if "activity" in fields:
        require_visible_activity(actor, fields["activity"], field="activity")
    return records.update(
        activity_organisation, actor=actor, reason=reason, values=fields, what="An organisation's role"
    )


def delete_activity_organisation(
    *, actor: Any, reason: str, activity_organisation: ActivityOrganisation
) -> None:
    require_visible_activity(actor, _stored_activity(activity_organisation), field="activity")
    records.delete(activity_organisation, actor=actor, reason=reason, what="An organisation's role")


def _stored_activity(row: ActivityOrganisation) -> Activity | None:
    """The activity the row holds in the database (an admin form may already have changed it)."""
    stored = ActivityOrganisation.objects.filter(pk=row.pk).values_list("activity_id", flat=True).first()
    return None if stored is None else Activity(pk=stored)


def set_activity_organisations(
    *, actor: Any, reason: str, activity: Activity, roles: Iterable[tuple[Organisation, str]]
) -> None:
    """Make the activity's organisation roles exactly ``roles``; untouched rows keep their history.

    Each role is validated by the model (a role outside OrganisationRole is a field error).
    """
    require_visible_activity(actor, activity, field="activity")
    wanted: dict[tuple[int, str], Organisation] = {}
    for organisation, role in roles:
        wanted[(organisation.pk, role)] = organisation
    with transaction.atomic():
        changed = False
        for row in ActivityOrganisation.objects.filter(activity=activity):
            if (row.organisation_id, row.role) in wanted:
                del wanted[(row.organisation_id, row.role)]
            else:
                records.delete(row, actor=actor, reason=reason, what="An organisation's role")
                changed = True
        for (_, role), organisation in wanted.items():
            records.create(
                ActivityOrganisation,
                actor=actor,
                reason=reason,
                values={"activity": activity, "organisation": organisation, "role": role},
                what="An organisation's role",
            )
            changed = True
        if changed:  # the activity's organisations are part of it: its version counts the change
            bump_version(activity)
