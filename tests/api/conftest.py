"""Fixtures of the API tests: integration accounts with tokens of every kind, and clients."""

import datetime
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tracker.api.authentication import issue_token
from tracker.models import ApiToken, IntegrationAccount

APPS = ["missions", "partners", "reports"]


@dataclass
class Credentials:
    name: str
    secret: str | None
    token: ApiToken | None = None


def make_account(
    name: str, *, write: bool, perms: str = "all", confidential: bool = False
) -> IntegrationAccount:
    user = UserFactory.create(username=f"svc-{name}", password=None)  # unusable: tokens only; fast
    permissions = Permission.objects.filter(content_type__app_label__in=APPS)
    if perms == "view":
        permissions = permissions.filter(codename__startswith="view_")
    user.user_permissions.set(permissions)
    return IntegrationAccount.objects.create(
        name=name, user=user, scope_read=True, scope_write=write, scope_confidential=confidential
    )


@pytest.fixture
def read_credentials(db) -> Credentials:  # type: ignore[no-untyped-def]
    token, secret = issue_token(account=make_account("reader", write=False, perms="all"), label="read")
    return Credentials("read token", secret, token)


@pytest.fixture
def write_credentials(db) -> Credentials:  # type: ignore[no-untyped-def]
    token, secret = issue_token(account=make_account("writer", write=True), label="write")
    return Credentials("write token", secret, token)


@pytest.fixture
def expired_credentials(db) -> Credentials:  # type: ignore[no-untyped-def]
    token, secret = issue_token(
        account=make_account("expired", write=True),
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    return Credentials("expired token", secret, token)


@pytest.fixture
def revoked_credentials(db) -> Credentials:  # type: ignore[no-untyped-def]
    token, secret = issue_token(account=make_account("revoked", write=True))
    token.revoked_at = timezone.now()
    token.save()
    return Credentials("revoked token", secret, token)


def client_for(secret: str | None) -> APIClient:
    client = APIClient()
    if secret:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def write_client(write_credentials: Credentials) -> APIClient:
    return client_for(write_credentials.secret)


@pytest.fixture
def read_client(read_credentials: Credentials) -> APIClient:
    return client_for(read_credentials.secret)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> None:
    """Throttle counts live in the cache, keyed by token id; ids repeat across rolled-back tests."""
    from django.core.cache import cache

    cache.clear()
