"""The admin's side of "services are the only writers", for pages of one plain record.

A page declares how it writes, as the API's viewsets do (tracker/api/viewsets.py), with
``create_record`` / ``update_record`` / ``delete_record`` calling its aggregate's service with
the officer as actor and the form's optional "reason for change" as the history reason. The
base routes ``save_model``, ``save_related`` (many-to-many fields are the service's),
``delete_model`` and ``delete_queryset`` (the "delete selected" action) through them, and
disables the history page's revert, which would write around the service. Activities and the
rows hanging off them have their own admin (missions/admin/activities.py).
"""

from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from tracker.actors import Actor

from ..services.reference_data import may_change_reference_data
from .activities import ReasonForm
from .nothing_half_saved import NothingHalfSaved
from .visible import VisibleAdmin


class ServiceSavedAdmin(NothingHalfSaved, VisibleAdmin):
    """A ModelAdmin that reads through missions.visibility and writes only through
    ``create_record`` / ``update_record`` / ``delete_record``."""

    form: Any = ReasonForm

    def create_record(self, request: HttpRequest, values: dict[str, Any], reason: str) -> Model:
        raise NotImplementedError(f"{type(self).__name__} declares no create_record.")

    def update_record(self, request: HttpRequest, obj: Any, values: dict[str, Any], reason: str) -> Model:
        raise NotImplementedError(f"{type(self).__name__} declares no update_record.")

    def delete_record(self, request: HttpRequest, obj: Any, reason: str) -> None:
        raise NotImplementedError(f"{type(self).__name__} declares no delete_record.")

    @staticmethod
    def actor(request: HttpRequest) -> Actor:
        return Actor.of(request)

    def reason(self, form: Any) -> str:
        return form.cleaned_data.get("change_reason") or (
            "Changed in the admin" if form.instance.pk else "Added in the admin"
        )

    def _values(self, form: Any) -> dict[str, Any]:
        """What the form edits of the model: its concrete and many-to-many fields."""
        opts = self.model._meta
        names = {f.name for f in opts.concrete_fields} | {f.name for f in opts.many_to_many}
        return {name: value for name, value in form.cleaned_data.items() if name in names}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        values = self._values(form)
        if change:
            self.update_record(request, obj, values, self.reason(form))
            return
        stored = self.create_record(request, values, self.reason(form))
        obj.pk = stored.pk
        obj._state.adding = False
        obj._state.db = stored._state.db

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Many-to-many fields were written by the service in save_model."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_record(request, obj, "Deleted in the admin")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_record(request, obj, "Deleted in the admin (several at once)")

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # a revert would write the old version around the service: edit the record instead


class ReferenceDataAdmin(ServiceSavedAdmin):
    """Pages of reference data: read-only unless the user may change it (administrators)."""

    def _may_write(self, request: HttpRequest) -> bool:
        return may_change_reference_data(self.actor(request))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._may_write(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_write(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_write(request) and super().has_delete_permission(request, obj)
