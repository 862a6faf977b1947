"""Import jobs (missions.services.import_jobs) on SQLite, with explicit times: submitted from
the admin, claimed under a lease, run to done with progress, swept back when the worker stops,
and shown in the admin. The real worker, broker and PostgreSQL: test_import_jobs_e2e.py."""

import datetime
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from missions.choices import ImportKind
from missions.models import Country, ImportJob, Ratification
from missions.services import import_jobs, legal_import
from tests.factories import InstrumentFactory, UserFactory
from tracker.leases import LeaseStatus

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
HEADER = "instrument,iso3,action,deposit_date,source\n"


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)
    settings.LEASE_SECONDS = 60
    settings.LEASE_MAX_ATTEMPTS = 2
    return tmp_path


@pytest.fixture
def convention(db):  # type: ignore[no-untyped-def]
    return InstrumentFactory.create(code="JOB_CONV")


def deposits(n: int) -> bytes:
    iso3s = Country.objects.order_by("iso3").values_list("iso3", flat=True)[:n]
    return (HEADER + "".join(f"JOB_CONV,{iso3},accession,2010-01-01,list\n" for iso3 in iso3s)).encode()


def submit(
    data: bytes, *, actor: Any = None, dry_run: bool = False, now: datetime.datetime = T0
) -> ImportJob:
    return import_jobs.submit_import(
        actor=actor,
        kind=ImportKind.RATIFICATIONS,
        upload=ContentFile(data),
        filename="depositary list.csv",
        size=len(data),
        dry_run=dry_run,
        reason="Depositary list of November",
        options={"default_source": "depositary list.csv"},
        now=now,
    )


def stored() -> int:
    return Ratification.objects.filter(instrument__code="JOB_CONV").count()


def test_a_submitted_job_keeps_its_file_in_storage_and_is_sent_on_commit(
    convention: Any, django_capture_on_commit_callbacks: Any
) -> None:
    officer = UserFactory.create(username="legal-officer")
    with django_capture_on_commit_callbacks() as callbacks:
        job = submit(deposits(3), actor=officer)
    assert len(callbacks) == 1  # the task, once the job is committed (not run: no broker here)
    assert (job.status, job.attempts, job.requested_by, job.created_at) == ("pending", 0, officer, T0)
    assert job.file.name == "imports/2026/12/depositary_list.csv"
    with default_storage.open(job.file.name, "rb") as handle:
        assert handle.read() == deposits(3)
    assert stored() == 0


def test_a_job_over_the_byte_limit_is_refused_and_nothing_is_stored(settings, convention, storage) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MAX_BYTES = 10
    with pytest.raises(Exception, match=r"IMPORT_MAX_BYTES") as refused:
        submit(deposits(3))
    assert refused.value.message_dict["file"][0].startswith("The file is ")  # type: ignore[attr-defined]
    assert (ImportJob.objects.count(), list(storage.iterdir())) == (0, [])


def test_a_job_runs_to_done_with_its_counts_and_the_requesters_history(
    monkeypatch: pytest.MonkeyPatch, convention: Any
) -> None:
    monkeypatch.setattr(legal_import, "BATCH_SIZE", 2)
    officer = UserFactory.create(username="legal-officer")
    job = submit(deposits(5), actor=officer)

    done = import_jobs.run_import_job(job.pk, clock=lambda: at(5))

    assert done is not None
    assert (done.status, done.attempts, done.started_at, done.finished_at) == ("done", 1, at(5), at(5))
    assert (done.rows_read, done.rows_written, done.lease_expires_at) == (5, 5, None)
    assert done.counts == {"created": 5, "updated": 0, "unchanged": 0, "kept": 0, "skipped": 0}
    assert done.summary == "ratifications: 5 created, 0 updated, 0 unchanged, 0 skipped."
    assert (done.error_count, done.errors, done.error) == (0, [], "")
    deposit = Ratification.objects.filter(instrument__code="JOB_CONV").first()
    assert deposit is not None
    assert deposit.source == "list"
    history = deposit.history.get()
    assert (history.history_user, history.history_change_reason) == (officer, "Depositary list of November")


def test_each_batch_records_the_progress_and_renews_the_lease(
    monkeypatch: pytest.MonkeyPatch, convention: Any
) -> None:
    """Without a heartbeat thread (SQLite), every batch records rows read and written."""
    monkeypatch.setattr(legal_import, "BATCH_SIZE", 2)
    job = submit(deposits(5))
    progress: list[tuple[int, int, datetime.datetime | None]] = []
    times = iter(range(100))

    def clock() -> datetime.datetime:
        # Each call after the claim is a batch's heartbeat, just after it recorded the rows
        # (then the finish): the rows read back are this batch's, the lease the previous one's.
        row = ImportJob.objects.values_list("rows_read", "rows_written", "lease_expires_at").get(pk=job.pk)
        progress.append(row)
        return at(next(times))

    import_jobs.run_import_job(job.pk, clock=clock)

    assert progress == [
        (0, 0, None),  # the claim (lease to 0 + 60 s)
        (2, 0, at(60)),  # validation, batch 1 (lease to 1 + 60 s) ...
        (4, 0, at(61)),
        (5, 0, at(62)),
        (5, 2, at(63)),  # writing, batch 1 ...
        (5, 4, at(64)),
        (5, 5, at(65)),
        (5, 5, at(66)),  # the finish
    ]
    assert ImportJob.objects.values_list("rows_read", "rows_written").get(pk=job.pk) == (5, 5)


def test_a_dry_run_job_writes_nothing_and_reports_what_would_change(convention: Any) -> None:
    job = submit(deposits(3), dry_run=True)
    done = import_jobs.run_import_job(job.pk, clock=lambda: at(1))
    assert done is not None
    assert (done.status, done.rows_read, done.rows_written, done.counts["created"]) == ("done", 3, 0, 3)
    assert (
        done.summary
        == "ratifications: dry run, nothing written: 3 created, 0 updated, 0 unchanged, 0 skipped."
    )
    assert stored() == 0


def test_a_file_with_bad_rows_is_a_job_done_listing_them_with_nothing_written(convention: Any) -> None:
    data = deposits(2) + b"JOB_CONV,ZZZ,accession,2010-01-01,x\nJOB_CONV,QQQ,ratified,2010-01-01,x\n"
    done = import_jobs.run_import_job(submit(data).pk, clock=lambda: at(1))
    assert done is not None
    assert (done.status, done.error_count, done.rows_written) == ("done", 3, 0)
    assert done.errors == [
        [4, "iso3", "unknown country code 'ZZZ'"],
        [5, "iso3", "unknown country code 'QQQ'"],
        [5, "action", "'ratified' is not one of acceptance, accession, approval, ratification, succession"],
    ]
    assert done.summary == "ratifications: 3 error(s); nothing was changed."
    assert stored() == 0


def test_a_job_is_claimed_once_and_a_duplicate_message_does_nothing(convention: Any) -> None:
    job = submit(deposits(1))
    lease = import_jobs.claim_import_job(job.pk, now=at(0))
    assert lease is not None
    assert import_jobs.claim_import_job(job.pk, now=at(59)) is None  # the lease (60 s) holds
    assert import_jobs.run_import_job(job.pk, clock=lambda: at(30)) is None
    assert (ImportJob.objects.get(pk=job.pk).attempts, stored()) == (1, 0)

    # Its worker died: once the lease lapsed, a redelivered message takes the job over.
    done = import_jobs.run_import_job(job.pk, clock=lambda: at(61))
    assert done is not None
    assert (done.status, done.attempts, stored()) == ("done", 2, 1)
    assert import_jobs.run_import_job(job.pk, clock=lambda: at(200)) is None  # done: not again
    assert stored() == 1


def test_a_worker_that_lost_its_lease_keeps_nothing_of_its_run(
    monkeypatch: pytest.MonkeyPatch, convention: Any
) -> None:
    monkeypatch.setattr(legal_import, "BATCH_SIZE", 1)
    job = submit(deposits(3))
    calls = iter(range(100))
    other_worker = uuid.uuid4()

    def clock() -> datetime.datetime:
        if next(calls) == 4:  # a batch is written: the job is swept and claimed by another worker
            ImportJob.objects.filter(pk=job.pk).update(claim_token=other_worker)
            assert stored() == 1
        return at(1)

    assert import_jobs.run_import_job(job.pk, clock=clock) is None
    assert next(calls) == 5  # it stopped at the heartbeat that found the lease gone
    # (On SQLite the other worker's claim shares the test's connection, and is rolled back too.)
    assert (ImportJob.objects.get(pk=job.pk).status, stored()) == ("running", 0)


def test_a_job_whose_file_is_gone_fails_with_the_reason(convention: Any) -> None:
    job = submit(deposits(1))
    default_storage.delete(str(job.file.name))
    with pytest.raises(FileNotFoundError):
        import_jobs.run_import_job(job.pk, clock=lambda: at(1))
    job.refresh_from_db()
    assert (job.status, job.finished_at, job.lease_expires_at, job.claim_token) == (
        "failed",
        at(1),
        None,
        None,
    )
    assert job.error.startswith("FileNotFoundError: ")


def test_a_job_whose_requester_was_deleted_is_not_run_as_the_system(convention: Any) -> None:
    officer = UserFactory.create(username="gone")
    job = submit(deposits(1), actor=officer)
    officer.delete()
    failed = import_jobs.run_import_job(job.pk, clock=lambda: at(1))
    assert failed is not None
    assert (failed.status, failed.error) == (
        "failed",
        "the officer who asked for this import no longer exists",
    )
    assert stored() == 0


def test_the_sweep_takes_back_lapsed_jobs_fails_spent_ones_and_resends_forgotten_ones(
    convention: Any, django_capture_on_commit_callbacks: Any
) -> None:
    lapsed = submit(deposits(1))
    spent = submit(deposits(1))
    alive = submit(deposits(1))
    import_jobs.claim_import_job(lapsed.pk, now=at(0))
    for now in (at(0), at(61)):  # two attempts: LEASE_MAX_ATTEMPTS
        import_jobs.claim_import_job(spent.pk, now=now)
    import_jobs.claim_import_job(alive.pk, now=at(100))
    forgotten = submit(deposits(1), now=at(50))  # pending: its message was lost
    fresh = submit(deposits(1), now=at(100))

    with django_capture_on_commit_callbacks() as callbacks:
        swept = import_jobs.sweep_import_jobs(now=at(125))

    assert swept == import_jobs.Swept(requeued=[lapsed.pk], failed=[spent.pk], resent=[forgotten.pk])
    assert len(callbacks) == 2  # sent again: the lapsed job and the forgotten one
    statuses = dict(ImportJob.objects.values_list("pk", "status"))
    assert [statuses[j.pk] for j in (lapsed, spent, alive, forgotten, fresh)] == [
        "pending",
        "failed",
        "running",
        "pending",
        "pending",
    ]
    lapsed.refresh_from_db()
    spent.refresh_from_db()
    assert lapsed.error == "its worker stopped (lease lapsed before 2026-12-01T09:02:05+00:00): queued again"
    assert (lapsed.lease_expires_at, lapsed.claim_token) == (None, None)
    assert spent.error == "given up after 2 attempts: the last one's worker stopped (lease lapsed)"
    assert import_jobs.sweep_import_jobs(now=at(125)).requeued == []


def test_an_officer_runs_failed_and_stuck_jobs_again(
    convention: Any, django_capture_on_commit_callbacks: Any
) -> None:
    officer = UserFactory.create(username="legal-officer")
    failed, stuck, done = submit(deposits(1)), submit(deposits(1)), submit(deposits(1))
    ImportJob.objects.filter(pk=failed.pk).update(status=LeaseStatus.FAILED, attempts=2, error="x")
    import_jobs.claim_import_job(stuck.pk, now=at(0))
    import_jobs.run_import_job(done.pk, clock=lambda: at(0))

    with django_capture_on_commit_callbacks() as callbacks:
        ids = import_jobs.retry_import_jobs(actor=officer, jobs=[failed.pk, stuck.pk, done.pk], now=at(61))

    assert (ids, len(callbacks)) == ([failed.pk, stuck.pk], 2)
    for job in (failed, stuck):
        job.refresh_from_db()
        assert (job.status, job.attempts, job.error, job.claim_token) == ("pending", 0, "", None)
    assert ImportJob.objects.get(pk=done.pk).status == "done"


# --- the admin -------------------------------------------------------------------------------
def test_a_large_upload_in_the_admin_becomes_a_job_whose_page_shows_its_progress(
    settings: Any, officer_client: Any, officer: Any, convention: Any
) -> None:
    data = deposits(3)
    settings.IMPORT_BACKGROUND_BYTES = len(data) - 1
    upload = SimpleUploadedFile("list.csv", data, content_type="text/csv")

    response = officer_client.post(
        reverse("admin:missions_ratification_import"),
        {"reason": "Depositary list", "file": upload, "skip_participants": "EURATOM", "source": ""},
    )

    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:missions_importjob_change", args=[job.pk])
    assert (job.kind, job.dry_run, job.requested_by, job.size) == ("ratifications", False, officer, len(data))
    assert job.options == {
        "default_source": "list.csv",
        "skip_participants": ["EURATOM"],
        "requester": "officer",
    }
    assert stored() == 0  # nothing imported inside the request

    page = officer_client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page  # pending: the page reloads itself
    assert 'Rows read: <strong id="rows-read">0</strong>' in page

    import_jobs.run_import_job(job.pk, clock=lambda: at(1))
    page = officer_client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert 'Rows read: <strong id="rows-read">3</strong>' in page
    assert 'rows written: <strong id="rows-written">3</strong>' in page
    assert "ratifications: 3 created, 0 updated, 0 unchanged, 0 skipped." in page
    assert stored() == 3


def test_the_job_list_shows_each_officer_their_own_jobs_in_a_fixed_number_of_queries(
    client: Any, convention: Any, django_assert_max_num_queries: Any
) -> None:
    regional = UserFactory.create(username="regional", is_staff=True)
    regional.user_permissions.set(
        Permission.objects.filter(codename__in=["view_importjob", "change_importjob"])
    )
    other = UserFactory.create(username="other")
    mine = [submit(deposits(1), actor=regional) for _ in range(3)]
    theirs = submit(deposits(1), actor=other)
    client.force_login(regional)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("admin:missions_importjob_changelist"))

    listed = [job.pk for job in response.context["cl"].result_list]
    assert listed == sorted((job.pk for job in mine), reverse=True)
    assert client.get(reverse("admin:missions_importjob_change", args=[theirs.pk])).status_code == 302
