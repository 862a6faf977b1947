"""Tasks sent to the workers once the write that asks for them has committed; a broker that is
away never fails that write.

Every task here works on a row recorded before the send (a pending computation run, report,
delivery or import job), and that row is sent again while it stays pending:
``resend_pending_runs`` (beat) for computation runs, the import-job sweep for import jobs, the
lease sweep for reports and deliveries (reports/services/queueing.py: every pending row whose
task the broker never took, or took too long ago). So a
publish that fails after the commit is logged and left pending, never raised into the
response: the write is stored, and the answer says so. A publish is bounded by the broker's
socket timeout and the publish retry policy (``CELERY_BROKER_TRANSPORT_OPTIONS``,
``CELERY_TASK_PUBLISH_RETRY_POLICY``) and skipped at once while this process knows the
broker's Redis is away (tracker/outages.py).
An error that is not the broker being away (a task argument that cannot be serialised: a bug)
still raises.
"""

import logging
import time
from collections.abc import Sequence
from functools import partial
from typing import Any

from django.db import transaction

from .outages import BROKER_AWAY, outage_of

logger = logging.getLogger(__name__)


def send(task_name: str, *, args: Sequence[Any] | None = None, kwargs: dict[str, Any] | None = None) -> bool:
    """Send the task now; False (logged) when the broker is away and the row waits for its sweep."""
    from .celery import app  # here: the Celery app reads the settings

    outage = outage_of(str(app.conf.broker_url))
    options: dict[str, Any] = {}
    if args is not None:
        options["args"] = list(args)
    if kwargs is not None:
        options["kwargs"] = kwargs
    if outage.available(now=time.monotonic()):
        try:
            app.send_task(task_name, **options)
        except BROKER_AWAY as error:
            outage.failed(error, now=time.monotonic())
        else:
            outage.answered(now=time.monotonic())
            return True
    logger.info("task %s %s not sent (the broker is away): left pending for its sweep", task_name, options)
    return False


def send_on_commit(
    task_name: str,
    *,
    args: Sequence[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    using: str | None = None,
) -> None:
    """Send the task once the current transaction commits (at once outside one), as ``send``."""
    transaction.on_commit(partial(send, task_name, args=args, kwargs=kwargs), using=using)
