"""Shared fixtures. Tests marked ``services`` need the real PostgreSQL and Redis.

Parallel runs (pytest-xdist, ``-n 2 --dist loadgroup`` as ``make test`` and ``.ci/run`` use):
each worker has its own test database (pytest-django adds ``_gw0``, ``_gw1``, ... to its
name) and, with Redis, its own Redis database: worker N uses the database of REDIS_URL plus N,
because the cache's clear() empties a whole Redis database and the Celery broker lives there
too. ``services`` tests are spread over the workers like the others: each starts its own
private servers on free ports and uses only its worker's databases, and most of their time is
spent waiting on subprocesses, so running two at once halves the pass.
"""

import os
import re
import select
import time
from typing import SupportsIndex

import pytest
import rest_framework.throttling  # noqa: F401 -- imported before any test freezes time: see below
from django.contrib.auth.models import Permission

from tests.factories import UserFactory

# DRF's throttles keep ``time.time`` as a class attribute (SimpleRateThrottle.timer). Imported
# while a test has frozen time (freezegun), that attribute would be freezegun's fake function,
# which a class attribute turns into a method, and every request would fail; imported here, it
# is the real clock's (request rates are not what a frozen-time test is about).


def _sleep_by_select(seconds: float | SupportsIndex) -> None:
    select.select([], [], [], float(seconds))


if os.environ.get("FAKETIME") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    # .ci/run's shifted-clock passes run under libfaketime with the monotonic clock left alone
    # (faking it hangs every timed wait: wolfcw/libfaketime#390). libfaketime 0.9.10 (Debian 12)
    # then breaks Python 3.11's time.sleep, which sleeps until an absolute CLOCK_MONOTONIC
    # deadline (EINVAL: wolfcw/libfaketime#426); select() waits the same time through a call
    # libfaketime leaves correct.
    time.sleep = _sleep_by_select

SERVICES_AVAILABLE = bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))
REDIS_URL_GIVEN = os.environ.get("REDIS_URL", "")  # before pytest_configure gives a worker its own


def worker_redis_url(url: str, worker: str) -> str:
    """REDIS_URL for xdist worker ``gwN``: the same server, database number plus N."""
    number = int(worker.removeprefix("gw"))
    match = re.fullmatch(r"(rediss?://[^/?#]*)(?:/(\d*))?([?#].*)?", url)
    if match is None:
        raise pytest.UsageError(f"REDIS_URL {url!r} is not of the form redis://host:port/db")
    database = int(match.group(2) or 0) + number
    if database > 15:
        raise pytest.UsageError(f"worker {worker} would need Redis database {database}; run fewer workers")
    return f"{match.group(1)}/{database}{match.group(3) or ''}"


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Passwords are hashed with a fast hasher in tests: PBKDF2's 1,000,000 rounds cost about
    # 0.3 s per sign-in checked, and the lockout tests check dozens. Production keeps Django's
    # default (tracker/settings.py); a test that needs another hasher overrides this setting.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    redis_url = os.environ.get("REDIS_URL")
    if not worker or not redis_url:
        return
    from django.test.signals import clear_cache_handlers

    url = worker_redis_url(redis_url, worker)
    os.environ["REDIS_URL"] = url  # for the workers and servers the services tests start
    settings.REDIS_URL = settings.CELERY_BROKER_URL = url
    for cache in settings.CACHES.values():
        if str(cache["BACKEND"]).endswith("RedisCache"):
            cache["LOCATION"] = url
    clear_cache_handlers(setting="CACHES")

    from tracker.celery import app

    app.conf.broker_url = url
    app._pool = None  # noqa: SLF001 -- no connection to the first URL may be reused
    app.amqp._producer_pool = None  # noqa: SLF001


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # By marker, not keyword: keywords also hold the names of the folders above the test (a
    # checkout in a folder called "services" would otherwise mark every test).
    if SERVICES_AVAILABLE:
        return
    skip = pytest.mark.skip(
        reason="needs the real PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (.ci/run does)"
    )
    for item in items:
        if item.get_closest_marker("services") is not None:
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


def _transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
        or (marker is not None and marker.kwargs.get("transaction"))
    )


@pytest.fixture(autouse=True)
def _leases_outlast_a_slow_test(request, settings):  # type: ignore[no-untyped-def]
    """A task run inside the test's own transaction claims its row uncommitted: the lease's
    heartbeat thread (its own connection) cannot see the row and reports the lease lost after a
    third of LEASE_SECONDS, which a loaded CI machine reaches (40 s). Those tests get an hour;
    transactional tests, whose claims commit as in production, keep the setting."""
    if not _transactional(request):
        settings.LEASE_SECONDS = 3600


@pytest.fixture(autouse=True)
def _no_indicator_recompute_on_commit(settings):  # type: ignore[no-untyped-def]
    """Saved records do not enqueue indicator recomputes (reports.signals) unless a test turns
    INDICATORS_RECOMPUTE_ON_COMMIT back on, so no test sends stray tasks to a broker."""
    settings.INDICATORS_RECOMPUTE_ON_COMMIT = False
