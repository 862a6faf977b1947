"""A clear 503 when the database is unreachable (restarting, failing over), never a 500.

The API answers ``application/problem+json`` with ``Retry-After``; other pages a short plain
page with the same header. Only connection-level errors are mapped (``OperationalError`` and
``InterfaceError``: the server went away, refused the connection or is shutting down); an
integrity or programming error stays a 500 (a bug) or the API's 409.
"""

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from .api.exceptions import problem_response

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    """Last in MIDDLEWARE, so its process_exception sees a view's exception first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable for %s %s: %s", request.method, request.path, exception)
        if request.path.startswith("/api/"):
            response = problem_response(
                503,
                "The database is unavailable for a moment (restarting?); nothing was changed. "
                f"Try again in {RETRY_AFTER_SECONDS} seconds.",
                code="database_unavailable",
            )
        else:
            response = HttpResponse(
                "<!doctype html><title>Unavailable</title><h1>Service unavailable</h1>"
                "<p>The database is unavailable for a moment; nothing was changed. "
                "Please try again in a few seconds.</p>",
                status=503,
                content_type="text/html; charset=utf-8",
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
