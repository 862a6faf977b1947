"""Celery tasks that compute indicator snapshots."""
