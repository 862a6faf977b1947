"""Import jobs: a large ratification or legislation file imported by a worker, with its progress."""

from django.conf import settings
from django.db import models

from tracker.leases import LeasedWork, LeaseStatus

from ..choices import ImportKind


class ImportJob(LeasedWork):
    """One file imported in the background (missions.services.import_jobs writes every field).

    The upload is kept in Django's default storage (the file system, or S3 when configured).
    A worker claims the job with a lease (tracker.leases: ``status``, ``claim_token``,
    ``lease_expires_at``, ``attempts``, ``error``) that it renews while it works; a job whose
    worker died is taken back by the sweep, up to a bounded number of attempts. ``rows_read``
    and ``rows_written`` are its progress; ``errors`` lists the file's bad rows (at most
    IMPORT_MAX_LISTED; ``error_count`` counts them all), ``error`` why the job itself failed.
    """

    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300, help_text="The upload, as stored.")
    filename = models.CharField(max_length=255, help_text="The file's name when it was uploaded.")
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes.")
    dry_run = models.BooleanField(default=True, help_text="Validate and report only; write nothing.")
    reason = models.CharField(max_length=100, help_text="Kept in the history of every changed row.")
    options = models.JSONField(default=dict, blank=True, help_text="The importer's other options.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Progress and outcome.
    rows_read = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True, help_text="Rows created, updated, unchanged ...")
    error_count = models.PositiveIntegerField(default=0, help_text="Bad rows in the file.")
    errors = models.JSONField(
        default=list, blank=True, help_text="[line, field, reason] of each bad row listed."
    )
    summary = models.CharField(max_length=300, blank=True)
    report = models.TextField(blank=True, help_text="The importer's report: changed and skipped rows.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rows_written__lte=models.F("rows_read")),
                name="import_job_written_within_read",
            ),
            models.CheckConstraint(
                condition=models.Q(status=LeaseStatus.RUNNING) | models.Q(lease_expires_at__isnull=True),
                name="import_job_lease_only_while_running",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.filename} · {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status in (LeaseStatus.PENDING, LeaseStatus.RUNNING)
