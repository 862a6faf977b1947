"""What a process remembers about a Redis server that stopped answering.

Redis holds the cache (API throttle counts, cached API pages) and the Celery broker; PostgreSQL
holds every record. When Redis is stopped or hung, a request must still answer from
PostgreSQL, quickly: the cache falls back to a per-process store (tracker/redis_cache.py) and
a task is left pending for its sweep (tracker/publishing.py). Each Redis call is bounded by a
socket timeout, and once one call has failed the process does not ask that server again for
``REDIS_RETRY_SECONDS``: a hung Redis then costs one timeout per process per window, not one
per call (a request makes several). Cache and broker share the memory when they share the
server, so a request whose throttle check found Redis away does not wait again to publish.

While it lasts, a warning is logged at most once a minute per process (``WARN_EVERY``); the
first answer after it is logged once at info.

Why not a circuit-breaker library: pybreaker (the well-kept one) holds one lock across every
protected call, which would serialise a threaded web worker's cache calls; what is needed here
is two timestamps. Times are arguments (``now``, monotonic seconds), so tests pass them.
"""

import logging
import threading
from urllib.parse import urlsplit

from django.conf import settings
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

WARN_EVERY = 60.0
DEFAULT_RETRY_SECONDS = 5.0

#: A Redis that cannot serve: refused, reset, timed out, still loading its data (BusyLoadingError
#: is a ConnectionError), or a replica left read-only by a failover. Not a bug's error (a wrong
#: type, a bad command), which still raises.
REDIS_AWAY = (RedisConnectionError, RedisTimeoutError, ReadOnlyError)
#: What a Celery publish raises once its retry policy is spent (kombu wraps the Redis error; the
#: file-system broker of development raises OSError).
BROKER_AWAY = (BrokerUnavailable, OSError, *REDIS_AWAY)


def retry_seconds() -> float:
    return float(getattr(settings, "REDIS_RETRY_SECONDS", DEFAULT_RETRY_SECONDS))


class Outage:
    """One server's state in this process: since when it fails, until when not to ask it."""

    def __init__(self, server: str) -> None:
        self.server = server
        self._lock = threading.Lock()
        self.since: float | None = None  # when the current outage was first seen
        self._skip_until = float("-inf")
        self._next_warning = float("-inf")

    def available(self, *, now: float) -> bool:
        """False while a recent failure says not to ask the server (a call would only wait)."""
        return now >= self._skip_until

    def failed(self, error: BaseException, *, now: float, retry_after: float | None = None) -> None:
        """Record a failed call: skip the server for ``retry_after`` seconds, warn once a minute."""
        wait = retry_seconds() if retry_after is None else retry_after
        with self._lock:
            if self.since is None:
                self.since = now
            self._skip_until = now + wait
            warn = now >= self._next_warning
            if warn:
                self._next_warning = now + WARN_EVERY
            since = self.since
        if warn:
            logger.warning(
                "Redis at %s is unreachable (%s: %s) for %.0f s: each process now throttles and "
                "caches on its own and leaves tasks pending for their sweep; asking again every "
                "%.0f s (this warning repeats at most once a minute)",
                self.server,
                type(error).__name__,
                error,
                now - since,
                wait,
            )

    def answered(self, *, now: float) -> bool:
        """Record a successful call; True for the one that ends an outage (the caller may then
        drop what it kept meanwhile)."""
        if self.since is None:  # the common case, without taking the lock
            return False
        with self._lock:
            since, self.since = self.since, None
        if since is None:
            return False  # another thread saw the end first
        logger.info("Redis at %s answers again after %.0f s", self.server, now - since)
        return True

    def __repr__(self) -> str:
        return f"<Outage {self.server} since={self.since}>"


_outages: dict[str, Outage] = {}
_registry_lock = threading.Lock()


def server_of(url: str) -> str:
    """``host:port`` of a redis:// URL (the database number is not part of the server)."""
    parts = urlsplit(url)
    if not parts.hostname:
        return url  # a unix socket or another transport: the URL itself names it
    return f"{parts.hostname}:{parts.port or 6379}"


def outage_of(url: str) -> Outage:
    """This process's memory of the server behind ``url`` (one per server, shared by threads)."""
    server = server_of(url)
    outage = _outages.get(server)
    if outage is None:
        with _registry_lock:
            outage = _outages.setdefault(server, Outage(server))
    return outage
