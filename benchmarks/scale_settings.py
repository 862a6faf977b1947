"""Settings of the scale-out run (benchmarks/scale_out.py, tests/trust/test_scale_out.py):
tracker's own, with every interval entry of the beat schedule every ``SCALE_BEAT_EVERY``
seconds (default 2), so a run of a minute sees dozens of dispatches per entry, the due report
schedules are dispatched within seconds and a killed worker's reports are swept back at once."""

import os
from datetime import timedelta

from tracker.settings import *  # noqa: F403 -- the project's settings, with a faster schedule
from tracker.settings import CELERY_BEAT_SCHEDULE

_EVERY = timedelta(seconds=float(os.environ.get("SCALE_BEAT_EVERY", "2")))
CELERY_BEAT_SCHEDULE = {
    name: {**entry, "schedule": _EVERY} if isinstance(entry["schedule"], timedelta) else entry
    for name, entry in CELERY_BEAT_SCHEDULE.items()
}
