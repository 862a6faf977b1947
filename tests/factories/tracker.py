import functools

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from tracker.models import User

__all__ = ["UserFactory"]


@functools.cache
def _hashed(raw: str, hasher: str) -> str:
    return make_password(raw)


def _password(raw: str | None) -> str:
    """make_password, hashed once per raw password and hasher and reused (same salt): no test
    needs its own salt. None still gives a fresh unusable password; logging in still checks the
    real hash, with the hasher configured when the user was made (a test may set its own)."""
    return make_password(raw) if raw is None else _hashed(raw, settings.PASSWORD_HASHERS[0])


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("a-long-test-password-1", transform=_password)
