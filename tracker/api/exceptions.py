"""Every API error as ``application/problem+json`` (RFC 9457).

A problem has ``type``, ``title``, ``status`` and ``detail``; validation problems add
``errors``: one entry per field (``field`` is a dotted path such as ``countries.0.country``)
with its ``message`` and ``code``. Django's own 400/403/404/500 pages under /api/ come out the
same way (tracker/urls.py's handlers); elsewhere they are the plain pages of
tracker/templates/<status>.html, which show no internals.
"""

import json
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://tracker.invalid/problems/"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The object has changed since you read it (If-Match does not match its ETag)."
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "Send If-Match with the object's ETag to change it."
    default_code = "precondition_required"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with stored data."
    default_code = "conflict"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request."
    default_code = "idempotency_key_reused"


class IdempotencyKeyInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The Idempotency-Key header must be 1 to 255 printable ASCII characters."
    default_code = "idempotency_key_invalid"


TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request entity too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error detail as a flat list of {field, message, code}."""
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            out += _flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name)
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                out += _flatten(value, f"{prefix}.{index}" if prefix else str(index))
            else:
                out += _flatten(value, prefix)
        return out
    return [
        {"field": prefix, "message": str(detail), "code": getattr(detail, "code", "invalid") or "invalid"}
    ]


def problem(status_code: int, detail: str, *, code: str = "", errors: list | None = None) -> dict[str, Any]:
    title = TITLES.get(status_code, "Error")
    body: dict[str, Any] = {
        "type": TYPE_BASE + (code or title.lower().replace(" ", "_")),
        "title": title,
        "status": status_code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = Conflict("Other records still refer to this one; remove those references first.")
    elif isinstance(exc, IntegrityError):
        exc = Conflict("The change conflicts with stored data (a uniqueness or integrity rule).")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        # A service's refusal names what is missing (tracker.writing.require_permission).
        exc = exceptions.PermissionDenied(*exc.args[:1])
    response = exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)  # noqa: S101 -- exception_handler answers only these
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        body = problem(
            response.status_code, "The request has invalid fields.", code="validation_error", errors=errors
        )
    else:
        detail = exc.detail
        text = str(detail) if not isinstance(detail, dict | list) else json.dumps(detail)
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        body = problem(response.status_code, text, code=str(code))
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def problem_response(status_code: int, detail: str, *, code: str = "") -> HttpResponse:
    return HttpResponse(
        json.dumps(problem(status_code, detail, code=code)),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's handler404: problem+json under /api/, the usual page elsewhere."""
    if _is_api(request):
        return problem_response(404, "No such resource.", code="not_found")
    from django.views.defaults import page_not_found as default

    return default(request, exception or Http404())


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return problem_response(500, "The server failed; the error has been logged.", code="server_error")
    from django.views.defaults import server_error as default

    return default(request)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return problem_response(403, "You may not do this.", code="forbidden")
    from django.views.defaults import permission_denied as default

    return default(request, exception or PermissionDenied())


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return problem_response(413, "The request body is too large.", code="payload_too_large")
        return problem_response(400, "The request could not be read.", code="bad_request")
    from django.views.defaults import bad_request as default

    return default(request, exception or Exception())
