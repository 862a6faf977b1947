"""A credential in a URL's query string is refused: it would be written to access logs (ours,
a proxy's), browser histories and Referer headers. Tokens go in the Authorization header.

``QueryCredentialMiddleware`` (first in MIDDLEWARE) answers 400 ``application/problem+json``
naming the parameter, on every path, before anything else reads the request; the log lines of
the request redact the value (tracker/logs.py).
"""

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .api.exceptions import PROBLEM_CONTENT_TYPE, problem
from .logs import CREDENTIAL_PARAMETERS


def credential_parameters(request: HttpRequest) -> list[str]:
    """The credential parameters of the request's query string, in the order sent."""
    found = []
    for name in request.GET:
        if name.lower() in CREDENTIAL_PARAMETERS and name not in found:
            found.append(name)
    return found


class QueryCredentialMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        names = credential_parameters(request)
        if not names:
            return self.get_response(request)
        body = problem(
            400,
            _(
                "The query parameter %(name)s carries a credential, which would be written to logs: "
                "send it in the Authorization header instead (Authorization: Bearer <token>)."
            )
            % {"name": repr(names[0])},
            code="credential_in_query",
            errors=[
                {
                    "field": name,
                    "message": _(
                        "Credentials are not accepted in the query string; use the Authorization header."
                    ),
                    "code": "credential_in_query",
                }
                for name in names
            ],
        )
        return HttpResponse(json.dumps(body), status=400, content_type=PROBLEM_CONTENT_TYPE)
