"""Security headers, and the guard against password guessing.

Django 5.2 has no Content-Security-Policy of its own; this middleware sets one that the admin
and the API documentation (served from the drf-spectacular sidecar, with the Swagger "split"
view so that no inline script is needed) work under.

Password guessing is django-axes' work (the AXES_* settings): failed sign-ins are counted per
user name and client address together, so whoever guesses an officer's password from elsewhere
locks out only that name at their own address, never the officer at theirs. Three pieces are
ours:

- axes reads the count before the password is checked and writes the failure after, so
  parallel guesses were all checked; here each attempt is counted first, in one transaction
  per user name and address (``LoginAttemptHandler.admits``), and only attempts within the
  limit reach the password check;
- the client address behind reverse proxies (``client_ip``);
- the page that says so (``lockout_response``) and the pruning of old records.
"""

import hashlib
import ipaddress
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied, AxesBackendRequestParameterRequired
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import (
    get_client_parameters,
    get_client_username,
    get_cool_off,
    get_credentials,
    get_failure_limit,
    get_lockout_message,
    get_query_str,
)
from axes.models import AccessAttempt, AccessLog
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router, transaction
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

log = logging.getLogger(__name__)

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


class OneQueryModelBackend(ModelBackend):
    """Django's ModelBackend (user name and password), reading a user's permissions in one query."""

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


# Set on a request whose attempt LoginAttemptHandler.admits has already counted.
_COUNTED = "tracker_attempt_counted"


class LoginAttemptHandler(AxesDatabaseHandler):
    """axes' database handler, with each attempt counted before its password is checked.

    axes' own order (check the count, check the password, then record the failure) lets every
    one of N parallel guesses through while the count still reads zero. Its increment itself is
    atomic (a row lock and F()), but the check is not part of it.
    """

    def admits(self, request: HttpRequest, credentials: dict[str, Any]) -> bool:
        """Whether this attempt may go on to the password check. It is counted as a failure
        first; a successful sign-in then clears the count (AXES_RESET_ON_SUCCESS). The right
        password refused all the same (an account without staff status at the admin) stays
        counted, as a failure."""
        if settings.AXES_ONLY_ADMIN_SITE and not self.is_admin_request(request):
            return True
        if self.is_blacklisted(request, credentials):
            return False
        if self.is_whitelisted(request, credentials) or not settings.AXES_LOCK_OUT_AT_FAILURE:
            return True
        failures = self.count_attempt(request, credentials)
        setattr(request, _COUNTED, True)
        return failures <= get_failure_limit(request, credentials)

    def count_attempt(self, request: Any, credentials: dict[str, Any]) -> int:
        """Record one more failure for this client and return its failures within the cool-off,
        this one included, as one step for each user name and address: a PostgreSQL advisory
        lock per lockout key covers all its rows (whatever their user agent); on SQLite the
        first statement is an UPDATE, which takes the database's single writer lock."""
        username = get_client_username(request, credentials)
        keys = get_client_parameters(
            username, request.axes_ip_address, request.axes_user_agent, request, credentials
        )
        client = {
            "username": username,
            "ip_address": request.axes_ip_address,
            "user_agent": request.axes_user_agent,
        }
        seen = {
            "http_accept": request.axes_http_accept,
            "path_info": request.axes_path_info,
            "attempt_time": request.axes_attempt_time,
        }
        cool_off = get_cool_off(request)
        current = {} if cool_off is None else {"attempt_time__gte": request.axes_attempt_time - cool_off}
        using = router.db_for_write(AccessAttempt)
        with transaction.atomic(using=using):
            _lock(using, keys)
            bumped = AccessAttempt.objects.filter(**client, **current).update(
                failures_since_start=F("failures_since_start") + 1, **seen
            )
            if not bumped:
                AccessAttempt.objects.filter(**client).delete()  # expired: start again from one
                AccessAttempt.objects.create(
                    **client,
                    **seen,
                    failures_since_start=1,
                    # NUL cannot be stored in PostgreSQL text (axes does the same).
                    get_data=get_query_str(request.GET).replace("\0", "0x00"),
                    post_data=get_query_str(request.POST).replace("\0", "0x00"),
                )
            return self.get_failures(request, credentials)  # counts only rows within the cool-off

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        """An attempt counted by ``admits`` is not counted again; only the lockout is decided."""
        if request is None or not getattr(request, _COUNTED, False):
            super().user_login_failed(sender, credentials, request, **kwargs)
            return
        failures = self.get_failures(request, credentials)
        request.axes_failures_since_start = failures
        if failures >= get_failure_limit(request, credentials):
            username = get_client_username(request, credentials)
            log.warning(
                "Sign-in locked out: user name %r from %s, %d failures",
                username,
                request.axes_ip_address,
                failures,
            )
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes", request=request, username=username, ip_address=request.axes_ip_address
            )


def _lock(using: str, keys: list[dict[str, Any]]) -> None:
    """Serialise attempts on the same lockout keys until the transaction ends (PostgreSQL)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    numbers = sorted({_lock_number(key) for key in keys})  # one order everywhere: no deadlock
    with connection.cursor() as cursor:
        for number in numbers:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])


def _lock_number(key: dict[str, Any]) -> int:
    text = "axes:" + json.dumps(sorted(key.items()), default=str)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


class LoginAttemptBackend(AxesStandaloneBackend):
    """axes' backend (first in AUTHENTICATION_BACKENDS): refuses an attempt over the limit
    before the next backend checks its password, having counted it (LoginAttemptHandler)."""

    def authenticate(  # type: ignore[override]  # axes' signature, typed
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not settings.AXES_ENABLED:
            return None
        if request is None:
            raise AxesBackendRequestParameterRequired("A sign-in by password needs the request.")
        credentials = get_credentials(username=username, password=password, **kwargs)
        AxesProxyHandler.update_request(request)
        handler = AxesProxyHandler.get_implementation()
        if not isinstance(handler, LoginAttemptHandler):
            raise ImproperlyConfigured("AXES_HANDLER must be tracker.security.LoginAttemptHandler")
        if handler.admits(request, credentials):
            return None
        kwargs.get("response_context", {})["error"] = get_lockout_message()
        # PermissionDenied stops django.contrib.auth.authenticate from trying the next backend;
        # the failure signal it sends then marks the request locked out (the lockout page).
        raise AxesBackendPermissionDenied("Too many failed sign-ins for this user name and address.")


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The page a locked-out sign-in gets (AXES_LOCKOUT_CALLABLE): 429, how long, what to do."""
    cool_off = get_cool_off(request)
    context = {
        **admin.site.each_context(request),
        "title": "Sign-in locked",
        "failure_limit": get_failure_limit(request, credentials),
        "minutes": None if cool_off is None else max(1, round(cool_off.total_seconds() / 60)),
    }
    response = render(request, "admin/tracker/locked_out.html", context, status=429)
    if cool_off is not None:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


def client_ip(request: HttpRequest) -> str | None:
    """The client's address (AXES_CLIENT_IP_CALLABLE). REMOTE_ADDR, unless the site runs behind
    TRUSTED_PROXY_COUNT reverse proxies: then the address the outermost one was reached from, as
    it wrote it in CLIENT_IP_HEADER. Each proxy appends its peer's address to that header, so
    the last TRUSTED_PROXY_COUNT entries are the proxies' word and anything before them is the
    client's own, never trusted."""
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    meta_key = "HTTP_" + settings.CLIENT_IP_HEADER.upper().replace("-", "_")
    hops = [hop.strip() for hop in request.META.get(meta_key, "").split(",") if hop.strip()]
    if len(hops) < count:  # not through all our proxies: nobody we trust wrote it
        return remote
    return _address(hops[-count]) or remote


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def prune_login_records(*, now: datetime) -> dict[str, int]:
    """Delete sign-in attempts whose cool-off has passed (they no longer count) and sign-in
    logs older than LOGIN_LOG_DAYS."""
    logs, _ = AccessLog.objects.filter(
        attempt_time__lt=now - timedelta(days=settings.LOGIN_LOG_DAYS)
    ).delete()
    return {"attempts": prune_expired_attempts(now=now), "logs": logs}


def prune_expired_attempts(*, now: datetime) -> int:
    """Delete the sign-in attempts whose cool-off has passed; returns how many."""
    count, _ = AccessAttempt.objects.filter(attempt_time__lt=now - settings.AXES_COOLOFF_TIME).delete()
    return count
