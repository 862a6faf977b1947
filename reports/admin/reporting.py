"""Admin for report schedules, generated reports and deliveries.

Schedules are saved, paused, resumed and deleted through ``reports.services.schedules``;
reports are regenerated through ``schedules.regenerate``; failed or stuck reports and
deliveries are retried through ``recovery.retry_reports`` and ``recovery.retry_deliveries``.
Every list is narrowed by ``missions.visibility``
(schedules and reports of the officer's regions and audience; deliveries and files of the
reports they see). Files are downloaded through ``reports.services.downloads``, as over the
API (visibility, Content-Disposition, ETag), and the HTML page shown, after the report's view
permission is checked. Each schedule shows its next run and its latest report's outcome.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from missions import visibility
from missions.admin.nothing_half_saved import NothingHalfSaved
from missions.admin.visible import VisibleLogAdmin
from tracker.actors import Actor

from ..choices import ReportFormat, RunStatus
from ..models import Delivery, Report, ReportFile, ReportSchedule
from ..services import downloads, recovery, schedules
from ..services.reporting import CONTENT_TYPES


class ReportScheduleForm(forms.ModelForm):
    formats = forms.MultipleChoiceField(
        choices=ReportFormat.choices, widget=forms.CheckboxSelectMultiple, initial=list(ReportFormat.values)
    )
    next_run_at = forms.DateTimeField(
        required=False,
        help_text="When the next report is due; empty: the start of the next period. Each report covers "
        "the last full period before its run (a quarterly run on 1 April covers January to March).",
    )

    class Meta:
        model = ReportSchedule
        fields = [
            "name",
            "recipients",
            "extra_addresses",
            "frequency",
            "cron",
            "scope_kind",
            "scope_region",
            "scope_country",
            "formats",
            "is_active",
            "next_run_at",
        ]

    request_actor: Any = None  # set by ReportScheduleAdmin.get_form

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        probe = ReportSchedule(
            **{k: v for k, v in data.items() if k not in ("recipients", "next_run_at")},
            next_run_at=data.get("next_run_at") or timezone.now(),
        )
        creator = self.instance.created_by if self.instance.created_by_id else self.request_actor
        before = self.instance.extra_addresses if self.instance.pk else ""
        try:
            if not self.instance.pk:
                schedules.check_schedule_limit(self.request_actor)  # the service checks it again, locked
            schedules.validate_schedule(probe)
            schedules.check_extra_addresses(
                self.request_actor, probe, before=[line.strip() for line in before.splitlines()]
            )
            schedules.check_scope_of(
                creator,
                scope_kind=probe.scope_kind,
                scope_region=probe.scope_region,
                scope_country=probe.scope_country,
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):  # about the whole schedule (the account's limit)
                self.add_error(None, error.messages)
                return data
            for field, problems in error.message_dict.items():
                if field in self.fields:
                    self.add_error(field, problems)
                else:
                    self.add_error(None, problems)
        return data


@admin.register(ReportSchedule)
class ReportScheduleAdmin(NothingHalfSaved, admin.ModelAdmin):
    form = ReportScheduleForm
    list_display = [
        "name",
        "frequency",
        "scope_kind",
        "scope_region",
        "scope_country",
        "is_active",
        "next_run_at",
        "last_run_at",
        "last_result",
    ]
    list_filter = ["is_active", "frequency", "scope_kind"]
    list_select_related = ["scope_region", "scope_country"]
    search_fields = ["name"]
    filter_horizontal = ["recipients"]
    readonly_fields = ["audience", "last_run_at", "last_result", "created_by"]
    actions = ["pause", "resume"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReportSchedule]:
        # The latest report's outcome in the same query (ReportSchedule.objects.with_last_result).
        rows = super().get_queryset(request).with_last_result()  # type: ignore[attr-defined]  # ReportScheduleQuerySet
        return visibility.visible(Actor.of(request), rows)

    @admin.display(description="last result")
    def last_result(self, obj: ReportSchedule) -> str:
        report_id = getattr(obj, "last_report_id", None)
        if report_id is None:
            return "no report yet"
        status = RunStatus(obj.last_report_status)  # type: ignore[attr-defined]  # annotation
        when = timezone.localtime(obj.last_report_at).strftime("%Y-%m-%d %H:%M %Z")  # type: ignore[attr-defined]
        url = reverse("admin:reports_report_change", args=[report_id])
        error = obj.last_report_error  # type: ignore[attr-defined]  # annotation
        if status == RunStatus.FAILED and error:
            return format_html('<a href="{}">{}</a>, {}: {}', url, status.label, when, error[:300])
        return format_html('<a href="{}">{}</a>, {}', url, status.label, when)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form: Any = super().get_form(request, obj, change, **kwargs)
        form.request_actor = Actor.of(request)
        return form

    def save_model(self, request: HttpRequest, obj: ReportSchedule, form: Any, change: bool) -> None:
        schedules.save_schedule(
            actor=Actor.of(request),
            schedule=obj,
            reason="changed in the admin" if change else "added in the admin",
        )

    def delete_model(self, request: HttpRequest, obj: ReportSchedule) -> None:
        schedules.delete_schedule(actor=Actor.of(request), schedule=obj, reason="deleted in the admin")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ReportSchedule]) -> None:
        for schedule in queryset:
            self.delete_model(request, schedule)

    @admin.action(description="Pause the selected schedules")
    def pause(self, request: HttpRequest, queryset: QuerySet[ReportSchedule]) -> None:
        self._set_active(request, queryset, active=False)

    @admin.action(description="Resume the selected schedules")
    def resume(self, request: HttpRequest, queryset: QuerySet[ReportSchedule]) -> None:
        self._set_active(request, queryset, active=True)

    def _set_active(self, request: HttpRequest, queryset: QuerySet[ReportSchedule], *, active: bool) -> None:
        for schedule in queryset:
            schedules.set_active(actor=Actor.of(request), schedule=schedule, active=active)
        self.message_user(request, f"{queryset.count()} schedule(s) {'resumed' if active else 'paused'}.")


class ReportFileInline(admin.TabularInline):
    model = ReportFile
    extra = 0
    can_delete = False
    fields = ["format", "download", "size", "sha256", "created_at"]
    readonly_fields = ["format", "download", "size", "sha256", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="file")
    def download(self, obj: ReportFile) -> str:
        url = reverse("admin:reports_report_download", args=[obj.report_id, obj.format])
        return format_html('<a href="{}">download</a>', url)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["address", "status", "attempts", "sent_at", "error"]
    readonly_fields = ["address", "status", "attempts", "sent_at", "error"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "period_start",
        "period_end",
        "scope_kind",
        "status",
        "attempts",
        "generated_at",
        "links",
    ]
    list_filter = ["status", "scope_kind", "schedule"]
    list_select_related = ["schedule", "scope_region", "scope_country"]
    search_fields = ["title"]
    date_hierarchy = "period_start"
    inlines = [ReportFileInline, DeliveryInline]
    readonly_fields = [
        "schedule",
        "title",
        "period_start",
        "period_end",
        "scope_kind",
        "scope_region",
        "scope_country",
        "formats",
        "audience",
        "status",
        "error",
        "attempts",
        "lease_expires_at",
        "indicator_values",
        "requested_by",
        "created_at",
        "generated_at",
        "links",
    ]
    actions = ["regenerate", "retry"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return visibility.visible(Actor.of(request), super().get_queryset(request).prefetch_related("files"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reports come from schedules (or reports.services.schedules.request_report)

    # A report is the record of what was sent: kept, never edited or deleted here; "regenerate"
    # asks the service to make it again.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_regenerate_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("reports.change_report"))

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(recovery.REPORT_RETRY_PERMISSION))

    @admin.display(description="files")
    def links(self, obj: Report) -> str:
        files = sorted(obj.files.all(), key=lambda f: f.format)
        links = format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:reports_report_download", args=[obj.pk, f.format]), f.get_format_display())
                for f in files
            ),
        )
        if any(f.format == ReportFormat.HTML for f in files):
            page = reverse("admin:reports_report_page", args=[obj.pk])
            return format_html('{} · <a href="{}">view page</a>', links, page)
        return links

    @admin.action(description="Regenerate the selected reports", permissions=["regenerate"])
    def regenerate(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        actor = Actor.of(request)
        done = sum(
            schedules.regenerate(report=report, actor=actor, reason="regenerated in the admin")
            for report in queryset
        )
        self.message_user(request, f"{done} report(s) queued for regeneration.")
        if done < queryset.count():
            self.message_user(request, "Pending or running reports were left as they are.", messages.WARNING)

    @admin.action(description="Retry the selected failed or stuck reports", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        retried = recovery.retry_reports(
            actor=Actor.of(request), reports=queryset, reason="retried in the admin", now=timezone.now()
        )
        self.message_user(request, f"{len(retried)} report(s) queued again.")
        if len(retried) < queryset.count():
            left = "Done reports, and reports running under a live lease, were left as they are."
            self.message_user(request, left, messages.WARNING)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:pk>/download/<str:fmt>/",
                # cacheable: the download's own Cache-Control (private, revalidated by ETag), as over the API
                self.admin_site.admin_view(self.download_view, cacheable=True),
                name="reports_report_download",
            ),
            path("<int:pk>/page/", self.admin_site.admin_view(self.page_view), name="reports_report_page"),
        ]
        return own + super().get_urls()

    def _file(self, request: HttpRequest, pk: int, fmt: str) -> ReportFile:
        report = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, report):
            raise PermissionDenied
        record = report.files.filter(format=fmt).first()
        if record is None:
            raise Http404(f"This report has no {fmt} file.")
        return record

    def download_view(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
        # The API's download: the same visibility rule, headers and ETag (reports.services.downloads).
        if not self.has_view_permission(request):
            raise PermissionDenied
        record = downloads.visible_file(actor=Actor.of(request), report_id=pk, fmt=fmt)
        if record is None:
            raise Http404(f"No {fmt} file of a report {pk} you may see.")
        return downloads.file_response(record, if_none_match=request.headers.get("If-None-Match", ""))

    def page_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        record = self._file(request, pk, ReportFormat.HTML)
        with record.file.open("rb") as handle:
            response = HttpResponse(handle.read(), content_type=CONTENT_TYPES[ReportFormat.HTML])
        # The page is self-contained (inline styles, charts as data: images).
        response["Content-Security-Policy"] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
        return response


@admin.register(Delivery)
class DeliveryAdmin(VisibleLogAdmin):  # deliveries of the reports the officer may see
    list_display = ["report", "address", "status", "attempts", "sent_at", "error"]
    list_filter = ["status"]
    list_select_related = ["report"]
    search_fields = ["address", "report__title"]
    readonly_fields = ["report", "address", "status", "attempts", "error", "lease_expires_at", "sent_at"]
    actions = ["retry"]

    # Deliveries are the log of what was mailed: read-only; "send again" goes through the service.

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(recovery.DELIVERY_RETRY_PERMISSION))

    @admin.action(description="Send the selected failed or stuck deliveries again", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        retried = recovery.retry_deliveries(
            actor=Actor.of(request),
            deliveries=queryset,
            reason="sent again from the admin",
            now=timezone.now(),
        )
        self.message_user(request, f"{len(retried)} delivery(ies) queued again.")
