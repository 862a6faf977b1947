"""The one place that narrows what a request may see (object-level roles of issue 8 go here)."""

from typing import TypeVar

from django.db.models import Model, QuerySet
from rest_framework.request import Request

from .permissions import token_scopes

M = TypeVar("M", bound=Model)


def scope_queryset(request: Request, queryset: QuerySet[M]) -> QuerySet[M]:
    """Narrow ``queryset`` to what the request may see.

    Today: integrations without the confidential scope do not see confidential activities
    (nor what hangs off them). Officers' region limits will be added here.
    """
    scopes = token_scopes(request)
    if scopes is not None and "confidential" not in scopes:
        model = queryset.model
        if any(f.name == "is_confidential" for f in model._meta.get_fields()):
            queryset = queryset.filter(is_confidential=False)
    return queryset
