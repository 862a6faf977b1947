"""Who is reading or writing: a person, an integration's token, or the system.

Every reader and every service receives an ``Actor`` (``Actor.of(request)`` in views and admin
classes, ``Actor.system()`` in tasks and commands) and hands it to ``missions.visibility``, which
alone decides what it may see. A token's actor is its service user narrowed by the token's
scopes, so a token without the ``confidential`` scope never sees a confidential record, whatever
its user's permissions say.
"""

from dataclasses import dataclass
from typing import Any

from django.db import models

from .models import ApiToken

CONFIDENTIAL_PERMISSION = "missions.view_confidential_activity"


class Audience(models.TextChoices):
    """Who a figure or a report is made for: with the records marked confidential, or without."""

    ALL = "all", "Inside the office (confidential records included)"
    OPEN = "open", "Without confidential records"


@dataclass(frozen=True, eq=False)
class Actor:
    """A user (None for the system) and, for a token, its scopes."""

    user: Any = None
    scopes: frozenset[str] | None = None  # a token's scopes; None for a person or the system
    is_system: bool = False

    @classmethod
    def system(cls) -> "Actor":
        """Celery tasks and management commands: every record (what they run was checked when asked for)."""
        return cls(is_system=True)

    @classmethod
    def of(cls, who: Any) -> "Actor":
        """The actor of a request (Django's or DRF's), of a user, or an actor as is; None: the system."""
        if isinstance(who, Actor):
            return who
        if who is None:
            return cls.system()
        if hasattr(who, "META") and hasattr(who, "user"):  # a request
            auth = getattr(who, "auth", None)
            scopes = auth.account.scopes if isinstance(auth, ApiToken) else None
            return cls(user=who.user, scopes=scopes)
        return cls(user=who)

    @property
    def is_active(self) -> bool:
        user = self.user
        return self.is_system or (user is not None and bool(user.is_authenticated) and bool(user.is_active))

    @property
    def is_token(self) -> bool:
        return self.scopes is not None

    def has_perm(self, perm: str) -> bool:
        """The user's model permission (the system holds every one)."""
        return self.is_system or (self.is_active and bool(self.user.has_perm(perm)))

    @property
    def sees_confidential(self) -> bool:
        if self.scopes is not None and "confidential" not in self.scopes:
            return False
        return self.has_perm(CONFIDENTIAL_PERMISSION)

    @property
    def audience(self) -> str:
        """The indicator values and reports this actor may read."""
        return Audience.ALL if self.sees_confidential else Audience.OPEN

    @property
    def history_user(self) -> Any:
        """The user history rows name (None for the system)."""
        return None if self.is_system else self.user
