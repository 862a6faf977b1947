"""What every API list and object is narrowed by: the token's scopes.

Region limits are the other narrowing; they depend on the records (an activity's region, host
and countries), so each viewset applies them through missions.access (visible_activities,
visible_through_activity) in its get_queryset.
"""

from typing import TypeVar

from django.db.models import Model, QuerySet
from rest_framework.request import Request

from .permissions import token_scopes

M = TypeVar("M", bound=Model)


def scope_queryset(request: Request, queryset: QuerySet[M]) -> QuerySet[M]:
    """Narrow ``queryset`` to what the request may see.

    Integrations without the confidential scope do not see confidential records; what hangs
    off a confidential activity is hidden by the viewsets' region scoping, which takes
    ``include_confidential`` from the same scopes.
    """
    scopes = token_scopes(request)
    if scopes is not None and "confidential" not in scopes:
        model = queryset.model
        if any(f.name == "is_confidential" for f in model._meta.get_fields()):
            queryset = queryset.filter(is_confidential=False)
    return queryset
