"""Throttling per token (per user for sessions, per address for anonymous requests).

Counted in the default cache: Redis when configured, shared by every process. While Redis is
away the cache answers from each process's own store (tracker/redis_cache.py), so a request is
never refused or failed for it; the limit then holds per process.
"""

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from tracker.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
