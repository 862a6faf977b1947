"""Admin for technical-assistance tools (paras 22-28): saves go through missions.services.tools."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ..models import Tool
from ..services import tools
from .writing import ServiceSavedAdmin


@admin.register(Tool)
class ToolAdmin(ServiceSavedAdmin):
    list_display = [
        "code",
        "name_en",
        "kind",
        "owner_unit",
        "status",
        "status_date",
        "counts_as_office_tool",
        "source_paragraph",
    ]
    list_filter = ["status", "counts_as_office_tool", "kind", "owner_unit"]
    search_fields = ["code", "name_en", "name_zh", "kind", "owner_unit", "partners", "notes"]
    autocomplete_fields = ["countries"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "name_en", "name_zh", "kind", ("owner_unit", "partners")]}),
        (
            "Status",
            {"fields": [("status", "status_date", "status_date_precision"), "counts_as_office_tool"]},
        ),
        ("Use", {"fields": ["availability", "legal_system", "countries"]}),
        ("Record", {"fields": ["source_paragraph", "notes", "updated_at"]}),
        ("Reason for this change", {"fields": ["change_reason"]}),
    ]

    def create_record(self, request: HttpRequest, values: dict[str, Any], reason: str) -> Tool:
        return tools.create_tool(actor=self.actor(request), reason=reason, **values)

    def update_record(self, request: HttpRequest, obj: Tool, values: dict[str, Any], reason: str) -> Tool:
        return tools.update_tool(actor=self.actor(request), reason=reason, tool=obj, **values)

    def delete_record(self, request: HttpRequest, obj: Tool, reason: str) -> None:
        tools.delete_tool(actor=self.actor(request), reason=reason, tool=obj)
