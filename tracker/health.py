"""``/health/live`` and ``/health/ready``: is this process up, and can it do its work?

Built on django-health-check: each check below is one of its ``HealthCheck`` classes, run
concurrently by its view (synchronous checks in threads), and each is bounded by
``HEALTH_CHECK_TIMEOUT`` (the library waits that plus one second, then reports the check down
whatever it is doing). The answer is JSON, 200 when every check is ok and 503 otherwise::

    {"status": "down", "checks": {"database": "ok", "cache": "down: Redis unreachable", ...}}

It names the checks and gives a short reason, never a host, a password or a traceback (the
reason is logged at warning). No authentication and no API throttle: these are plain Django
views, outside the REST framework.

- database: a ``SELECT 1`` on a connection of its own.
- cache: Redis itself when the cache is tracker's FallbackRedisCache (tracker/redis_cache.py),
  since a request never sees Redis fail (it falls back to a store of the process): a ``PING``
  within the cache's socket timeout, and "down" while this process still serves from its
  fallback. Another backend (LocMemCache of the embedded defaults): a set and a get.
- broker: a ``PING`` of the broker's Redis within ``REDIS_BROKER_SOCKET_TIMEOUT``; the
  file-system broker of the embedded defaults: its folders exist and are writable.
- worker, beat: a heartbeat (tracker.models.Heartbeat) fresher than
  ``HEALTH_WORKER_STALE_SECONDS`` / ``HEALTH_BEAT_STALE_SECONDS`` (written by tracker/heartbeats.py).
"""

import asyncio
import dataclasses
import logging
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, ClassVar

import redis
from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from .models import Heartbeat
from .outages import REDIS_AWAY
from .redis_cache import FallbackRedisCache
from .services import heartbeats

logger = logging.getLogger(__name__)


@contextmanager
def _own_connection() -> Iterator[None]:
    """The check runs in a thread of its own: close that thread's database connection after it,
    so that checks never keep connections open (nor hand a broken one to the next check)."""
    try:
        yield
    finally:
        connections.close_all()


class _Check(HealthCheck):
    """A named check; ``run`` raises ServiceUnavailable with a short reason when it is down."""

    label: ClassVar[str]

    def __repr__(self) -> str:
        return self.label


@dataclasses.dataclass(repr=False)
class DatabaseCheck(_Check):
    label: ClassVar[str] = "database"

    def run(self) -> None:
        with _own_connection():
            try:
                with connections["default"].cursor() as cursor:
                    cursor.execute("SELECT 1")
                    row = cursor.fetchone()
            except DatabaseError as error:
                raise ServiceUnavailable(f"unreachable ({type(error).__name__})") from error
        if row != (1,):
            raise ServiceUnavailable("unexpected answer to SELECT 1")


@dataclasses.dataclass(repr=False)
class CacheCheck(_Check):
    label: ClassVar[str] = "cache"

    def run(self) -> None:
        cache = caches["default"]
        if isinstance(cache, FallbackRedisCache):
            client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]  # RedisCache's client
            try:
                client.ping()
            except REDIS_AWAY as error:
                raise ServiceUnavailable(f"Redis unreachable ({type(error).__name__})") from error
            if not cache.outage.available(now=time.monotonic()):
                raise ServiceUnavailable("Redis answers again, but this process still uses its fallback")
            return
        key = f"health-check:{os.getpid()}:{time.monotonic_ns()}"
        cache.set(key, "ok", timeout=5)
        found = cache.get(key)
        cache.delete(key)
        if found != "ok":
            raise ServiceUnavailable("a value set was not read back")


@dataclasses.dataclass(repr=False)
class BrokerCheck(_Check):
    label: ClassVar[str] = "broker"

    def run(self) -> None:
        url = str(_celery_app().conf.broker_url)
        if url.startswith(("redis://", "rediss://", "unix://")):
            seconds = settings.REDIS_BROKER_SOCKET_TIMEOUT
            client = redis.Redis.from_url(url, socket_timeout=seconds, socket_connect_timeout=seconds)
            try:
                client.ping()
            except REDIS_AWAY as error:
                raise ServiceUnavailable(f"Redis unreachable ({type(error).__name__})") from error
            finally:
                client.close()
        elif url.startswith("filesystem://"):
            options = _celery_app().conf.broker_transport_options or {}
            for option in ("data_folder_in", "data_folder_out", "data_folder_processed"):
                folder = str(options.get(option, ""))
                if not (os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)):
                    raise ServiceUnavailable(f"the broker's folder ({option}) is missing or not writable")
        else:
            raise ServiceUnavailable("no check for this kind of broker")


@dataclasses.dataclass(repr=False)
class _HeartbeatCheck(_Check):
    kind: ClassVar[str]
    stale_setting: ClassVar[str]

    def run(self) -> None:
        limit = timedelta(seconds=getattr(settings, self.stale_setting))
        with _own_connection():
            try:
                at = heartbeats.latest(kind=self.kind)
            except DatabaseError as error:
                raise ServiceUnavailable(
                    f"unknown: the database is unreachable ({type(error).__name__})"
                ) from error
        if at is None:
            raise ServiceUnavailable(f"no {self.kind} heartbeat recorded yet")
        age = timezone.now() - at
        if age > limit:
            raise ServiceUnavailable(
                f"last {self.kind} heartbeat {age.total_seconds():.0f} s ago "
                f"(more than {limit.total_seconds():.0f} s)"
            )


@dataclasses.dataclass(repr=False)
class WorkerCheck(_HeartbeatCheck):
    label: ClassVar[str] = "worker"
    kind: ClassVar[str] = Heartbeat.Kind.WORKER
    stale_setting: ClassVar[str] = "HEALTH_WORKER_STALE_SECONDS"


@dataclasses.dataclass(repr=False)
class BeatCheck(_HeartbeatCheck):
    label: ClassVar[str] = "beat"
    kind: ClassVar[str] = Heartbeat.Kind.BEAT
    stale_setting: ClassVar[str] = "HEALTH_BEAT_STALE_SECONDS"


READY_CHECKS: tuple[type[_Check], ...] = (DatabaseCheck, CacheCheck, BrokerCheck, WorkerCheck, BeatCheck)


class ReadyView(HealthCheckView):
    """200 when every check is ok, else 503; JSON whatever the Accept header."""

    checks = READY_CHECKS

    @contextmanager
    def get_executor(self) -> Iterator[ThreadPoolExecutor]:
        """Threads of its own, not waited for: a check past its time limit (a hung server) is
        reported down at once and its thread left to finish on its own."""
        executor = ThreadPoolExecutor(max_workers=len(READY_CHECKS), thread_name_prefix="health-check")
        try:
            yield executor
        finally:
            executor.shutdown(wait=False, cancel_futures=True)

    def get_checks(self) -> Iterator[HealthCheck]:
        seconds = timedelta(seconds=settings.HEALTH_CHECK_TIMEOUT)
        for check in super().get_checks():
            check.timeout = seconds  # type: ignore[misc]  # a class attribute the library reads per instance
            yield check

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        with self.get_executor() as executor:
            results = await asyncio.gather(*(check.get_result(executor) for check in self.get_checks()))
        checks = {}
        for result in results:
            if result.error is None:
                checks[repr(result.check)] = "ok"
            else:
                checks[repr(result.check)] = f"down: {result.error.message}"
                logger.warning("health check %s is down: %s", result.check, result.error.message)
        down = any(result.error for result in results)
        response = JsonResponse(
            {"status": "down" if down else "ok", "checks": checks}, status=503 if down else 200
        )
        # Logged above at warning, check by check: not again as django.request's error (which
        # Sentry would report once per probe during an outage).
        response._has_been_logged = True  # type: ignore[attr-defined]  # Django's own flag (log_response)
        return response


def live(request: HttpRequest) -> JsonResponse:
    """The process answers: no database, no cache, no broker asked."""
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = "no-store"
    return response


def _celery_app() -> Any:
    """The Celery app (its configuration is the broker's truth: tests point it elsewhere)."""
    from .celery import app

    return app
