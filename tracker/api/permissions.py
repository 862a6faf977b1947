"""Who may do what: the token's scopes, then Django's model permissions.

What a caller may see is decided elsewhere, once: ``missions.visibility``, which the base
viewset's ``get_queryset`` applies to every list, object and export.
"""

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from tracker.models import ApiToken


def token_scopes(request: Request) -> frozenset[str] | None:
    """The scopes of the request's token, or None for a session (browser) user."""
    auth = getattr(request, "auth", None)
    return auth.account.scopes if isinstance(auth, ApiToken) else None


class TokenScope(permissions.BasePermission):
    """A token needs the read scope to read and the write scope to write."""

    message = "Your token's scopes do not allow this request."

    def has_permission(self, request: Request, view: Any) -> bool:
        scopes = token_scopes(request)
        if scopes is None:
            return True
        needed = "read" if request.method in permissions.SAFE_METHODS else "write"
        if needed == "read":
            return bool(scopes & {"read", "write"})
        return needed in scopes


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django's model permissions, and the view permission to read (DRF's default does not check it)."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def _queryset(self, view: Any) -> Any:
        # Only the model matters here: the view's class queryset names it without building the
        # caller's scoped queryset (which DRF's default would do on every request).
        queryset = getattr(view, "queryset", None)
        return queryset if queryset is not None else super()._queryset(view)


class ChangePermission(permissions.BasePermission):
    """For actions that change an object (e.g. regenerate a report): the model's change permission."""

    message = "You may not change these records."

    def has_permission(self, request: Request, view: Any) -> bool:
        meta = view.queryset.model._meta
        return bool(request.user and request.user.has_perm(f"{meta.app_label}.change_{meta.model_name}"))


DEFAULT_PERMISSIONS = [permissions.IsAuthenticated, TokenScope, ModelPermissions]
