"""Django's Redis cache, with a per-process fallback while Redis is away.

Every cache user here is an optimisation or a limit that may be per process for a while: the
API throttle's counts (tracker/api/throttling.py: during an outage each process counts its own
requests, so the rate a token gets is at most the number of web processes times the setting)
and the cached API pages (tracker/api/list_cache.py: keys hold the data version read from
PostgreSQL, so a per-process copy is as correct as the shared one). So a call that finds Redis
stopped or hung (tracker/outages.py: bounded by ``socket_timeout``) is served by a bounded
in-memory cache of this process instead of raising, and while the outage lasts the process
goes straight to that store, asking Redis again every ``REDIS_RETRY_SECONDS``. When Redis
answers again the process's store is emptied and Redis is used as before. Nothing that needs
all processes to agree (a lock, a counter that must be exact) may use the cache.

``FALLBACK_MAX_ENTRIES`` (a key of the CACHES entry, default 300) bounds the store.
"""

import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from .outages import REDIS_AWAY, Outage, outage_of


class FallbackRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self.url: str = self._servers[0]  # type: ignore[attr-defined]  # RedisCache's; not in django-stubs
        self.outage: Outage = outage_of(self.url)
        # LocMemCache shares its store between instances of one name (Django makes one cache
        # instance per thread), so every thread of the process sees the same fallback.
        self.fallback = LocMemCache(
            f"redis-fallback:{self.url}:{params.get('KEY_PREFIX', '')}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "KEY_FUNCTION": params.get("KEY_FUNCTION"),
                "OPTIONS": {"MAX_ENTRIES": params.get("FALLBACK_MAX_ENTRIES", 300)},
            },
        )

    def _either(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Redis's answer, or the fallback's when Redis is away (or was, a moment ago)."""
        if self.outage.available(now=time.monotonic()):
            try:
                answer = getattr(super(), name)(*args, **kwargs)
            except REDIS_AWAY as error:
                self.outage.failed(error, now=time.monotonic())
            else:
                if self.outage.answered(now=time.monotonic()):
                    self.fallback.clear()  # what was kept meanwhile: Redis holds the truth again
                return answer
        return getattr(self.fallback, name)(*args, **kwargs)

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        return bool(self._either("add", key, value, timeout, version))

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._either("get", key, default, version)

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        self._either("set", key, value, timeout, version)

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        return bool(self._either("touch", key, timeout, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        return bool(self._either("delete", key, version))

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return dict(self._either("get_many", list(keys), version))  # a list: read twice if need be

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return bool(self._either("has_key", key, version))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return int(self._either("incr", key, delta, version))

    def set_many(self, data: Any, timeout: Any = None, version: int | None = None) -> list[Any]:
        return list(self._either("set_many", dict(data), timeout, version))

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._either("delete_many", list(keys), version)

    def clear(self) -> None:
        self.fallback.clear()
        self._either("clear")
