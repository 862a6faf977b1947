"""Admin of import jobs: the large imports a worker runs, with their progress and outcome.

Read-only (missions.services.import_jobs writes every field); the change page reloads itself
every few seconds while the job is pending or running, so rows read and written count up,
and lists the file's bad rows once it is done. "Run again" puts failed or stuck jobs back in
the queue. Each officer sees the jobs they asked for; headquarters see all.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ..models import ImportJob
from ..services import import_jobs
from .visible import VisibleLogAdmin

REFRESH_SECONDS = 3


@admin.register(ImportJob)
class ImportJobAdmin(VisibleLogAdmin):
    list_display = (
        "pk",
        "kind",
        "filename",
        "dry_run",
        "status",
        "rows_read",
        "rows_written",
        "error_count",
        "summary",
        "requested_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "kind", "dry_run")
    list_select_related = ("requested_by",)
    search_fields = ("filename", "reason", "summary")
    fields = (
        "kind",
        "filename",
        "size",
        "dry_run",
        "reason",
        "options",
        "requested_by",
        "status",
        "rows_read",
        "rows_written",
        "summary",
        "error_count",
        "error",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
        "lease_expires_at",
        "file",
    )
    readonly_fields = fields
    actions = ("run_again",)
    change_form_template = "admin/missions/importjob/change_form.html"

    # Jobs are written by the import pages (through the service) and by workers: read-only here.
    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("missions.change_importjob")

    @admin.action(description="Run the selected failed or stuck jobs again", permissions=["retry"])
    def run_again(self, request: HttpRequest, queryset: QuerySet[ImportJob]) -> None:
        ids = import_jobs.retry_import_jobs(
            actor=request.user, jobs=queryset.values_list("pk", flat=True), now=timezone.now()
        )
        skipped = queryset.count() - len(ids)
        note = f"; {skipped} left as they were (pending, running or done)" if skipped else ""
        self.message_user(request, f"{len(ids)} import job(s) queued again{note}.", messages.SUCCESS)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        job = self.get_object(request, object_id)
        extra = {
            "job": job,
            "refresh_seconds": REFRESH_SECONDS if job is not None and job.is_active else None,
            "bad_rows": job.errors if job is not None else [],
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})
