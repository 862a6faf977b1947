"""A large upload imported by a real Celery worker on the real Redis broker and PostgreSQL.

The officer uploads through the admin; the request only stores the file and records the job;
the worker (celery.contrib.testing's, in this process, solo pool) claims it, and its heartbeat
thread records rows read and written on its own connection while the import's transaction is
open, which is what the job page shows on each reload.
"""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from missions.models import Country, ImportJob, Ratification
from tests.factories import InstrumentFactory, UserFactory
from tests.waiting import wait_for
from tracker.celery import app

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

INSTRUMENTS = 24


@pytest.fixture
def worker() -> Iterator[None]:
    app.control.purge()  # nothing left over from an earlier run in this Redis database
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield
    app.control.purge()
    connection.close()


def deposits() -> bytes:
    """A deposit of each of INSTRUMENTS new instruments by every country: about 6,000 rows."""
    codes = [InstrumentFactory.create(code=f"E2E_{n}").code for n in range(INSTRUMENTS)]
    lines = ["instrument,iso3,action,deposit_date,source"]
    for iso3 in Country.objects.order_by("iso3").values_list("iso3", flat=True):
        lines += [f"{code},{iso3},accession,2010-01-01,list" for code in codes]
    return ("\n".join(lines) + "\n").encode()


def test_a_large_upload_is_imported_by_the_worker_with_its_progress_shown(
    settings: Any, client: Any, tmp_path: Any, worker: None
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.IMPORT_BACKGROUND_BYTES = 1_000  # this file goes to a job
    settings.LEASE_SECONDS = 1  # a heartbeat every third of a second
    officer = UserFactory.create(username="officer", is_staff=True)
    officer.user_permissions.set(Permission.objects.filter(content_type__app_label="missions"))
    client.force_login(officer)
    data = deposits()
    rows = data.count(b"\n") - 1

    started = time.monotonic()
    response = client.post(
        reverse("admin:missions_ratification_import"),
        {"reason": "Depositary list", "file": SimpleUploadedFile("list.csv", data), "skip_participants": ""},
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()

    seen: list[tuple[str, int, int]] = []

    def done() -> bool:
        state = ImportJob.objects.values_list("status", "rows_read", "rows_written").get(pk=job.pk)
        if not seen or seen[-1] != state:
            seen.append(state)
        return state[0] in ("done", "failed")

    wait_for(done, timeout=120, what="the import job to finish")
    took = time.monotonic() - started
    job.refresh_from_db()
    print(f"\n{rows} rows imported by the worker in {took:.1f} s; progress seen: {seen}")

    assert (job.status, job.attempts, job.error) == ("done", 1, "")
    assert (job.rows_read, job.rows_written, job.counts["created"]) == (rows, rows, rows)
    assert Ratification.objects.filter(instrument__code__startswith="E2E_").count() == rows
    # While running, the page showed the counts climbing, written by the heartbeat thread
    # while the import's transaction was still open.
    running = [(read, written) for status, read, written in seen if status == "running"]
    assert any(read > 0 for read, _ in running), seen
    page = client.get(reverse("admin:missions_importjob_change", args=[job.pk])).content.decode()
    assert f'Rows read: <strong id="rows-read">{rows}</strong>' in page
