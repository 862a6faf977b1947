"""Housekeeping tasks of the tracker app (thin: each calls one function)."""

from celery import shared_task
from django.utils import timezone

from tracker import security
from tracker.api import list_cache
from tracker.api.idempotency import purge_expired


@shared_task(name="tracker.tasks.purge_expired_idempotency_keys_task", soft_time_limit=240, time_limit=300)
def purge_expired_idempotency_keys_task() -> int:
    """Delete Idempotency-Key records past their expiry, so the table holds only live keys.

    A retry after expiry is a new request anyway; the rows only cost space and index size.
    """
    return purge_expired(now=timezone.now())


@shared_task(name="tracker.tasks.prune_data_changes_task", soft_time_limit=240, time_limit=300)
def prune_data_changes_task() -> int:
    """Keep the API list cache's change log short (its row count is read on every cached list)."""
    return list_cache.prune()


@shared_task(name="tracker.tasks.prune_login_records_task", soft_time_limit=240, time_limit=300)
def prune_login_records_task() -> dict[str, int]:
    """Forget sign-in attempts that no longer count and sign-in logs past their keeping time."""
    return security.prune_login_records(now=timezone.now())
