"""Tasks of the missions app: background imports (missions.services.import_jobs)."""

from celery import shared_task
from django.utils import timezone

from .services import import_jobs


@shared_task(name="missions.tasks.run_import_job_task")
def run_import_job_task(job_id: int) -> None:
    """Import one job's file; a duplicate message finds the job claimed and does nothing."""
    import_jobs.run_import_job(int(job_id), heartbeat_every=import_jobs.heartbeat_interval())


@shared_task(name="missions.tasks.sweep_import_jobs_task")
def sweep_import_jobs_task() -> None:
    """Take back import jobs whose worker stopped, and send again those nobody picked up."""
    import_jobs.sweep_import_jobs(now=timezone.now())
