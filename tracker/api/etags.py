"""Strong ETags, and the If-Match / If-None-Match checks.

A record with a ``version`` (bumped by the services on every change: tracker.writing) has the
ETag ``"<model>-<pk>-v<version>-<digest>"``: the version is the record's one optimistic lock,
shared with the admin's conflict check, so a change through any door (admin, import, task, a
row hanging off the record) makes an API client's If-Match stale; the digest of the JSON
representation keeps the tag honest for If-None-Match when only what the record embeds
changes (a country's or an organisation's code). A record without a version has the digest
alone (the SHA-256 of its representation).

If-Match is compared strongly (RFC 9110, 13.1.1): a weak tag ``W/"..."`` never matches, since
a write must be based on exactly the current representation. If-None-Match is compared weakly.
"""

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model
from rest_framework.request import Request

from tracker.writing import version_field

from .exceptions import PreconditionFailed, PreconditionRequired


def _digest(data: Any) -> str:
    raw = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def etag_of(data: Any) -> str:
    """The ETag of a representation alone (records without a version)."""
    return '"' + _digest(data)[:32] + '"'


def etag_for(instance: Model, data: Any) -> str:
    """The ETag of ``instance`` as represented by ``data``: its version when it has one."""
    field = version_field(type(instance))
    if field is None:
        return etag_of(data)
    model = instance._meta.concrete_model or type(instance)  # a proxy (Mission) is its activity
    name = model._meta.model_name
    version = field.value_from_object(instance)
    return f'"{name}-{instance.pk}-v{version}-{_digest(data)[:16]}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def check_if_match(request: Request, current_etag: str) -> None:
    """Refuse a write without If-Match (428) or with a stale or weak one (412)."""
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
    weak = [tag.removeprefix("W/") for tag in _tags(header)]
    return current_etag in weak or header.strip() == "*"
