"""Writes of the reference data that decides whose work is whose: regions, countries (their
regions among them), instruments, and the officers' region assignments.

An activity belongs to a region through its countries' regions (``missions.visibility``), so
whoever may move a country between regions, or assign themselves a region, may read and change
another region's work. Only holders of ``missions.change_reference_data`` (administrators) write
these; officers and integration tokens read them. Every door (admin, API, commands) calls these
functions, which refuse anyone else, naming the permission.

The shipped lists themselves are loaded by ``missions.services.reference`` (seed plumbing, run by
the system after ``migrate``).
"""

from typing import Any

from django.core.exceptions import ValidationError

from tracker.actors import Actor
from tracker.writing import require_permission

from ..models import Country, Instrument, OfficerAssignment, Region
from . import records

__all__ = [
    "REFERENCE_DATA_PERMISSION",
    "create_country",
    "create_instrument",
    "create_officer_assignment",
    "create_region",
    "delete_country",
    "delete_instrument",
    "delete_officer_assignment",
    "delete_region",
    "may_change_reference_data",
    "update_country",
    "update_instrument",
    "update_officer_assignment",
    "update_region",
]

REFERENCE_DATA_PERMISSION = "missions.change_reference_data"

_REGION_FIELDS = records.writable_fields(Region)
_COUNTRY_FIELDS = records.writable_fields(Country)
_INSTRUMENT_FIELDS = records.writable_fields(Instrument)
_ASSIGNMENT_FIELDS = records.writable_fields(OfficerAssignment)


def may_change_reference_data(actor: Any) -> bool:
    """Whether ``actor`` may change regions, countries, instruments and officer assignments."""
    return Actor.of(actor).has_perm(REFERENCE_DATA_PERMISSION)


def _require(actor: Any, doing: str) -> None:
    require_permission(actor, REFERENCE_DATA_PERMISSION, doing=doing)


# --- Regions -------------------------------------------------------------------------------
def create_region(*, actor: Any, reason: str, **fields: Any) -> Region:
    """A region (code, name, kind ... as keyword arguments)."""
    _require(actor, "add regions")
    records.refuse_unknown(fields, _REGION_FIELDS, "A region")
    return records.create(Region, actor=actor, reason=reason, fields=fields)


def update_region(*, actor: Any, reason: str, region: Region, **fields: Any) -> Region:
    _require(actor, "change regions")
    records.refuse_unknown(fields, _REGION_FIELDS, "A region")
    parent = fields.get("parent")
    if parent is not None and parent.pk == region.pk:
        raise ValidationError({"parent": "A region cannot enclose itself."})
    return records.update(region, actor=actor, reason=reason, fields=fields)


def delete_region(*, actor: Any, reason: str, region: Region) -> None:
    _require(actor, "delete regions")
    records.delete(region, actor=actor, reason=reason)


# --- Countries -----------------------------------------------------------------------------
def create_country(*, actor: Any, reason: str, **fields: Any) -> Country:
    """A country (iso3, iso2, m49, names, regions ... as keyword arguments)."""
    _require(actor, "add countries")
    records.refuse_unknown(fields, _COUNTRY_FIELDS, "A country")
    return records.create(Country, actor=actor, reason=reason, fields=fields)


def update_country(*, actor: Any, reason: str, country: Country, **fields: Any) -> Country:
    """Change a country; its regions (M49 and the office's field region) decide whose work is whose."""
    _require(actor, "change countries or their regions")
    records.refuse_unknown(fields, _COUNTRY_FIELDS, "A country")
    return records.update(country, actor=actor, reason=reason, fields=fields)


def delete_country(*, actor: Any, reason: str, country: Country) -> None:
    _require(actor, "delete countries")
    records.delete(country, actor=actor, reason=reason)


# --- Instruments ---------------------------------------------------------------------------
def create_instrument(*, actor: Any, reason: str, **fields: Any) -> Instrument:
    """A universal counter-terrorism instrument (code, seq, group, titles ... as keyword arguments)."""
    _require(actor, "add instruments")
    records.refuse_unknown(fields, _INSTRUMENT_FIELDS, "An instrument")
    return records.create(Instrument, actor=actor, reason=reason, fields=fields)


def update_instrument(*, actor: Any, reason: str, instrument: Instrument, **fields: Any) -> Instrument:
    _require(actor, "change instruments")
    records.refuse_unknown(fields, _INSTRUMENT_FIELDS, "An instrument")
    return records.update(instrument, actor=actor, reason=reason, fields=fields)


def delete_instrument(*, actor: Any, reason: str, instrument: Instrument) -> None:
    _require(actor, "delete instruments")
    records.delete(instrument, actor=actor, reason=reason)


# --- Officers' regions ---------------------------------------------------------------------
def create_officer_assignment(*, actor: Any, reason: str, user: Any, region: Region) -> OfficerAssignment:
    """Let ``user`` write (and, as a manager, read) the work of ``region``."""
    _require(actor, "assign officers to regions")
    return records.create(
        OfficerAssignment, actor=actor, reason=reason, fields={"user": user, "region": region}
    )


def update_officer_assignment(
    *, actor: Any, reason: str, assignment: OfficerAssignment, **fields: Any
) -> OfficerAssignment:
    _require(actor, "change officers' regions")
    records.refuse_unknown(fields, _ASSIGNMENT_FIELDS, "An officer assignment")
    return records.update(assignment, actor=actor, reason=reason, fields=fields)


def delete_officer_assignment(*, actor: Any, reason: str, assignment: OfficerAssignment) -> None:
    _require(actor, "remove officers from regions")
    records.delete(assignment, actor=actor, reason=reason)
