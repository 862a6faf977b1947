"""Security headers and the guard against password guessing.

Django 5.2 has no Content-Security-Policy of its own; this middleware sets one that the admin
and the API documentation (served from the drf-spectacular sidecar, with the Swagger "split"
view so that no inline script is needed) work under.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # The admin and Swagger UI set style attributes inline.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=()"


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy and Permissions-Policy to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class LockoutModelBackend(ModelBackend):
    """Refuses a user name after repeated failed logins, for a while, whatever the password.

    Failures are counted in the database (LoginFailure), so the lock holds across every
    web process; a successful login clears them.
    """

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """Django's answer (direct and group permissions; every one for a superuser) in one
        query instead of two: every API request and admin page asks for it."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                perms = Permission.objects.all()
            else:
                perms = Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
            pairs = perms.values_list("content_type__app_label", "codename").order_by().distinct()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in pairs}
        return user_obj._perm_cache  # type: ignore[no-any-return]

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        from .models import LoginFailure

        if username is None:
            username = kwargs.get("email") or kwargs.get(self._username_field())
        if not username:
            return None
        key = str(username).strip().lower()[:150]
        window_start = timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
        recent = LoginFailure.objects.filter(username=key, failed_at__gte=window_start).count()
        if recent >= settings.LOGIN_LOCKOUT_FAILURES:
            # PermissionDenied stops Django from trying the other backends.
            raise PermissionDenied("Too many failed logins; try again later.")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            LoginFailure.objects.create(username=key, ip_address=_client_ip(request))
        else:
            LoginFailure.objects.filter(username=key).delete()
        return user

    def _username_field(self) -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
