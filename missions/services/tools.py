"""Writes of technical-assistance tools (paras 22-28): validated, atomic, with history."""

from collections.abc import Iterable
from typing import Any

from ..models import Country, Tool
from . import records

__all__ = ["create_tool", "delete_tool", "update_tool"]

_TOOL_FIELDS = records.writable_fields(Tool)


def create_tool(*, actor: Any, reason: str, countries: Iterable[Country] = (), **fields: Any) -> Tool:
    """Create a tool (code, name_en, kind ... as keyword arguments) with the countries it covers."""
    records.refuse_unknown(fields, _TOOL_FIELDS, "A tool")
    return records.create(Tool, actor=actor, reason=reason, fields=fields, many={"countries": countries})


def update_tool(
    *, actor: Any, reason: str, tool: Tool, countries: Iterable[Country] | None = None, **fields: Any
) -> Tool:
    """Change a tool's fields (and, when given, its countries); writes only what differs."""
    records.refuse_unknown(fields, _TOOL_FIELDS, "A tool")
    return records.update(tool, actor=actor, reason=reason, fields=fields, many={"countries": countries})


def delete_tool(*, actor: Any, reason: str, tool: Tool) -> None:
    records.delete(tool, actor=actor, reason=reason)
