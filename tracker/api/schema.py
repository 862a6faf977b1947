"""OpenAPI additions: the token scheme, problem+json error responses, If-Match and Idempotency-Key."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .exceptions import PROBLEM_CONTENT_TYPE, TITLES


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tracker.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An integration account's API token, issued in the admin (shown once): "
                "`Authorization: Bearer trk_...`. Scopes: read, write, confidential."
            ),
        }


PROBLEM = {
    "type": "object",
    "description": "An error, as RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "URI naming the kind of problem."},
        "title": {"type": "string", "description": "Short summary of the kind of problem."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong with this request."},
        "errors": {
            "type": "array",
            "description": "For validation problems: one entry per field and message.",
            "items": {
                "type": "object",
                "required": ["field", "message", "code"],
                "properties": {
                    "field": {
                        "type": "string",
                        "description": (
                            "Dotted path of the field, e.g. countries.0.country; empty for the whole object."
                        ),
                    },
                    "message": {"type": "string", "description": "What is wrong with it."},
                    "code": {"type": "string", "description": "Machine-readable reason, e.g. required."},
                },
            },
        },
    },
}

ERROR_WHEN = {
    400: "Invalid request: bad fields, filters, JSON or cursor.",
    401: "No credentials, or a bad, expired or revoked token.",
    403: "Authenticated, but the token's scopes or the account's permissions do not allow this.",
    404: "No such object (or not visible to you).",
    405: "Method not allowed on this resource.",
    406: "None of the accepted formats can be produced.",
    409: "Conflicts with stored data (e.g. the object is still referenced).",
    412: "If-Match does not match the object's current ETag: re-read and retry.",
    413: "Request body too large.",
    415: "Unsupported Content-Type (send application/json).",
    422: "The Idempotency-Key was used before with a different request body.",
    428: "If-Match is required to change or delete an object.",
    429: "Too many requests for this token; retry after the Retry-After delay.",
}

PAGE_FIELDS = {
    "next": "URL of the next page (null on the last page).",
    "previous": "URL of the previous page (null on the first page).",
    "results": "The objects of this page.",
}

COMMON = (400, 401, 403, 404, 405, 406, 429)
WRITE = (409, 413, 415)
BY_METHOD = {
    "get": COMMON,
    "post": COMMON + WRITE + (422,),
    "put": COMMON + WRITE + (412, 428),
    "patch": COMMON + WRITE + (412, 428),
    "delete": COMMON + (409, 412, 428),
}

IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": "The ETag from your last read of this object; a stale one gets 412, none gets 428.",
    "schema": {"type": "string"},
}
IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": (
        "Any unique string (e.g. a UUID), up to 255 printable ASCII characters. A retry with the same "
        "key and body replays the first response instead of creating a second record (for 24 hours); "
        "the same key with a different body gets 422."
    ),
    "schema": {"type": "string", "maxLength": 255},
}


def add_problems(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document every error response and header."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
    ref = {"$ref": "#/components/schemas/Problem"}
    for name, component in result["components"]["schemas"].items():
        if name.startswith("Paginated"):
            for field, text in PAGE_FIELDS.items():
                if field in component.get("properties", {}):
                    component["properties"][field].setdefault("description", text)
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            codes = BY_METHOD.get(method)
            if codes is None:
                continue
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(
                    str(code),
                    {
                        "description": f"{TITLES.get(code, 'Error')}: {ERROR_WHEN[code]}",
                        "content": {PROBLEM_CONTENT_TYPE: {"schema": ref}},
                    },
                )
            for code, response in responses.items():
                if code == "200" and method == "get":
                    response.setdefault("headers", {})["ETag"] = {
                        "description": "Strong ETag of the object (on single objects).",
                        "schema": {"type": "string"},
                    }
            if method == "get" and "{" in _path_of(result, path):
                responses.setdefault(
                    "304", {"description": "Not modified: If-None-Match matched the current ETag."}
                )
            parameters = operation.setdefault("parameters", [])
            if method in ("put", "patch", "delete"):
                parameters.append(IF_MATCH)
            if method == "post":
                parameters.append(IDEMPOTENCY_KEY)
    return result


def _path_of(result: dict[str, Any], item: dict[str, Any]) -> str:
    return next((name for name, value in result["paths"].items() if value is item), "")
