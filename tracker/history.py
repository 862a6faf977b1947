"""Who changed what and why, for every write path.

django-simple-history keeps one history row per change of every audited model. The admin's
requests fill in the user through its middleware; services, imports and Celery tasks wrap
their writes in ``change_context(actor=..., reason=...)`` so that their history rows name an
actor and a reason too (NetBox logs changes only inside requests and so misses jobs).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

_actor: ContextVar[Any] = ContextVar("history_actor", default=None)
_reason: ContextVar[str] = ContextVar("history_reason", default="")


@contextmanager
def change_context(*, actor: Any, reason: str) -> Iterator[None]:
    """Attribute every history row written inside the block to ``actor`` (a user, or a
    tracker.actors.Actor) with ``reason``."""
    actor_token = _actor.set(getattr(actor, "history_user", actor))
    reason_token = _reason.set(reason)
    try:
        yield
    finally:
        _actor.reset(actor_token)
        _reason.reset(reason_token)


def current_actor() -> Any:
    return _actor.get()


def current_reason() -> str:
    return _reason.get()


@receiver(pre_create_historical_record)
def _fill_actor_and_reason(sender: Any, **kwargs: Any) -> None:
    history = kwargs["history_instance"]
    actor = _actor.get()
    if actor is not None and getattr(actor, "pk", None) and not history.history_user_id:
        history.history_user = actor
    reason = _reason.get()
    if reason and not history.history_change_reason:
        history.history_change_reason = reason[:100]
