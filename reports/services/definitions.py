"""Writes of indicator definitions, their targets and the published figures beside them.

Every door (admin, API, the fixtures loader) calls these. A definition exists only for a code
with a formula in ``reports.indicators.FORMULAS`` (``IndicatorDefinition.clean``, run by
``save_record``), so an unknown code cannot stop every refresh and report. Only administrators
hold the add / change / delete permissions of definitions (``tracker.roles``): officers and
integration tokens read them.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from tracker.writing import delete_record, require_permission, save_record

from ..models import IndicatorDefinition, IndicatorTarget, PublishedFigure

EDITABLE_FIELDS = (
    "code",
    "name",
    "description",
    "unit",
    "source_paragraph",
    "baseline_value",
    "baseline_date",
    "is_active",
    "display_order",
)


def _apply(obj: Any, changes: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError({unknown[0]: f"{unknown[0]} is not a field you can set here."})
    for name, value in changes.items():
        setattr(obj, name, value)


# --- Definitions --------------------------------------------------------------------------
def save_definition(*, actor: Any, reason: str, definition: IndicatorDefinition) -> IndicatorDefinition:
    """Validate (a known formula, among the rest) and store a new or changed definition."""
    if definition.pk is None:
        require_permission(actor, "reports.add_indicatordefinition", doing="create indicator definitions")
    else:
        require_permission(actor, "reports.change_indicatordefinition", doing="change indicator definitions")
    return save_record(definition, actor=actor, reason=reason)


def create_definition(*, actor: Any, reason: str, **fields: Any) -> IndicatorDefinition:
    definition = IndicatorDefinition()
    _apply(definition, fields, EDITABLE_FIELDS)
    return save_definition(actor=actor, reason=reason, definition=definition)


def update_definition(
    *, actor: Any, reason: str, definition: IndicatorDefinition, changes: dict[str, Any]
) -> IndicatorDefinition:
    _apply(definition, changes, EDITABLE_FIELDS)
    return save_definition(actor=actor, reason=reason, definition=definition)


def delete_definition(*, actor: Any, reason: str, definition: IndicatorDefinition) -> None:
    require_permission(actor, "reports.delete_indicatordefinition", doing="delete indicator definitions")
    try:
        delete_record(definition, actor=actor, reason=reason)
    except ProtectedError:
        raise ValidationError(
            {"code": f"{definition.code} has computed values; deactivate it (is_active) instead."}
        ) from None


# --- Targets and published figures (the admin's inlines and pages) ------------------------
def save_target(*, actor: Any, reason: str, target: IndicatorTarget) -> IndicatorTarget:
    perm = "reports.change_indicatortarget" if target.pk else "reports.add_indicatortarget"
    require_permission(actor, perm, doing="set indicator targets")
    return save_record(target, actor=actor, reason=reason)


def delete_target(*, actor: Any, reason: str, target: IndicatorTarget) -> None:
    require_permission(actor, "reports.delete_indicatortarget", doing="delete indicator targets")
    delete_record(target, actor=actor, reason=reason)


def save_published_figure(*, actor: Any, reason: str, figure: PublishedFigure) -> PublishedFigure:
    perm = "reports.change_publishedfigure" if figure.pk else "reports.add_publishedfigure"
    require_permission(actor, perm, doing="record published figures")
    return save_record(figure, actor=actor, reason=reason)


def delete_published_figure(*, actor: Any, reason: str, figure: PublishedFigure) -> None:
    require_permission(actor, "reports.delete_publishedfigure", doing="delete published figures")
    delete_record(figure, actor=actor, reason=reason)
