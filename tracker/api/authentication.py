"""API tokens of integration accounts: ``Authorization: Bearer <secret>`` (or ``Token <secret>``).

Only the SHA-256 of a secret is stored. A missing, unknown, expired or revoked token, or one
of an inactive account or user, is refused with 401 (never 500).
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from tracker.models import ApiToken, IntegrationAccount, User

SECRET_PREFIX = "trk_"  # noqa: S105 -- a public marker of our tokens, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=1)
DEFAULT_LIFETIME = timedelta(days=365)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def issue_token(
    *,
    account: IntegrationAccount,
    label: str = "",
    expires_at: datetime | None = None,
    created_by: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored and shown only now."""
    secret = new_secret()
    token = ApiToken.objects.create(
        account=account,
        label=label,
        prefix=secret[:12],
        key_hash=hash_secret(secret),
        expires_at=expires_at or timezone.now() + DEFAULT_LIFETIME,
        created_by=created_by,
    )
    return token, secret


def revoke_token(*, token: ApiToken, now: datetime | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates ``Bearer``/``Token`` headers; ``request.auth`` is then the ApiToken."""

    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: expected '<scheme> <token>'."
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        return self.authenticate_secret(secret)

    def authenticate_secret(self, secret: str) -> tuple[User, ApiToken]:
        token = ApiToken.objects.select_related("account__user").filter(key_hash=hash_secret(secret)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed("This token has expired.")
        account = token.account
        if not account.is_active or not account.user.is_active:
            raise exceptions.AuthenticationFailed("This integration account is inactive.")
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            # A conditional UPDATE: one write a minute at most, however many requests arrive.
            ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
                last_used_at=now
            )
            token.last_used_at = now
        return account.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
