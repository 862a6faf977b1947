"""Admin for accounts, integration accounts and their API tokens, and the audit trail page
(/admin/audit-trail/, tracker.view_audit_trail)."""

import datetime
from typing import Any

from axes import admin as axes_admin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from . import security
from .api.authentication import DEFAULT_LIFETIME, issue_token, revoke_token
from .audit import VIEW_AUDIT_TRAIL, AuditEntry, audit_trail, historical_models
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
            super().save_model(request, obj, form, change)  # its label, expiry or revocation
            return
        token, secret = issue_token(
            account=obj.account,
            label=obj.label,
            expires_at=obj.expires_at,
            created_by=request.user,  # type: ignore[arg-type]  # the admin's user is a User
        )
        obj.pk, obj.prefix, obj.created_at = token.pk, token.prefix, token.created_at
        obj._state.adding = False
        messages.warning(
            request,
            f"The token's secret is {secret} -- copy it now: it is stored only as a hash "
            "and will not be shown again.",
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # tokens are revoked, not deleted: the audit trail names them

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # a revert could bring a revoked token back to life

    @admin.action(description="Revoke the selected tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        now = timezone.now()
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            revoke_token(token=token, now=now)
            count += 1
        messages.success(request, f"Revoked {count} token(s).")


# --- Audit trail ------------------------------------------------------------------------------
class AuditFilterForm(forms.Form):
    account = forms.ModelChoiceField(
        queryset=User.objects.order_by("username"), required=False, help_text="Whose changes."
    )
    model = forms.ChoiceField(required=False, help_text="Which kind of record.")
    since = forms.DateField(required=False, help_text="From this day (inclusive).")
    until = forms.DateField(required=False, help_text="Up to this day (inclusive).")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [  # type: ignore[attr-defined]  # a ChoiceField
            ("", "every model"),
            *((label, label) for label in historical_models()),
        ]


def _day_start(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def audit_trail_view(request: HttpRequest) -> HttpResponse:
    """Admin page: everything one account (or everyone) changed, filtered by model and dates."""
    if not request.user.has_perm(VIEW_AUDIT_TRAIL):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    entries: list[AuditEntry] = []
    total, page_number, per_page = 0, 1, 50
    if form.is_bound and not form.is_valid():
        pass
    else:
        data = form.cleaned_data if form.is_bound else {}
        try:
            page_number = max(1, int(request.GET.get("page", "1")))
        except ValueError:
            page_number = 1
        until = data.get("until")
        try:
            total, entries = audit_trail(
                viewer=request,
                actor=data.get("account"),
                model=data.get("model") or None,
                since=_day_start(data.get("since")),
                until=_day_start(until + datetime.timedelta(days=1)) if until else None,
                offset=(page_number - 1) * per_page,
                limit=per_page,
            )
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
    query = request.GET.copy()
    query.pop("page", None)
    pages = max(1, -(-total // per_page))
    context = {
        **admin.site.each_context(request),
        "title": "Audit trail",
        "form": form,
        "entries": entries,
        "total": total,
        "page_number": page_number,
        "pages": pages,
        "previous_page": page_number - 1 if page_number > 1 else None,
        "next_page": page_number + 1 if page_number < pages else None,
        "query": query.urlencode(),
    }
    return TemplateResponse(request, "admin/tracker/audit_trail.html", context)


_site_urls = admin.site.get_urls


def _urls_with_audit_trail() -> list[Any]:
    page = path("audit-trail/", admin.site.admin_view(audit_trail_view), name="audit_trail")
    return [page, *_site_urls()]


admin.site.get_urls = _urls_with_audit_trail  # type: ignore[method-assign]  # adds one page to the site


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    """axes' page of counted sign-in failures (deleting a row unlocks that name at that address);
    its "Clean up expired attempts" action, which fails outside a sign-in request in axes 8.3,
    runs tracker.security's pruning instead."""

    @admin.action(description="Clean up expired attempts")
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        count = security.prune_expired_attempts(now=timezone.now())
        self.message_user(request, f"Cleaned up {count} expired access attempt{'s' if count != 1 else ''}.")


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)
