"""Cached JSON pages of big API lists (and their single objects), never served after the data
they show has changed.

Why: integrations poll the same pages (the first page, ``updated_since`` windows) and re-read
objects far more often than officers write. A page of 100 activities costs ~9 ms to build;
served from the cache it costs the authentication, permission and scope checks plus one small
query. A single object is kept with its ETag, so If-None-Match is answered from the cache too.

How it stays correct:

- Every save or delete of a model a cached list shows (``watch``) inserts a ``DataChange``
  row in the writer's transaction. ``data_version()`` reads (row count, last id, last token)
  in one query; any committed write, from any process (gunicorn workers, Celery, the admin),
  changes it, and a write rolled back leaves no row behind to be matched later. The version
  is read before the data, so a page is only ever stored under a version at least as old as
  its data.
- The key also holds what the page depends on besides the data: path and query string, host
  and scheme (the next/previous links are absolute), the user, the token's scopes, the
  caller's region scope, the current time zone and the API version. Only 200 JSON answers
  are stored; errors, CSV, XLSX and the browsable API are always built afresh.
- Writes that send no signals (``bulk_create``, ``QuerySet.update()``, raw SQL) must call
  ``mark_changed()``; as a bound on any path that forgets, entries expire after
  ``API_LIST_CACHE_SECONDS`` (default 300; 0 turns the cache off).
"""

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import router
from django.db.models import Count, Model, Window
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.request import Request

from tracker.models import DataChange

from .permissions import token_scopes

# Pages bigger than this are not stored (a page of 500 activities is about 0.5 MB).
MAX_BODY_BYTES = 1024 * 1024
KEY_PREFIX = "api-list-v1"
CACHE_ALIAS = "api-pages"  # see CACHES in tracker/settings.py

log = logging.getLogger(__name__)


def mark_changed(*, using: str = "default") -> None:
    """Record that data a cached list shows has changed (called by signals, and by bulk writers)."""
    DataChange.objects.using(using).create(token=secrets.token_hex(16))


def _changed(sender: Any, *, using: str | None = None, **kwargs: Any) -> None:
    mark_changed(using=using or router.db_for_write(DataChange))


def watch(models: Iterable[type[Model]]) -> None:
    """Mark a change on every save and delete of ``models`` (and m2m changes of their through tables)."""
    for model in models:
        uid = f"tracker.list_cache.{model._meta.label_lower}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")
        m2m_changed.connect(_changed, sender=model, dispatch_uid=f"{uid}.m2m")


def data_version() -> str | None:
    """(count, last id, last token) of the change log: different after any committed write."""
    row = (
        DataChange.objects.order_by("-id")
        .annotate(total=Window(Count("id")))
        .values_list("total", "id", "token")
        .first()
    )
    return None if row is None else "{}:{}:{}".format(*row)


def prune(*, keep: int = 1000) -> int:
    """Delete all but the last ``keep`` change rows (cached pages then miss once, harmlessly)."""
    last = DataChange.objects.order_by("-id").values_list("id", flat=True).first()
    if last is None:
        return 0
    deleted, _ = DataChange.objects.filter(id__lte=last - keep).delete()
    return deleted


def seconds() -> int:
    return int(getattr(settings, "API_LIST_CACHE_SECONDS", 300))


def page_key(request: Request, view_name: str, scope: Any) -> str | None:
    """The cache key of this list request, or None when its answer is not cached."""
    renderer = getattr(request, "accepted_renderer", None)
    if seconds() <= 0 or renderer is None or renderer.format != "json":
        return None
    version = data_version()
    if version is None:
        return None  # an empty log (a new or flushed database) tells no two states apart
    scopes = token_scopes(request)
    parts = [
        view_name,
        request.method,
        request.scheme,
        request.get_host(),
        request.path,
        request.META.get("QUERY_STRING", ""),
        request.accepted_media_type,
        str(getattr(request.user, "pk", None)),
        ",".join(sorted(scopes)) if scopes is not None else "session",
        json.dumps(scope, sort_keys=True, default=str),
        timezone.get_current_timezone_name(),
        version,
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"{KEY_PREFIX}:{digest}"


def cached_page(key: str) -> HttpResponse | None:
    try:
        stored = caches[CACHE_ALIAS].get(key)
    except Exception:  # noqa: BLE001 -- a cache that is down must not fail a read: build the page
        log.warning("API list cache unreachable; building the page", exc_info=True)
        return None
    if stored is None:
        return None
    content_type, body, etag = stored
    response = HttpResponse(body, content_type=content_type)
    if etag:
        response["ETag"] = etag
    response["X-List-Cache"] = "hit"
    return response


def store_page(key: str, response: HttpResponse) -> None:
    """Keep a 200 answer (its body, content type and ETag, if any) under ``key``."""
    body = response.content
    response["X-List-Cache"] = "miss"
    if response.status_code != 200 or len(body) > MAX_BODY_BYTES:
        return
    stored = (response["Content-Type"], body, response.get("ETag", ""))
    try:
        caches[CACHE_ALIAS].set(key, stored, seconds())
    except Exception:  # noqa: BLE001 -- a cache that is down must not fail a read
        log.warning("API list cache unreachable; page not stored", exc_info=True)
