"""Admin pages narrowed by the one visibility rule (missions.visibility).

A record the reader may not see is not listed, not offered in an autocomplete, and cannot be
opened: its change page gives the admin's "doesn't exist" answer and its history page a 404,
exactly as for an id that was never used, so a hidden record cannot be told from a missing one.
"""

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from tracker.actors import Actor

from .. import visibility


class VisibleAdmin(SimpleHistoryAdmin):
    """A ModelAdmin (with history) whose every page reads through missions.visibility."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return visibility.visible(Actor.of(request), super().get_queryset(request))

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # django-simple-history falls back on a record's history rows when get_queryset does not
        # hold it (a deleted record), which would open hidden records' history: only those who
        # see everything may read the history of a record that is no longer listed.
        listed = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        if not listed and not visibility.sees_everything(Actor.of(request)):
            raise Http404
        return super().history_view(request, object_id, extra_context)


class NoFormWrites:
    """Admin pages of rows only services and workers write: no form adds, changes or deletes one
    (their actions call services)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VisibleLogAdmin(NoFormWrites, admin.ModelAdmin):  # type: ignore[type-arg]  # not subscriptable at run time
    """A read-only page of rows that services and workers write (import jobs, computation runs,
    deliveries): listed through missions.visibility; its actions call services; no form saves,
    adds or deletes one."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return visibility.visible(Actor.of(request), super().get_queryset(request))


class VisibleInline(admin.options.InlineModelAdmin):  # type: ignore[type-arg]  # not subscriptable at run time
    """An inline whose rows are narrowed too (e.g. the follow-up events of an activity)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return visibility.visible(Actor.of(request), super().get_queryset(request))
