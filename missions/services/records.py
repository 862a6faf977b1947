"""The create / update / delete steps the missions services share for one plain record.

Each aggregate's service (reference data, legal status, tools ...) checks its own rights and
rules, then calls these. They refuse fields the model does not have (naming them), validate the
model once (``tracker.writing.save_record``: fields, constraints and ``clean()``), write only
what differs (a repeated call writes nothing, so it leaves no history row), and set
many-to-many fields in the same transaction.
"""

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction

from tracker.history import change_context
from tracker.writing import delete_record, save_record

M = TypeVar("M", bound=models.Model)


def writable_fields(model: type[models.Model], *, exclude: Iterable[str] = ()) -> frozenset[str]:
    """The names (and ``_id`` names) of ``model``'s concrete fields a caller may set."""
    excluded = {"id", *exclude}
    return frozenset(
        name
        for field in model._meta.concrete_fields
        if field.name not in excluded
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
        for name in {field.name, field.attname}
    )


def refuse_unknown(fields: Iterable[str], allowed: frozenset[str], what: str) -> None:
    """ValidationError naming every field ``what`` does not have."""
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationError({name: f"{what} has no field '{name}'." for name in unknown})


def normalized(model: type[models.Model], values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values as the model holds them ("2006-05-08" -> date), so that comparisons are exact."""
    result = dict(values)
    for name, value in values.items():
        field = model._meta.get_field(name) if not name.endswith("_id") else None
        if not isinstance(field, models.Field) or field.is_relation or value is None:
            continue
        try:
            result[name] = field.to_python(value)
        except ValidationError as error:
            raise ValidationError({name: error.messages}) from None
    return result


def not_found(field: str, pk: Any) -> ValidationError:
    """The error for a record the actor may not see: word for word the one for an id that does
    not exist (DRF's, which the API gives for a missing id), so that neither tells the other apart."""
    return ValidationError({field: f'Invalid pk "{pk}" - object does not exist.'})


def _set_many(obj: models.Model, many: Mapping[str, Iterable[Any] | None]) -> None:
    for name, values in many.items():
        if values is None:
            continue
        wanted = {getattr(value, "pk", value) for value in values}
        manager = getattr(obj, name)
        if wanted != set(manager.values_list("pk", flat=True)):
            manager.set(wanted)


def create(
    model: type[M],
    *,
    actor: Any,
    reason: str,
    fields: Mapping[str, Any],
    many: Mapping[str, Iterable[Any] | None] | None = None,
) -> M:
    """A new ``model`` row with ``fields`` (and many-to-many ``many``), validated and atomic."""
    obj = model(**fields)
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        save_record(obj, actor=actor, reason=reason)
        _set_many(obj, many or {})
    return obj


def update(
    obj: M,
    *,
    actor: Any,
    reason: str,
    fields: Mapping[str, Any],
    many: Mapping[str, Iterable[Any] | None] | None = None,
) -> M:
    """Change ``obj``'s ``fields`` (and ``many``: None keeps a set) as stored; writes only what differs.

    Compares with the stored row, locked, not with ``obj``: a caller's instance may already
    carry the new values (an admin form's does).
    """
    model = type(obj)
    fields = normalized(model, fields)
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        current = model._default_manager.select_for_update().get(pk=obj.pk)
        if any(getattr(current, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(current, name, value)
            save_record(current, actor=actor, reason=reason)
        _set_many(current, many or {})
    return current


def delete(obj: models.Model, *, actor: Any, reason: str) -> None:
    """Delete ``obj`` atomically; its history keeps it, with the actor and the reason."""
    delete_record(obj, actor=actor, reason=reason)
