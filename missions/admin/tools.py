"""Admin for technical-assistance tools (paras 22-28): saves go through missions.services.tools."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from ..models import Tool
from ..services.tools import create_tool, update_tool

_TOOL_FIELDS = frozenset(
    field.name for field in Tool._meta.concrete_fields if field.name not in {"id", "updated_at"}
)


class ToolForm(forms.ModelForm):
    change_reason = forms.CharField(
        label="Reason for change",
        required=False,
        max_length=100,
        help_text="Optional; kept in the history with your name and the time.",
    )


@admin.register(Tool)
class ToolAdmin(SimpleHistoryAdmin):
    form = ToolForm
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

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def save_model(self, request: HttpRequest, obj: Tool, form: Any, change: bool) -> None:
        values = {name: value for name, value in form.cleaned_data.items() if name in _TOOL_FIELDS}
        reason = form.cleaned_data.get("change_reason") or (
            "Changed in the admin" if change else "Added in the admin"
        )
        countries = form.cleaned_data.get("countries")
        if change:
            update_tool(actor=request.user, reason=reason, tool=obj, countries=countries, **values)
        else:
            tool = create_tool(actor=request.user, reason=reason, countries=countries or (), **values)
            obj.pk = tool.pk
            obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The countries were set by the service in save_model."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
