"""Report files reach only those who may see their report: the API (token) and the admin
(session) serve them through one service function, with the same headers, from the file
system or from S3-compatible object storage (a real moto server on a loopback port)."""

import ctypes
import hashlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.test import APIClient

from benchmarks.load import free_port
from missions.models import OfficerAssignment
from reports.choices import ScopeKind
from reports.models import ReportFile
from reports.services import reporting
from tests.api.conftest import client_for, make_account
from tests.factories import RegionFactory, ReportFactory, UserFactory
from tests.waiting import wait_for
from tracker.actors import Audience
from tracker.api.authentication import issue_token

pytestmark = pytest.mark.django_db

ACCESS_KEY = "tracker-test"
SECRET_KEY = "tracker-test-secret"  # moto accepts any pair; it checks the signature's form only
PR_SET_PDEATHSIG = 1  # linux/prctl.h: the signal a process gets when its parent ends


def _die_with_parent() -> None:
    """In the server's process before exec: end it when the test process ends, whatever way
    (an xdist worker once left a server behind after its run had passed)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class S3Server:
    """moto's S3-compatible server (``python -m moto.server``) in its own process on a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 -- our interpreter, fixed arguments, our own port
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,  # a prctl call only: safe before exec
        )

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_for(answers, timeout=30, what="the moto S3 server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
        )


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    """File-system storage goes to a temporary folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


@pytest.fixture
def s3_bucket(settings, s3_server: S3Server) -> str:  # type: ignore[no-untyped-def]
    """A fresh private bucket, and the default storage pointed at it (as S3_BUCKET would)."""
    bucket = f"reports-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_server.endpoint,
                "region_name": "us-east-1",
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    return bucket


@pytest.fixture
def api(db) -> APIClient:  # type: ignore[no-untyped-def]
    """A read token of an integration account with every view permission, every region, and no
    confidential scope (so reports made for the "all" audience are hidden from it)."""
    _, secret = issue_token(account=make_account("downloads", write=False), label="read")
    return client_for(secret)


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)


def test_a_report_stored_in_s3_downloads_with_its_bytes_and_etag_over_the_api_and_the_admin(
    s3_server: S3Server, s3_bucket: str, media_root: Path, api: APIClient, officer_client: Client
) -> None:
    report = reporting.generate_report(report_id=ReportFactory.create(formats=["html", "xlsx"]).pk)
    record = ReportFile.objects.get(report=report, format="xlsx")

    # Stored in the bucket, privately (the owner alone has a grant), and not on the file system.
    s3 = s3_server.client()
    key = str(record.file.name)
    keys = sorted(item["Key"] for item in s3.list_objects_v2(Bucket=s3_bucket)["Contents"])
    assert keys == sorted(str(f.file.name) for f in report.files.all())
    stored = s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == record.sha256
    grants = s3.get_object_acl(Bucket=s3_bucket, Key=key)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]
    assert "URI" not in grants[0]["Grantee"]  # no AllUsers / AuthenticatedUsers group
    assert not media_root.exists() or not any(media_root.rglob("*.xlsx"))

    listed = api.get(f"/api/v1/reports/{report.pk}/").json()
    url = f"http://testserver/api/v1/reports/{report.pk}/files/xlsx/"
    assert [f["download_url"] for f in listed["files"]] == [url.replace("xlsx", "html"), url]

    etag = f'"{record.sha256}"'
    name = key.rsplit("/", 1)[-1]
    expected_headers = {
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="{name}"',
        "Content-Length": str(record.size),
        "ETag": etag,
        "Cache-Control": "private, no-cache",
    }
    through_api = api.get(url, HTTP_ACCEPT="application/pdf")  # any Accept: the file's own type
    through_admin = officer_client.get(f"/admin/reports/report/{report.pk}/download/xlsx/")
    for response in (through_api, through_admin):
        assert response.status_code == 200
        assert {key: response[key] for key in expected_headers} == expected_headers
        assert _body(response) == stored

    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}'):
        again = api.get(url, HTTP_IF_NONE_MATCH=if_none_match)
        assert (again.status_code, again["ETag"], again.content) == (304, etag, b"")
    admin_again = officer_client.get(
        f"/admin/reports/report/{report.pk}/download/xlsx/", HTTP_IF_NONE_MATCH=etag
    )
    assert (admin_again.status_code, admin_again["ETag"]) == (304, etag)
    assert api.get(url, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_the_report_json_links_each_file_to_the_api_download(api: APIClient) -> None:
    report = reporting.generate_report(report_id=ReportFactory.create(formats=["html"]).pk)
    record = report.files.get()

    files = api.get(f"/api/v1/reports/{report.pk}/").json()["files"]

    assert files == [
        {
            "format": "html",
            "download_url": f"http://testserver/api/v1/reports/{report.pk}/files/html/",
            "sha256": record.sha256,
            "size": record.size,
            "created_at": record.created_at.isoformat().replace("+00:00", "Z"),
        }
    ]


def test_a_hidden_report_is_a_404_over_the_api_as_a_missing_one(api: APIClient) -> None:
    # The read token has no confidential scope: a report made for the "all" audience is hidden.
    hidden = reporting.generate_report(report_id=ReportFactory.create(audience=Audience.ALL).pk)
    shown = reporting.generate_report(report_id=ReportFactory.create(audience=Audience.OPEN).pk)

    assert api.get(f"/api/v1/reports/{shown.pk}/files/html/").status_code == 200
    refused = api.get(f"/api/v1/reports/{hidden.pk}/files/html/")
    missing = api.get("/api/v1/reports/999999/files/html/")
    assert refused.status_code == missing.status_code == 404
    assert refused["Content-Type"] == missing["Content-Type"] == "application/problem+json"
    assert refused.json() == missing.json()
    assert api.get(f"/api/v1/reports/{shown.pk}/files/pdf/").status_code == 404  # not rendered
    assert api.get(f"/api/v1/reports/{shown.pk}/files/exe/").status_code == 404


def test_a_report_outside_the_officers_regions_is_a_404_in_the_admin(client: Client) -> None:
    ours, theirs = RegionFactory.create(), RegionFactory.create()
    officer = UserFactory.create(is_staff=True)
    officer.user_permissions.set(Permission.objects.filter(content_type__app_label="reports"))
    OfficerAssignment.objects.create(user=officer, region=ours)
    client.force_login(officer)
    ours_report, theirs_report = (
        reporting.generate_report(
            report_id=ReportFactory.create(scope_kind=ScopeKind.REGION, scope_region=region).pk
        )
        for region in (ours, theirs)
    )

    assert client.get(f"/admin/reports/report/{ours_report.pk}/download/html/").status_code == 200
    assert client.get(f"/admin/reports/report/{theirs_report.pk}/download/html/").status_code == 404
    assert client.get("/admin/reports/report/999999/download/html/").status_code == 404


def test_a_stored_name_cannot_be_guessed_and_nothing_serves_media(client: Client, officer) -> None:  # type: ignore[no-untyped-def]
    report = reporting.generate_report(report_id=ReportFactory.create(formats=["html"]).pk)
    first = str(report.files.get().file.name)
    plain = f"report-{report.pk}-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}.html"

    # 128 random bits before the readable part, fresh for every file stored.
    assert re.fullmatch(rf"reports/[A-Za-z0-9_-]{{22}}/{re.escape(plain)}", first), first
    again = ReportFactory.create(formats=["html"])
    other = str(reporting.generate_report(report_id=again.pk).files.get().file.name)
    assert first.split("/")[1] != other.split("/")[1]

    client.force_login(officer)  # even signed in: no route serves the storage
    for path in (f"/media/{first}", f"/media/reports/{plain}", f"/{first}"):
        assert client.get(path).status_code == 404, path


def test_a_file_missing_from_storage_is_a_clear_404_not_a_500(media_root: Path, api: APIClient) -> None:
    report = reporting.generate_report(report_id=ReportFactory.create(formats=["html"]).pk)
    shutil.rmtree(media_root)

    response = api.get(f"/api/v1/reports/{report.pk}/files/html/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
