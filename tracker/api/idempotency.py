"""Idempotency-Key on creates: a retried request creates one record, not two.

The key row is inserted in the same transaction as the record it creates, under a unique
(user, key) constraint. A concurrent retry's insert waits for the first transaction; if that
commits, the retry replays its stored response; if it rolls back (the create failed), the
retry goes ahead. Same key with a different body: 422. Keys expire after KEY_LIFETIME.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.models import IdempotencyKey, User

from .exceptions import IdempotencyKeyInvalid, IdempotencyKeyReused

HEADER = "Idempotency-Key"
KEY_LIFETIME = timedelta(hours=24)
REPLAYED_HEADERS = ("Location", "ETag")


def _request_hash(request: Request) -> str:
    body = JSONRenderer().render({"method": request.method, "path": request.path, "data": request.data})
    canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _valid(key: str) -> bool:
    return 0 < len(key) <= 255 and all(32 <= ord(ch) < 127 for ch in key)


def idempotent(request: Request, create: Callable[[], Response]) -> Response:
    """Run ``create`` once per (user, Idempotency-Key); replay its response on retries."""
    key = request.headers.get(HEADER)
    if key is None:
        return create()
    if not _valid(key):
        raise IdempotencyKeyInvalid()
    request_hash = _request_hash(request)
    now = timezone.now()
    with transaction.atomic():
        row = _claim(request, key, request_hash, now)
        if row.status_code is not None:
            return _replay(row)
        response = create()
        if response.status_code >= 300:
            transaction.set_rollback(True)
            return response
        row.status_code = response.status_code
        row.response_body = json.loads(JSONRenderer().render(response.data))
        row.response_headers = {
            name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)
        }
        row.save(update_fields=["status_code", "response_body", "response_headers"])
        return response


def _claim(request: Request, key: str, request_hash: str, now: datetime) -> IdempotencyKey:
    """Insert the key row, or return the committed row of an earlier request with this key."""
    user = cast(User, request.user)  # creates need an authenticated user (permission classes)
    fields = {
        "method": request.method or "",
        "path": request.path[:500],
        "request_hash": request_hash,
        "expires_at": now + KEY_LIFETIME,
    }
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, **fields)
    except IntegrityError:
        pass
    existing = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
    if existing.expires_at <= now:
        existing.delete()
        return IdempotencyKey.objects.create(user=user, key=key, **fields)
    if existing.request_hash != request_hash:
        raise IdempotencyKeyReused()
    return existing


def _replay(row: IdempotencyKey) -> Response:
    response = Response(row.response_body, status=row.status_code)
    for name, value in row.response_headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def purge_expired(*, now: datetime) -> int:
    """Delete expired keys; returns how many (for a periodic clean-up)."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now).delete()
    return deleted
