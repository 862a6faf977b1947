"""Admin of the legal status: ratifications and legislation events, and their import pages.

Officers write both, one by one through missions.services.legal, or in bulk on the import pages
(Ratifications > Import, Legislation events > Import), open to officers who may both add and
change the model; these run the same importer as the management commands, with a dry-run
option, and show what changed or every bad row. A file over IMPORT_MAX_BYTES is refused on the
form; one over IMPORT_BACKGROUND_BYTES is imported by a worker (an import job, whose page
shows its progress) instead of inside the request.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.db.models.functions import ExtractYear
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone

from ..choices import Coverage, ImportKind
from ..legal_status import coverage
from ..models import Country, Instrument, LegislationEvent, Ratification, Region
from ..services import import_jobs, legal
from ..services.import_files import TableError, check_size, size_text
from ..services.legal_import import (
    DEFAULT_SKIPPED_PARTICIPANTS,
    ImportReport,
    import_legislation,
    import_ratifications,
)
from .activities import VisibleActivityChoices
from .reference import M49RegionFilter
from .writing import ServiceSavedAdmin


class _YearFilter(admin.SimpleListFilter):
    title = "year"
    parameter_name = "year"
    date_field = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        years = (
            model_admin.model.objects.exclude(**{f"{self.date_field}__isnull": True})
            .annotate(y=ExtractYear(self.date_field))
            .order_by("-y")
            .values_list("y", flat=True)
            .distinct()
        )
        return [(str(y), str(y)) for y in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(**{f"{self.date_field}__year": int(value)})
        return queryset


class DepositYearFilter(_YearFilter):
    title = "year of deposit"
    date_field = "deposit_date"


class EventYearFilter(_YearFilter):
    date_field = "date"


class CountryM49Filter(M49RegionFilter):
    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        region = Region.objects.filter(code=self.value()).first()
        if region is None:
            return queryset.none()
        return queryset.filter(country__in=Country.objects.in_region(region))


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV (UTF-8) or XLSX; first row = column names.")
    dry_run = forms.BooleanField(
        required=False, initial=True, help_text="Validate and show what would change, without saving."
    )
    reason = forms.CharField(
        max_length=100, help_text="Why (for example the depositary list and its date); kept in history."
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size)  # before a byte of it is read
        except TableError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return upload


class RatificationImportForm(ImportForm):
    source = forms.CharField(
        max_length=300, required=False, help_text="Source for rows whose 'source' cell is empty."
    )
    skip_participants = forms.CharField(
        required=False,
        initial=", ".join(DEFAULT_SKIPPED_PARTICIPANTS),
        help_text="Codes of non-state participants to skip and report (comma-separated).",
    )


class _ImportMixin(admin.ModelAdmin):  # type: ignore[type-arg]  # ModelAdmin is not subscriptable at run time
    import_form: type[ImportForm] = ImportForm
    import_title = ""
    import_kind = ""

    def run_import(self, request: HttpRequest, form: Any) -> ImportReport:
        raise NotImplementedError

    def import_options(self, form: Any) -> dict[str, Any]:
        """The importer's options besides the file, the reason and the dry run (JSON values)."""
        return {}

    def import_in_background(self, request: HttpRequest, form: Any) -> HttpResponse:
        upload = form.cleaned_data["file"]
        try:
            job = import_jobs.submit_import(
                actor=request.user,
                kind=self.import_kind,
                upload=upload,
                filename=upload.name,
                size=upload.size,
                dry_run=form.cleaned_data["dry_run"],
                reason=form.cleaned_data["reason"],
                options=self.import_options(form),
                now=timezone.now(),
            )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
            return redirect(request.path)
        messages.info(
            request,
            f"{upload.name} ({size_text(upload.size)}) is large: a worker imports it "
            "(the page below shows its progress).",
        )
        return redirect("admin:missions_importjob_change", job.pk)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        report = None
        if request.method == "POST":
            form = self.import_form(request.POST, request.FILES)
            if form.is_valid() and import_jobs.runs_in_background(form.cleaned_data["file"].size):
                return self.import_in_background(request, form)
            if form.is_valid():
                report = self.run_import(request, form)
                if report.ok and not report.dry_run:
                    messages.success(request, report.summary())
                elif not report.ok:
                    messages.error(request, report.summary())
        else:
            form = self.import_form()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": self.import_title,
            "form": form,
            "report": report,
            "updated_rows": [r for r in report.rows if r.status in ("updated", "kept")] if report else [],
            "skipped_rows": [r for r in report.rows if r.status == "skipped"] if report else [],
        }
        return TemplateResponse(request, "admin/missions/import_form.html", context)

    def import_urls(self, name: str) -> list[URLPattern]:
        return [path("import/", self.admin_site.admin_view(self.import_view), name=name)]


@admin.register(Ratification)
class RatificationAdmin(_ImportMixin, ServiceSavedAdmin):
    list_display = [
        "country",
        "instrument",
        "action",
        "deposit_date",
        "signature_date",
        "entry_into_force_date",
        "source",
    ]
    list_filter = ["instrument", "action", CountryM49Filter, DepositYearFilter]
    search_fields = ["country__name_en", "country__name_fr", "=country__iso3", "instrument__code", "source"]
    list_select_related = ["country", "instrument"]
    autocomplete_fields = ["country"]
    date_hierarchy = "deposit_date"
    list_per_page = 100
    import_form = RatificationImportForm
    import_title = "Import ratifications (CSV or XLSX, columns of ct_ratifications.csv)"
    import_kind = ImportKind.RATIFICATIONS

    def get_urls(self) -> list[URLPattern]:
        return [*self.import_urls("missions_ratification_import"), *super().get_urls()]

    def import_options(self, form: Any) -> dict[str, Any]:
        skip = [c.strip() for c in form.cleaned_data["skip_participants"].split(",") if c.strip()]
        return {
            "default_source": form.cleaned_data["source"] or form.cleaned_data["file"].name,
            "skip_participants": skip,
        }

    def run_import(self, request: HttpRequest, form: Any) -> ImportReport:
        upload = form.cleaned_data["file"]
        return import_ratifications(
            upload,
            filename=upload.name,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            dry_run=form.cleaned_data["dry_run"],
            **self.import_options(form),
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        missing = Instrument.objects.filter(status_coverage=Coverage.MISSING).values_list(
            "short_title", flat=True
        )
        extra = {
            "coverage_text": coverage().text,
            "missing_instruments": ", ".join(missing),
        }
        return super().changelist_view(request, extra_context={**(extra_context or {}), **extra})

    def create_record(self, request: HttpRequest, values: dict[str, Any], reason: str) -> Ratification:
        return legal.create_ratification(actor=self.actor(request), reason=reason, **values)

    def update_record(
        self, request: HttpRequest, obj: Ratification, values: dict[str, Any], reason: str
    ) -> Ratification:
        return legal.update_ratification(actor=self.actor(request), reason=reason, ratification=obj, **values)

    def delete_record(self, request: HttpRequest, obj: Ratification, reason: str) -> None:
        legal.delete_ratification(actor=self.actor(request), reason=reason, ratification=obj)


@admin.register(LegislationEvent)
class LegislationEventAdmin(VisibleActivityChoices, _ImportMixin, ServiceSavedAdmin):
    list_display = ["country", "kind", "date", "title", "assisted_by_office", "activity", "source"]
    list_filter = ["kind", "assisted_by_office", CountryM49Filter, EventYearFilter]
    search_fields = ["country__name_en", "=country__iso3", "title", "source", "notes"]
    list_select_related = ["country", "activity"]
    autocomplete_fields = ["country", "activity"]
    filter_horizontal = ["instruments"]
    date_hierarchy = "date"
    readonly_fields = ["created_by"]
    import_title = "Import legislation events (CSV or XLSX)"
    import_kind = ImportKind.LEGISLATION

    def get_urls(self) -> list[URLPattern]:
        return [*self.import_urls("missions_legislationevent_import"), *super().get_urls()]

    def run_import(self, request: HttpRequest, form: Any) -> ImportReport:
        upload = form.cleaned_data["file"]
        return import_legislation(
            upload,
            filename=upload.name,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            dry_run=form.cleaned_data["dry_run"],
        )

    def create_record(self, request: HttpRequest, values: dict[str, Any], reason: str) -> LegislationEvent:
        return legal.create_legislation_event(actor=self.actor(request), reason=reason, **values)

    def update_record(
        self, request: HttpRequest, obj: LegislationEvent, values: dict[str, Any], reason: str
    ) -> LegislationEvent:
        return legal.update_legislation_event(actor=self.actor(request), reason=reason, event=obj, **values)

    def delete_record(self, request: HttpRequest, obj: LegislationEvent, reason: str) -> None:
        legal.delete_legislation_event(actor=self.actor(request), reason=reason, event=obj)
