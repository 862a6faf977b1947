"""Strong ETags from an object's representation, and If-Match checks on writes.

The ETag is the SHA-256 of the object's JSON representation, so it changes whenever anything
an integration can see changes (including nested countries or organisations).
"""

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework.request import Request

from .exceptions import PreconditionFailed, PreconditionRequired


def etag_of(data: Any) -> str:
    raw = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return '"' + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32] + '"'


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def check_if_match(request: Request, current_etag: str) -> None:
    """Refuse a write without If-Match (428) or with a stale one (412)."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    tags = _tags(header)
    if "*" not in tags and current_etag not in tags:
        raise PreconditionFailed()


def matches_if_none_match(request: Request, current_etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    return current_etag in _tags(header) or header.strip() == "*"
