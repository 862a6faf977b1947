"""The Celery app. Configuration lives in Django settings under the CELERY_ prefix."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def _use_the_settings_logging(**kwargs: object) -> None:
    """Worker and beat log through settings.LOGGING (tracker/logs.py: JSON, request ids,
    redaction) instead of Celery's own configuration."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
