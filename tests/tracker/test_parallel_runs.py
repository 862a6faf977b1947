"""Parallel test runs (pytest-xdist): each worker has its own Redis database (tests/conftest.py)."""

import os

import pytest
from django.conf import settings

from tests.conftest import REDIS_URL_GIVEN, worker_redis_url


def test_worker_n_uses_the_redis_database_of_redis_url_plus_n():
    assert worker_redis_url("redis://127.0.0.1:6379/0", "gw0") == "redis://127.0.0.1:6379/0"
    assert worker_redis_url("redis://127.0.0.1:6379/0", "gw1") == "redis://127.0.0.1:6379/1"
    assert worker_redis_url("redis://127.0.0.1:6379/7", "gw1") == "redis://127.0.0.1:6379/8"
    assert worker_redis_url("redis://127.0.0.1:6379", "gw1") == "redis://127.0.0.1:6379/1"
    assert worker_redis_url("rediss://:pw@host:6380/3?ssl_cert_reqs=none", "gw2") == (
        "rediss://:pw@host:6380/5?ssl_cert_reqs=none"
    )
    with pytest.raises(pytest.UsageError, match="database 16"):
        worker_redis_url("redis://127.0.0.1:6379/15", "gw1")


def test_the_cache_and_the_broker_use_this_processs_redis_database():
    """In worker gwN, REDIS_URL's database plus N; in a single process, REDIS_URL itself."""
    from django.core.cache import caches

    from tracker.celery import app

    if not REDIS_URL_GIVEN:
        assert app.conf.broker_url == "filesystem://"
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = worker_redis_url(REDIS_URL_GIVEN, worker) if worker else REDIS_URL_GIVEN
    assert os.environ["REDIS_URL"] == app.conf.broker_url == settings.CELERY_BROKER_URL == url
    redis_caches = [a for a, c in settings.CACHES.items() if str(c["BACKEND"]).endswith("RedisCache")]
    assert redis_caches
    for alias in redis_caches:
        assert getattr(caches[alias], "_cache")._servers == [url]  # noqa: B009 -- the client's servers
