"""Report files, handed only to whoever may see their report: the API's and the admin's download.

Both doors call these two functions, so they answer alike. ``visible_file`` finds the file
through the visibility rule (``missions.visibility``): a report the caller may not see is
missing, exactly as one that does not exist. ``file_response`` answers with the file as an
attachment, its SHA-256 as a strong ETag (a matching If-None-Match gets 304 without touching
the storage), streamed from whichever storage holds it (``STORAGES["default"]``: the file
system under ``MEDIA_ROOT``, or S3-compatible object storage). Nothing else serves the
storage: no ``/media/`` route, and no storage URL is ever shown.
"""

import logging
from pathlib import PurePosixPath
from typing import Any

from django.http import FileResponse, Http404, HttpResponseBase, HttpResponseNotModified
from django.utils.http import parse_etags

from missions import visibility

from ..choices import ReportFormat
from ..models import ReportFile
from .reporting import CONTENT_TYPES

logger = logging.getLogger(__name__)

# Cached by the browser only (never by a shared proxy), and checked again on every use: the
# caller's right to the file is decided by each request, and the ETag makes the check cheap.
CACHE_CONTROL = "private, no-cache"


def visible_file(*, actor: Any, report_id: Any, fmt: str) -> ReportFile | None:
    """The report's file in ``fmt``, if the actor may see the report; else None (hidden or missing)."""
    try:
        pk = int(report_id)
    except (TypeError, ValueError):
        return None
    if fmt not in ReportFormat.values:
        return None
    files = visibility.visible(actor, ReportFile.objects.filter(report_id=pk, format=fmt))
    return files.first()


def etag_of(record: ReportFile) -> str:
    return f'"{record.sha256}"'


def _matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110, 13.1.2): ``W/"x"`` matches ``"x"``."""
    tags = parse_etags(if_none_match)
    return "*" in tags or etag in {tag.removeprefix("W/") for tag in tags}


def file_response(record: ReportFile, *, if_none_match: str = "") -> HttpResponseBase:
    """The file as an attachment with its ETag, or 304 when the caller already has it."""
    etag = etag_of(record)
    if if_none_match and _matches(if_none_match, etag):
        not_modified = HttpResponseNotModified()
        not_modified["ETag"] = etag
        not_modified["Cache-Control"] = CACHE_CONTROL
        return not_modified
    name = record.file.name or ""
    try:
        handle = record.file.storage.open(name, "rb")
    except FileNotFoundError:
        logger.error(
            "report %s: its %s file %r is missing from storage", record.report_id, record.format, name
        )
        raise Http404(f"The report's {record.format} file is missing; regenerate the report.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=PurePosixPath(name).name,
        content_type=CONTENT_TYPES[ReportFormat(record.format)],
    )
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response


__all__ = ["CACHE_CONTROL", "etag_of", "file_response", "visible_file"]
