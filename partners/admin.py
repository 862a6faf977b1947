"""Admin of partners and funding: organisations, partnerships, joint work, donors, the annex.

Saves go through partners.services with the officer as actor. The joint-work inline is also
appended to every activity admin of missions (``ACTIVITY_ADMINS``), so that an officer records
co-organisers, hosts and funders on the activity's own page. The annex page
(/admin/partners/contribution/annex/) renders services.annex.annex_table() with CSV and XLSX
downloads.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from simple_history.admin import SimpleHistoryAdmin

from missions.access import visible_activities, visible_through_activity
from missions.admin.activities import ACTIVITY_ADMINS, ScopedByActivityAdmin
from tracker.history import change_context

from .models import (
    ActivityOrganisation,
    Contribution,
    Donor,
    Organisation,
    Partnership,
    RegularBudgetAllocation,
    ReportedFundingFigure,
)
from .services.annex import annex_table
from .services.annex_export import display_rows, money, to_csv, to_xlsx
from .services.funding import save_contribution
from .services.organisations import save_organisation, save_partnership, set_partnership_activities


def _reason(request: HttpRequest, change: bool) -> str:
    return "Changed in the admin" if change else "Added in the admin"


class _AuditedFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """Saves its rows inside a change context (actor and reason set by the parent admin)."""

    actor: Any = None
    reason: str = ""

    def save(self, commit: bool = True) -> Any:
        with change_context(actor=self.actor, reason=self.reason or "Changed in the admin"):
            return super().save(commit=commit)


class ActivityOrganisationInline(admin.TabularInline):  # type: ignore[type-arg]
    """Joint work on the activity's page: which organisation co-organised, hosted, funded ..."""

    model = ActivityOrganisation
    formset = _AuditedFormSet
    fields = ["organisation", "role", "notes"]
    autocomplete_fields = ["organisation"]
    extra = 0
    verbose_name = "organisation (joint work)"
    verbose_name_plural = "organisations (joint work: co-organisers, hosts, funders, participants)"


class OrganisationActivityInline(admin.TabularInline):  # type: ignore[type-arg]
    """Joint work on the organisation's page: its activities and roles."""

    model = ActivityOrganisation
    formset = _AuditedFormSet
    fk_name = "organisation"
    fields = ["activity", "role", "notes"]
    autocomplete_fields = ["activity"]
    extra = 0
    verbose_name = "activity (joint work)"
    verbose_name_plural = "activities (joint work)"

    def get_queryset(self, request: HttpRequest) -> Any:
        # Joint work of activities outside the user's regions is neither shown nor written here.
        return visible_through_activity(
            request.user, super().get_queryset(request).select_related("activity")
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "activity":
            kwargs["queryset"] = visible_activities(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PartnershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Partnership
    formset = _AuditedFormSet
    fields = ["kind", "title", "took_effect_on", "date_precision", "source_paragraph"]
    extra = 0
    show_change_link = True


class ChildOrganisationInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Organisation
    fk_name = "parent"
    fields = ["code", "name_en", "kind"]
    readonly_fields = ["code", "name_en", "kind"]
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = "part of this organisation"
    verbose_name_plural = "parts of this organisation"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


for _activity_admin in ACTIVITY_ADMINS:
    if ActivityOrganisationInline not in _activity_admin.inlines:
        _activity_admin.inlines = [*_activity_admin.inlines, ActivityOrganisationInline]


class _ServiceSavedAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    """Inline formsets saved with the officer as actor."""

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset.actor, formset.reason = request.user, _reason(request, change)
        with change_context(actor=request.user, reason=_reason(request, change)):
            super().save_formset(request, form, formset, change)


@admin.register(Organisation)
class OrganisationAdmin(_ServiceSavedAdmin):
    list_display = ["name_en", "acronym", "code", "kind", "parent", "country"]
    list_filter = ["kind"]
    search_fields = ["code", "name_en", "acronym", "name_zh", "subkind"]
    list_select_related = ["parent", "country"]
    autocomplete_fields = ["parent"]
    raw_id_fields = ["country"]  # the Country admin belongs to missions and may have no search
    readonly_fields = ["updated_at"]
    inlines = [PartnershipInline, OrganisationActivityInline, ChildOrganisationInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        save_organisation(actor=request.user, reason=_reason(request, change), organisation=obj)


@admin.register(Partnership)
class PartnershipAdmin(_ServiceSavedAdmin):
    list_display = ["organisation", "kind", "title", "took_effect_on", "date_precision", "activity_count"]
    list_filter = ["kind"]
    search_fields = ["title", "areas", "organisation__name_en", "organisation__acronym", "organisation__code"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation", "activities"]
    readonly_fields = ["updated_at"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).annotate(n_activities=Count("activities"))

    @admin.display(description="activities", ordering="n_activities")
    def activity_count(self, obj: Any) -> int:
        return int(obj.n_activities)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "activities":
            # Only the officer's own activities are offered, shown or accepted; the others
            # linked to the partnership are kept on saving (set_partnership_activities).
            kwargs["queryset"] = visible_activities(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        save_partnership(actor=request.user, reason=_reason(request, change), partnership=obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        activities = form.cleaned_data.pop("activities", None)  # written below, not by save_m2m
        with change_context(actor=request.user, reason=_reason(request, change)):
            super().save_related(request, form, formsets, change)
            if activities is not None:
                set_partnership_activities(
                    actor=request.user,
                    reason=_reason(request, change),
                    partnership=form.instance,
                    activities=activities,
                    visible_activities=visible_activities(request.user),
                )


@admin.register(ActivityOrganisation)
class ActivityOrganisationAdmin(ScopedByActivityAdmin, _ServiceSavedAdmin):
    list_display = ["activity", "organisation", "role", "notes"]
    list_filter = ["role", "organisation__kind"]
    search_fields = [
        "activity__reference",
        "activity__title",
        "organisation__name_en",
        "organisation__acronym",
    ]
    list_select_related = ["activity", "organisation"]
    autocomplete_fields = ["activity", "organisation"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "activity":
            kwargs["queryset"] = visible_activities(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with change_context(actor=request.user, reason=_reason(request, change)):
            obj.full_clean()
            obj.save()


class ContributionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Contribution
    fk_name = "donor"
    fields = ["kind", "amount", "currency", "year", "pledge", "reference"]
    readonly_fields = ["kind", "amount", "currency", "year", "pledge", "reference"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("donor", "pledge__donor")


@admin.register(Donor)
class DonorAdmin(_ServiceSavedAdmin):
    list_display = ["name", "kind", "country", "organisation", "annex_row"]
    list_filter = ["kind"]
    search_fields = ["name", "country__name_en", "organisation__name_en", "organisation__acronym"]
    list_select_related = ["country", "organisation"]
    autocomplete_fields = ["organisation"]
    raw_id_fields = ["country"]
    inlines = [ContributionInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with change_context(actor=request.user, reason=_reason(request, change)):
            obj.full_clean()
            obj.save()


@admin.register(Contribution)
class ContributionAdmin(_ServiceSavedAdmin):
    list_display = ["donor", "kind", "amount", "currency", "year", "date", "pledge", "reference"]
    list_filter = ["kind", "currency", "year"]
    search_fields = ["donor__name", "reference", "earmark", "notes"]
    list_select_related = ["donor", "pledge__donor"]
    autocomplete_fields = ["donor", "pledge", "earmark_activity"]
    raw_id_fields = ["earmark_region"]
    readonly_fields = ["updated_at"]
    change_list_template = "admin/partners/contribution/change_list.html"
    fieldsets = [
        (None, {"fields": ["donor", "kind", ("amount", "currency"), "year", "date", "pledge"]}),
        ("Earmark", {"fields": ["earmark", "earmark_region", "earmark_activity"]}),
        ("Record", {"fields": ["reference", "source", "notes", "updated_at"]}),
    ]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        result = save_contribution(actor=request.user, reason=_reason(request, change), contribution=obj)
        for warning in result.warnings:
            self.message_user(request, warning, level=messages.WARNING)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("annex/", view(self.annex_view), name="partners_contribution_annex"),
            path("annex.csv", view(self.annex_csv), name="partners_contribution_annex_csv"),
            path("annex.xlsx", view(self.annex_xlsx), name="partners_contribution_annex_xlsx"),
            *super().get_urls(),
        ]

    def _table(self, request: HttpRequest) -> Any:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            until_year = int(request.GET.get("until_year", "2006"))
        except ValueError:
            until_year = 2006
        return annex_table(until_year=min(max(until_year, 2002), 2100))

    def annex_view(self, request: HttpRequest) -> HttpResponse:
        table = self._table(request)
        query = f"?until_year={table.until_year}"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": table.title,
            "table": table,
            "rows": display_rows(table),
            "column_totals": [money(table.column_totals.get(c.key)) for c in table.columns],
            "grand_total": money(table.grand_total),
            "footnotes": [(f.label, money(f.amount), f.source) for f in table.reported_unpaid_pledges],
            "derived_unpaid": money(table.derived_unpaid_pledges),
            "csv_url": reverse("admin:partners_contribution_annex_csv") + query,
            "xlsx_url": reverse("admin:partners_contribution_annex_xlsx") + query,
        }
        return TemplateResponse(request, "admin/partners/contribution/annex.html", context)

    def annex_csv(self, request: HttpRequest) -> HttpResponse:
        table = self._table(request)
        response = HttpResponse(to_csv(table), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="annex-{table.until_year}.csv"'
        return response

    def annex_xlsx(self, request: HttpRequest) -> HttpResponse:
        table = self._table(request)
        response = HttpResponse(
            to_xlsx(table), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="annex-{table.until_year}.xlsx"'
        return response


@admin.register(RegularBudgetAllocation)
class RegularBudgetAllocationAdmin(_ServiceSavedAdmin):
    list_display = ["year", "amount", "currency", "is_approximate", "source"]
    list_filter = ["is_approximate"]
    search_fields = ["source"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with change_context(actor=request.user, reason=_reason(request, change)):
            obj.full_clean()
            obj.save()


@admin.register(ReportedFundingFigure)
class ReportedFundingFigureAdmin(_ServiceSavedAdmin):
    list_display = ["code", "kind", "amount", "currency", "as_of", "source"]
    list_filter = ["kind"]
    search_fields = ["code", "label", "source"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with change_context(actor=request.user, reason=_reason(request, change)):
            obj.full_clean()
            obj.save()
