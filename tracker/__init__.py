"""tracker: the project package (settings, Celery app, URLs, auth, shared helpers)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
