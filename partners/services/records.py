"""The steps every partners service shares: known fields only, visible activities only, and
only what differs written (so a repeated call writes no history).

The aggregates' modules (``organisations``, ``funding``) call these with their own permission
and field names; the storing itself is ``tracker.writing``'s (full_clean, atomic, history).
"""

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction

from missions import visibility
from missions.models import Activity
from tracker.actors import Actor
from tracker.writing import delete_record, require_permission, save_record

M = TypeVar("M", bound=models.Model)


def writable_fields(model: type[models.Model], *, exclude: Iterable[str] = ()) -> frozenset[str]:
    """The names a caller may set on ``model`` (its concrete fields, by name or attname)."""
    skipped = {"id", "updated_at", *exclude}
    return frozenset(
        name
        for field in model._meta.concrete_fields
        if field.name not in skipped
        for name in {field.name, field.attname}
    )


def refuse_unknown(values: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValidationError({name: f"{what} has no field '{name}'." for name in unknown})


def unknown_activity(pks: Iterable[Any], field: str) -> ValidationError:
    """The error for activity ids that are missing, or hidden from the writer: the same words."""
    return ValidationError({field: [f"Activity {pk} does not exist." for pk in pks]})


def require_visible_activity(actor: Any, activity: Activity | None, *, field: str) -> None:
    """A hidden activity is refused as if it did not exist (its existence is not leaked)."""
    if activity is not None and not visibility.can_see(actor, activity):
        raise unknown_activity([activity.pk], field)


def _permission(model: type[models.Model], action: str) -> str:
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def create(model: type[M], *, actor: Any, reason: str, values: Mapping[str, Any], what: str) -> M:
    """A new ``model`` row with ``values``, validated and stored with history."""
    require_permission(actor, _permission(model, "add"), doing=f"add {what.lower()}")
    refuse_unknown(values, writable_fields(model), what)
    obj = model(**values)
    return save_record(obj, actor=Actor.of(actor), reason=reason)


def update(instance: M, *, actor: Any, reason: str, values: Mapping[str, Any], what: str) -> M:
    """The stored row of ``instance`` with ``values`` set; saved only when something differs.

    The row is re-read under a lock: what the caller holds may already carry the new values
    (an admin form applies them to its instance before saving).
    """
    model = type(instance)
    require_permission(actor, _permission(model, "change"), doing=f"change {what.lower()}")
    refuse_unknown(values, writable_fields(model), what)
    with transaction.atomic():
        current = model._default_manager.select_for_update().get(pk=instance.pk)
        if any(_stored(current, name) != _wanted(value) for name, value in values.items()):
            for name, value in values.items():
                setattr(current, name, value)
            save_record(current, actor=Actor.of(actor), reason=reason)
    return current


def delete(instance: models.Model, *, actor: Any, reason: str, what: str) -> None:
    model = type(instance)
    require_permission(actor, _permission(model, "delete"), doing=f"delete {what.lower()}")
    delete_record(instance, actor=Actor.of(actor), reason=reason)


def _stored(obj: models.Model, name: str) -> Any:
    field = obj._meta.get_field(name)
    return getattr(obj, getattr(field, "attname", name))


def _wanted(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value
