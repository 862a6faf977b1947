"""Admin for accounts, integration accounts and their API tokens."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from .api.authentication import DEFAULT_LIFETIME, hash_secret, new_secret, revoke_token
from .models import ApiToken, IntegrationAccount, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    pass


@admin.register(IntegrationAccount)
class IntegrationAccountAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "user",
        "scope_read",
        "scope_write",
        "scope_confidential",
        "is_active",
        "created_at",
    ]
    list_filter = ["is_active", "scope_write", "scope_confidential"]
    search_fields = ["name", "user__username", "contact"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]


@admin.register(ApiToken)
class ApiTokenAdmin(SimpleHistoryAdmin):
    """Tokens are created here; the secret is shown once, in the message after saving."""

    list_display = ["__str__", "account", "label", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["account", "revoked_at"]
    search_fields = ["label", "prefix", "account__name"]
    list_select_related = ["account"]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at"]
    actions = ["revoke_tokens"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"expires_at": timezone.now() + DEFAULT_LIFETIME}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        return fields + ["account"] if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        secret = new_secret()
        obj.prefix = secret[:12]
        obj.key_hash = hash_secret(secret)
        obj.created_by = request.user  # type: ignore[assignment]  # the admin's user is a User
        super().save_model(request, obj, form, change)
        messages.warning(
            request,
            f"The token's secret is {secret} -- copy it now: it is stored only as a hash "
            "and will not be shown again.",
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        now = timezone.now()
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            revoke_token(token=token, now=now)
            count += 1
        messages.success(request, f"Revoked {count} token(s).")
