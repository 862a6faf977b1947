"""Shared fixtures. Tests marked ``services`` need the real PostgreSQL and Redis."""

import os

import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory

SERVICES_AVAILABLE = bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SERVICES_AVAILABLE:
        return
    skip = pytest.mark.skip(
        reason="needs the real PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (.ci/run does)"
    )
    for item in items:
        if "services" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def officer(db):  # type: ignore[no-untyped-def]
    """A staff user with every model permission of the three apps (no object-level limits:
    tracker.access_all_regions; tests/trust/ covers officers limited to their regions)."""
    user = UserFactory.create(username="officer", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["missions", "partners", "reports"])
        | Permission.objects.filter(content_type__app_label="tracker", codename="access_all_regions")
    )
    return user


@pytest.fixture
def officer_client(client, officer):  # type: ignore[no-untyped-def]
    client.force_login(officer)
    return client


@pytest.fixture(autouse=True)
def _no_indicator_recompute_on_commit(settings):  # type: ignore[no-untyped-def]
    """Saved records do not enqueue indicator recomputes (reports.signals) unless a test turns
    INDICATORS_RECOMPUTE_ON_COMMIT back on, so no test sends stray tasks to a broker."""
    settings.INDICATORS_RECOMPUTE_ON_COMMIT = False
