"""Writes of countries' legal status, one record at a time: ratifications and legislation events.

Officers write these (and import them in bulk with ``missions.services.legal_import``, which
shares the rules below: who an event is credited to, and which activities it may name). Each
record's own rules live on its model (``Ratification.clean`` and constraints,
``LegislationEvent.clean``) and are checked once, by ``tracker.writing.save_record``.
"""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from tracker.actors import Actor

from .. import visibility
from ..models import Activity, Instrument, LegislationEvent, Ratification
from . import records

__all__ = [
    "create_legislation_event",
    "create_ratification",
    "delete_legislation_event",
    "delete_ratification",
    "event_author",
    "linkable_activities",
    "update_legislation_event",
    "update_ratification",
]

_RATIFICATION_FIELDS = records.writable_fields(Ratification)
_EVENT_FIELDS = records.writable_fields(LegislationEvent, exclude=["created_by"])


def linkable_activities(actor: Any, queryset: QuerySet[Activity] | None = None) -> QuerySet[Activity]:
    """The activities an event written by ``actor`` may name: those the actor may see."""
    return visibility.activities(actor, queryset)


def event_author(actor: Any) -> Any:
    """The user a new legislation event is credited to (None for the system)."""
    user = Actor.of(actor).history_user
    return user if getattr(user, "pk", None) else None


def _check_activity(actor: Any, fields: dict[str, Any], *, stored: Any = None) -> None:
    """A newly named activity must be visible to the actor (the one already stored may stay)."""
    activity = fields.get("activity")
    pk = activity.pk if activity is not None else fields.get("activity_id")
    if pk is not None and pk != stored and not linkable_activities(actor).filter(pk=pk).exists():
        raise records.not_found("activity", pk)


# --- Ratifications -------------------------------------------------------------------------
def create_ratification(*, actor: Any, reason: str, **fields: Any) -> Ratification:
    """A country's deposit of (or signature of) an instrument."""
    records.refuse_unknown(fields, _RATIFICATION_FIELDS, "A ratification")
    return records.create(Ratification, actor=actor, reason=reason, fields=fields)


def update_ratification(
    *, actor: Any, reason: str, ratification: Ratification, **fields: Any
) -> Ratification:
    records.refuse_unknown(fields, _RATIFICATION_FIELDS, "A ratification")
    return records.update(ratification, actor=actor, reason=reason, fields=fields)


def delete_ratification(*, actor: Any, reason: str, ratification: Ratification) -> None:
    records.delete(ratification, actor=actor, reason=reason)


# --- Legislation events --------------------------------------------------------------------
def create_legislation_event(
    *, actor: Any, reason: str, instruments: Iterable[Instrument] = (), **fields: Any
) -> LegislationEvent:
    """A country's legislative step; ``activity``, when given, must be one the actor may see."""
    records.refuse_unknown(fields, _EVENT_FIELDS, "A legislation event")
    _check_activity(actor, fields)
    fields = {"created_by": event_author(actor), **fields}
    return records.create(
        LegislationEvent, actor=actor, reason=reason, fields=fields, many={"instruments": instruments}
    )


def update_legislation_event(
    *,
    actor: Any,
    reason: str,
    event: LegislationEvent,
    instruments: Iterable[Instrument] | None = None,
    **fields: Any,
) -> LegislationEvent:
    """Change an event; ``instruments``, when given, replaces its instruments."""
    records.refuse_unknown(fields, _EVENT_FIELDS, "A legislation event")
    stored = LegislationEvent.objects.filter(pk=event.pk).values_list("activity_id", flat=True).first()
    cleared = "activity" in fields and fields["activity"] is None
    if cleared and stored is not None and not linkable_activities(actor).filter(pk=stored).exists():
        del fields["activity"]  # shown as null to the actor, so null keeps it (as for activities)
    _check_activity(actor, fields, stored=stored)
    return records.update(event, actor=actor, reason=reason, fields=fields, many={"instruments": instruments})


def delete_legislation_event(*, actor: Any, reason: str, event: LegislationEvent) -> None:
    records.delete(event, actor=actor, reason=reason)
