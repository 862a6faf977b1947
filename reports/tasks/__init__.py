"""Celery tasks of the reports app (thin: parse arguments, lock, call one service).

Each task is registered under an explicit name "reports.tasks.<function>" so that the names
in settings.CELERY_BEAT_SCHEDULE stay stable whatever module a task lives in.
"""

from . import indicators, reporting  # noqa: F401 -- importing registers the tasks
