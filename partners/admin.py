"""Admin of partners and funding: organisations, partnerships, joint work, donors, the annex.

Every write goes through partners.services with the officer as actor (``save_model``,
``delete_model``, ``delete_queryset``, and the inline formsets' rows); every list and choice of
activities goes through missions.visibility, so an officer is neither shown nor offered another
region's (or, without the permission, a confidential) activity. The joint-work inline is also
appended to every activity admin of missions (``ACTIVITY_ADMINS``), so that an officer records
co-organisers, hosts and funders on the activity's own page. The annex page
(/admin/partners/contribution/annex/) renders services.annex.annex_table() with CSV and XLSX
downloads.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Model, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from missions import visibility
from missions.admin.activities import ACTIVITY_ADMINS
from missions.admin.nothing_half_saved import NothingHalfSaved
from tracker.actors import Actor

from .models import (
    ActivityOrganisation,
    Contribution,
    Donor,
    Organisation,
    Partnership,
    RegularBudgetAllocation,
    ReportedFundingFigure,
)
from .services import funding, organisations
from .services.annex import annex_table
from .services.annex_export import display_rows, money, to_csv, to_xlsx

DELETED = "Deleted in the admin"


def _reason(change: bool) -> str:
    return "Changed in the admin" if change else "Added in the admin"


def _values(form: Any) -> dict[str, Any]:
    """The model fields the form edits, as cleaned (what the services are given)."""
    opts = form._meta.model._meta
    names = {field.name for field in [*opts.concrete_fields, *opts.many_to_many]} - {opts.pk.name}
    return {name: value for name, value in form.cleaned_data.items() if name in names}


class _ServiceFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """Inline rows written by the services: ``create_row``, ``update_row``, ``delete_row`` (per model).

    ``actor`` is set by the inline's get_formset from the request (the parent admin may set
    ``reason``); each row's values are its form's cleaned fields, with the parent filled in.
    """

    actor: Any = None
    reason: str = ""
    create_row: Callable[..., Any]
    update_row: Callable[..., Any]
    delete_row: Callable[..., Any]
    instance_keyword: str

    def _writer(self) -> dict[str, Any]:
        if self.actor is None:
            raise PermissionDenied("An inline formset was saved without an actor.")
        return {"actor": Actor.of(self.actor), "reason": self.reason or "Changed in the admin"}

    def save_new(self, form: Any, commit: bool = True) -> Any:
        values = {**_values(form), self.fk.name: self.instance}
        obj = type(self).create_row(**self._writer(), **values)
        form.instance = obj
        return obj

    def save_existing(self, form: Any, obj: Any, commit: bool = True) -> Any:
        values = {**_values(form), self.fk.name: self.instance}
        return type(self).update_row(**self._writer(), **{self.instance_keyword: obj}, **values)

    def delete_existing(self, obj: Any, commit: bool = True) -> None:
        if commit:
            type(self).delete_row(**self._writer(), **{self.instance_keyword: obj})


class _ActivityOrganisationFormSet(_ServiceFormSet):
    create_row = staticmethod(organisations.create_activity_organisation)
    update_row = staticmethod(organisations.update_activity_organisation)
    delete_row = staticmethod(organisations.delete_activity_organisation)
    instance_keyword = "activity_organisation"


class _PartnershipFormSet(_ServiceFormSet):
    create_row = staticmethod(organisations.create_partnership)
    update_row = staticmethod(organisations.update_partnership)
    delete_row = staticmethod(organisations.delete_partnership)
    instance_keyword = "partnership"


class _ServiceInline(admin.TabularInline):  # type: ignore[type-arg]
    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset: Any = super().get_formset(request, obj, **kwargs)
        formset.actor = Actor.of(request)  # a class made for this request
        return formset


class ActivityOrganisationInline(_ServiceInline):
    """Joint work on the activity's page: which organisation co-organised, hosted, funded ..."""

    model = ActivityOrganisation
    formset = _ActivityOrganisationFormSet
    fields = ["organisation", "role", "notes"]
    autocomplete_fields = ["organisation"]
    extra = 0
    verbose_name = "organisation (joint work)"
    verbose_name_plural = "organisations (joint work: co-organisers, hosts, funders, participants)"


class OrganisationActivityInline(_ServiceInline):
    """Joint work on the organisation's page: its activities and roles."""

    model = ActivityOrganisation
    formset = _ActivityOrganisationFormSet
    fk_name = "organisation"
    fields = ["activity", "role", "notes"]
    autocomplete_fields = ["activity"]
    extra = 0
    verbose_name = "activity (joint work)"
    verbose_name_plural = "activities (joint work)"

    def get_queryset(self, request: HttpRequest) -> Any:
        # Joint work of activities the user cannot see is neither shown nor written here.
        return visibility.visible(Actor.of(request), super().get_queryset(request).select_related("activity"))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "activity":
            kwargs["queryset"] = visibility.activities(Actor.of(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PartnershipInline(_ServiceInline):
    model = Partnership
    formset = _PartnershipFormSet
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


class _VisibleActivityHistory(HistoricalRecordContextHelper):
    """A record's history without the activities its reader cannot see (in ``fields``)."""

    def __init__(self, model: Any, historical_record: Any, *, actor: Actor, fields: set[str]) -> None:
        super().__init__(model, historical_record)
        self.actor, self.fields = actor, fields

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        if change.field in self.fields and value is not None and not self._shown(value):
            return None  # shown as if there were none: no hidden id or title
        return super().prepare_delta_change_value(change, value)

    def _shown(self, value: Any) -> bool:
        if isinstance(value, Model):
            return visibility.can_see(self.actor, value)
        # A deleted activity (simple_history's DeletedObject): only to who sees every activity.
        return visibility.region_ids(self.actor) is None and self.actor.sees_confidential

    def context_for_delta_changes(self, delta: Any) -> list[dict[str, Any]]:
        # A change between hidden (or no) activities is no change for this reader.
        return [row for row in super().context_for_delta_changes(delta) if row["old"] != row["new"]]


class _ServiceSavedAdmin(NothingHalfSaved, SimpleHistoryAdmin):  # type: ignore[type-arg]
    """Saves and deletes go through the services (``save_model``, ``delete_model``, the inline
    formsets); a rule only a service knows comes back as a message, with nothing saved."""

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # a revert would save past the services

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Many-to-many fields were written by the service in save_model; inline rows here."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset.actor, formset.reason = Actor.of(request), _reason(change)
        super().save_formset(request, form, formset, change)  # rows through _ServiceFormSet

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    @staticmethod
    def _created(obj: Any, stored: Any) -> None:
        """Make the admin's instance the stored row (the admin logs and redirects with it)."""
        obj.pk = stored.pk
        obj._state.adding = False
        obj._state.db = stored._state.db


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
        actor, reason, values = Actor.of(request), _reason(change), _values(form)
        if change:
            organisations.update_organisation(actor=actor, reason=reason, organisation=obj, **values)
        else:
            self._created(obj, organisations.create_organisation(actor=actor, reason=reason, **values))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        organisations.delete_organisation(actor=Actor.of(request), reason=DELETED, organisation=obj)


@admin.register(Partnership)
class PartnershipAdmin(_ServiceSavedAdmin):
    list_display = ["organisation", "kind", "title", "took_effect_on", "date_precision", "activity_count"]
    list_filter = ["kind"]
    search_fields = ["title", "areas", "organisation__name_en", "organisation__acronym", "organisation__code"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation", "activities"]
    readonly_fields = ["updated_at"]

    def get_queryset(self, request: HttpRequest) -> Any:
        # Counts only the activities the reader may see: a count is no back door either.
        visible = visibility.activities(Actor.of(request)).values("pk")
        return (
            super()
            .get_queryset(request)
            .annotate(n_activities=Count("activities", filter=Q(activities__in=visible), distinct=True))
        )

    @admin.display(description="activities", ordering="n_activities")
    def activity_count(self, obj: Any) -> int:
        return int(obj.n_activities)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "activities":
            # Only the officer's own activities are offered, shown or accepted; the others
            # linked to the partnership are kept on saving (set_partnership_activities).
            kwargs["queryset"] = visibility.activities(Actor.of(request))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor, reason, values = Actor.of(request), _reason(change), _values(form)
        if change:
            organisations.update_partnership(actor=actor, reason=reason, partnership=obj, **values)
        else:
            self._created(obj, organisations.create_partnership(actor=actor, reason=reason, **values))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        organisations.delete_partnership(actor=Actor.of(request), reason=DELETED, partnership=obj)


@admin.register(ActivityOrganisation)
class ActivityOrganisationAdmin(_ServiceSavedAdmin):
    """Joint work, listed, shown, changed and deleted only where its activity is visible."""

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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return visibility.visible(Actor.of(request), super().get_queryset(request))

    def _in_scope(self, request: HttpRequest, obj: Any) -> bool:
        return obj is None or visibility.can_see(Actor.of(request), obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)

    def _not_found_if_hidden(self, request: HttpRequest, object_id: str) -> None:
        """A hidden row's history is "not found", as a missing row's is (not "forbidden")."""
        actor = Actor.of(request)
        if visibility.region_ids(actor) is None and actor.sees_confidential:
            return  # sees every row, and so the history of deleted ones too
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: Any
    ) -> HistoricalRecordContextHelper:
        return _VisibleActivityHistory(
            self.model, historical_record, actor=Actor.of(request), fields={"activity"}
        )

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        self._not_found_if_hidden(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> Any:
        self._not_found_if_hidden(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "activity":
            kwargs["queryset"] = visibility.activities(Actor.of(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor, reason, values = Actor.of(request), _reason(change), _values(form)
        if change:
            organisations.update_activity_organisation(
                actor=actor, reason=reason, activity_organisation=obj, **values
            )
        else:
            self._created(
                obj, organisations.create_activity_organisation(actor=actor, reason=reason, **values)
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        organisations.delete_activity_organisation(
            actor=Actor.of(request), reason=DELETED, activity_organisation=obj
        )


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
        actor, reason, values = Actor.of(request), _reason(change), _values(form)
        if change:
            funding.update_donor(actor=actor, reason=reason, donor=obj, **values)
        else:
            self._created(obj, funding.create_donor(actor=actor, reason=reason, **values))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        funding.delete_donor(actor=Actor.of(request), reason=DELETED, donor=obj)


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

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: Any
    ) -> HistoricalRecordContextHelper:
        return _VisibleActivityHistory(
            self.model, historical_record, actor=Actor.of(request), fields={"earmark_activity"}
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "earmark_activity":
            # A hidden earmarked activity is neither shown (its title) nor offered; the service
            # keeps it when the form comes back empty.
            kwargs["queryset"] = visibility.activities(Actor.of(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor, reason, values = Actor.of(request), _reason(change), _values(form)
        if change:
            result = funding.update_contribution(actor=actor, reason=reason, contribution=obj, **values)
        else:
            result = funding.record_contribution(actor=actor, reason=reason, **values)
            self._created(obj, result.contribution)
        for warning in result.warnings:
            self.message_user(request, warning, level=messages.WARNING)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        funding.delete_contribution(actor=Actor.of(request), reason=DELETED, contribution=obj)

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
        actor, reason, values = Actor.of(request), _reason(change), _values(form)
        if change:
            funding.update_budget_allocation(actor=actor, reason=reason, allocation=obj, **values)
        else:
            self._created(obj, funding.create_budget_allocation(actor=actor, reason=reason, **values))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        funding.delete_budget_allocation(actor=Actor.of(request), reason=DELETED, allocation=obj)


@admin.register(ReportedFundingFigure)
class ReportedFundingFigureAdmin(_ServiceSavedAdmin):
    list_display = ["code", "kind", "amount", "currency", "as_of", "source"]
    list_filter = ["kind"]
    search_fields = ["code", "label", "source"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor, reason, values = Actor.of(request), _reason(change), _values(form)
        if change:
            funding.update_reported_figure(actor=actor, reason=reason, figure=obj, **values)
        else:
            self._created(obj, funding.create_reported_figure(actor=actor, reason=reason, **values))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        funding.delete_reported_figure(actor=Actor.of(request), reason=DELETED, figure=obj)
