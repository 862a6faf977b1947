"""Accounts: the project's own user model (set from the first migration, so it can grow)."""

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person (officer, manager, auditor, administrator) or an integration's service account."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username
