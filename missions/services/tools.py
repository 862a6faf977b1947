"""Writes of technical-assistance tools (paras 22-28): validated, atomic, with history."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tracker.history import change_context

from ..models import Country, Tool
from .activities import _normalized

__all__ = ["create_tool", "update_tool"]

_TOOL_FIELDS = frozenset(
    field.name for field in Tool._meta.concrete_fields if field.name not in {"id", "updated_at"}
)


def _refuse_unknown(fields: Iterable[str]) -> None:
    unknown = sorted(set(fields) - _TOOL_FIELDS)
    if unknown:
        raise ValidationError({name: f"A tool has no field '{name}'." for name in unknown})


def _set_countries(tool: Tool, countries: Iterable[Country]) -> None:
    wanted = {country.pk for country in countries}
    if wanted != set(tool.countries.values_list("pk", flat=True)):
        tool.countries.set(wanted)


def create_tool(*, actor: Any, reason: str, countries: Iterable[Country] = (), **fields: Any) -> Tool:
    """Create a tool (code, name_en, kind ... as keyword arguments) with the countries it covers."""
    _refuse_unknown(fields)
    tool = Tool(**fields)
    tool.full_clean()
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        tool.save()
        _set_countries(tool, countries)
    return tool


def update_tool(
    *, actor: Any, reason: str, tool: Tool, countries: Iterable[Country] | None = None, **fields: Any
) -> Tool:
    """Change a tool's fields (and, when given, its countries); writes only what differs."""
    _refuse_unknown(fields)
    fields = _normalized(Tool, fields)
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        current = Tool.objects.select_for_update().get(pk=tool.pk)
        changed = any(getattr(current, name) != value for name, value in fields.items())
        for name, value in fields.items():
            setattr(current, name, value)
        current.full_clean()
        if changed:
            current.save()
        if countries is not None:
            _set_countries(current, countries)
    return current
