"""The steps every service shares when it stores or deletes one record.

Services are the only writers (DESIGN.md, "One door"). Each aggregate's service module checks its
own rules and the actor's rights, then calls ``save_record`` / ``delete_record``, which validate
the model (``full_clean``: its fields, constraints and ``clean()``, so each rule lives once, on
the model), write inside one transaction, and attribute the history row to the actor with the
reason. ``require_permission`` refuses an actor without a named permission, naming it.
"""

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction

from .actors import Actor
from .history import change_context

M = TypeVar("M", bound=models.Model)


def require_permission(actor: Any, permission: str, *, doing: str) -> None:
    """PermissionDenied unless the actor holds ``permission`` (the system holds every one)."""
    if not Actor.of(actor).has_perm(permission):
        raise PermissionDenied(f"You may not {doing}: it needs the permission {permission}.")


def save_record(obj: M, *, actor: Any, reason: str, validate: bool = True) -> M:
    """Validate ``obj`` and save it atomically, with history naming the actor and the reason."""
    if validate:
        obj.full_clean()
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        obj.save()
    return obj


def delete_record(obj: models.Model, *, actor: Any, reason: str) -> None:
    """Delete ``obj`` atomically; its history keeps it, with the actor and the reason."""
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        obj.delete()
