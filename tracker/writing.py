"""The steps every service shares when it stores or deletes one record.

Services are the only writers (DESIGN.md, "One door"). Each aggregate's service module checks its
own rules and the actor's rights, then calls ``save_record`` / ``delete_record``, which validate
the model (``full_clean``: its fields, constraints and ``clean()``, so each rule lives once, on
the model), write inside one transaction, and attribute the history row to the actor with the
reason. ``require_permission`` refuses an actor without a named permission, naming it.

A record with a ``version`` field (a PositiveIntegerField starting at 1) carries the one
optimistic lock every door shares: ``save_record`` adds one to it on every save of a stored
record, and a service that changes only rows hanging off a record calls ``bump_version`` on
the record. The API's ETag (tracker/api/etags.py) and the admin's conflict check read it.
Services save only what differs, so a repeated call leaves the version where it was.
"""

from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models, transaction
from django.db.models import F

from .actors import Actor
from .history import change_context

M = TypeVar("M", bound=models.Model)


def require_permission(actor: Any, permission: str, *, doing: str) -> None:
    """PermissionDenied unless the actor holds ``permission`` (the system holds every one)."""
    if not Actor.of(actor).has_perm(permission):
        raise PermissionDenied(f"You may not {doing}: it needs the permission {permission}.")


def record_version() -> "models.PositiveIntegerField[int, int]":
    """The ``version`` column of a record that every door may change (one definition for all)."""
    return models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="One more on every change of the record (and of the rows it owns), through any "
        "door: the API's ETag and the admin's conflict check compare it (tracker.writing).",
    )


def version_field(model: type[models.Model]) -> "models.Field[Any, Any] | None":
    """The model's ``version`` field, if it has one."""
    try:
        field = model._meta.get_field("version")
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.PositiveIntegerField) else None


def save_record(obj: M, *, actor: Any, reason: str, validate: bool = True) -> M:
    """Validate ``obj`` and save it atomically, with history naming the actor and the reason.

    A stored record with a version gets the next one (the caller holds its row lock, or accepts
    that two concurrent saves may count as one change).
    """
    if validate:
        obj.full_clean()
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        if not obj._state.adding and version_field(type(obj)) is not None:
            obj.version += 1  # type: ignore[attr-defined]  # checked just above
        obj.save()
    return obj


def bump_version(obj: models.Model) -> None:
    """Count a change of a row hanging off ``obj`` (its countries, its outcomes ...) as a change of ``obj``.

    One UPDATE, atomic in the database; ``obj.version`` is then the stored value. The cached API
    pages are told (tracker/api/list_cache.py: an UPDATE sends no signal).
    """
    from .api.list_cache import mark_changed  # here: it reads tracker.models, loaded after this module

    model = type(obj)._meta.concrete_model or type(obj)  # a proxy's rows are its concrete model's
    if version_field(model) is None:
        raise TypeError(f"{model.__name__} has no version field.")
    model._default_manager.filter(pk=obj.pk).update(version=F("version") + 1)
    obj.version = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True).get()  # type: ignore[attr-defined]  # checked above
    mark_changed(using=obj._state.db or "default")


def delete_record(obj: models.Model, *, actor: Any, reason: str) -> None:
    """Delete ``obj`` atomically; its history keeps it, with the actor and the reason."""
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        obj.delete()
