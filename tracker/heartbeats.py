"""Workers and beat record that they are alive; ``/health/ready`` reads it (tracker/health.py).

- A worker: a bootstep (``HeartbeatStep``, added to the app's worker blueprint in
  tracker/celery.py) writes the worker's row when it starts and every
  ``HEALTH_HEARTBEAT_SECONDS`` from the worker's own timer, in its main process: a worker
  whose main process is stopped or hung stops beating, even with idle pool processes left.
- Beat: its row is written when it starts (``beat_init``, or ``beat_embedded_init`` for
  ``worker -B``) and whenever it sends a scheduled task (``before_task_publish`` in the beat
  process), at most once per ``HEALTH_HEARTBEAT_SECONDS``. The schedule sends a task every
  minute, so ``HEALTH_BEAT_STALE_SECONDS`` must be well over a minute.

A heartbeat that cannot be written (the database is away) is logged and skipped: the row goes
stale and readiness says so. The connection is closed after each write: these processes have
no request cycle that would close it.
"""

import logging
import os
import socket
import threading
import time
from typing import Any

from celery import bootsteps
from celery.signals import beat_embedded_init, beat_init, before_task_publish
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from .models import Heartbeat
from .services import heartbeats

logger = logging.getLogger(__name__)


def beat_now(*, kind: str, name: str) -> bool:
    """Record the heartbeat of this process now; False (logged) when the database is away."""
    try:
        heartbeats.record(kind=kind, name=name, now=timezone.now())
    except DatabaseError as error:
        logger.warning("%s heartbeat of %s not recorded: %s", kind, name, type(error).__name__)
        return False
    finally:
        connection.close()
    return True


class HeartbeatStep(bootsteps.StartStopStep):
    """Writes this worker's heartbeat at start and then every HEALTH_HEARTBEAT_SECONDS."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.timer_entry: Any = None

    def start(self, worker: Any) -> None:
        beat_now(kind=Heartbeat.Kind.WORKER, name=worker.hostname)
        self.timer_entry = worker.timer.call_repeatedly(
            settings.HEALTH_HEARTBEAT_SECONDS,
            beat_now,
            kwargs={"kind": Heartbeat.Kind.WORKER, "name": worker.hostname},
        )

    def stop(self, worker: Any) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None


class _Beat:
    """This process's beat, once it has started (None in every other process)."""

    name: str | None = None
    last = float("-inf")  # monotonic time of the last heartbeat written
    lock = threading.Lock()


def beat_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@beat_init.connect
@beat_embedded_init.connect
def _beat_started(**kwargs: Any) -> None:
    _Beat.name = beat_name()
    _Beat.last = time.monotonic()
    beat_now(kind=Heartbeat.Kind.BEAT, name=_Beat.name)


@before_task_publish.connect
def _beat_sends(**kwargs: Any) -> None:
    if _Beat.name is None:  # not the beat: a web process or a worker sending a task
        return
    now = time.monotonic()
    with _Beat.lock:
        if now - _Beat.last < settings.HEALTH_HEARTBEAT_SECONDS:
            return
        _Beat.last = now
    beat_now(kind=Heartbeat.Kind.BEAT, name=_Beat.name)
