"""The heartbeats of the Celery workers and the beat (tracker.models.Heartbeat).

The only writer of that table. A heartbeat is bookkeeping, not a record of the office: no
history, no actor. ``record`` upserts one row per process (kind, name), so the table stays as
small as the number of processes that ever ran; rows older than ``KEEP`` go on the next write.
"""

from datetime import datetime, timedelta

from ..models import Heartbeat

#: Rows of processes gone for longer than this are deleted (a renamed or retired worker).
KEEP = timedelta(days=7)


def record(*, kind: str, name: str, now: datetime) -> None:
    """Say that the process ``name`` of ``kind`` (worker or beat) was alive at ``now``."""
    Heartbeat.objects.update_or_create(kind=kind, name=name[:200], defaults={"at": now})
    Heartbeat.objects.filter(at__lt=now - KEEP).delete()


def latest(*, kind: str) -> datetime | None:
    """The freshest heartbeat of ``kind``, or None when none was ever recorded."""
    return Heartbeat.objects.filter(kind=kind).order_by("-at").values_list("at", flat=True).first()
