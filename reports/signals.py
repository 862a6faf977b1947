"""Receivers that enqueue an indicator recompute when a record behind an indicator changes.

Coalesced: however many rows a transaction writes, one recompute is enqueued after it commits
(reports.services.recompute.schedule_recompute). bulk_create and queryset.update() send no
signals; bulk loaders call schedule_recompute() themselves.
"""

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from missions.models import (
    Activity,
    ActivityCountry,
    Country,
    Instrument,
    LegislationEvent,
    Participation,
    Ratification,
    Tool,
)
from partners.models import Contribution, Donor

from .services.recompute import schedule_recompute

# Every model an indicator formula reads (reports/indicators.py).
WATCHED_MODELS: tuple[type[Any], ...] = (
    Activity,
    ActivityCountry,
    Participation,
    Country,
    Instrument,
    Ratification,
    LegislationEvent,
    Tool,
    Contribution,
    Donor,
)


def _changed(sender: Any, *, using: str = "default", raw: bool = False, **kwargs: Any) -> None:
    if raw:  # loaddata: the fixture's own rows, not a change of the office's records
        return
    schedule_recompute(using=using)


def connect() -> None:
    for model in WATCHED_MODELS:
        uid = f"reports.recompute.{model._meta.label_lower}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")
    m2m_changed.connect(
        _changed, sender=Tool.countries.through, dispatch_uid="reports.recompute.tool_countries"
    )
