"""Every beat entry names a registered task whose options Celery accepts when it is sent."""

import pytest
from django.conf import settings

from tracker.celery import app


@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_every_beat_entry_can_be_sent(entry):
    name = settings.CELERY_BEAT_SCHEDULE[entry]["task"]
    app.loader.import_default_modules()
    task = app.tasks[name]
    soft = task.soft_time_limit or app.conf.task_soft_time_limit
    hard = task.time_limit or app.conf.task_time_limit
    # Celery refuses to send a task whose soft limit exceeds its hard limit (beat then fails).
    assert soft <= hard, f"{name}: soft_time_limit {soft} > time_limit {hard}"
