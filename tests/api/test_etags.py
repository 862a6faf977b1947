"""The API's ETags: the record's version where it has one (tracker.writing), strong, compared
strongly by If-Match; the representation's digest alone for a record without a version."""

import re

import pytest

from missions.models import Region
from tests.factories import RegionFactory, ToolFactory
from tracker.writing import save_record

pytestmark = pytest.mark.django_db


def test_a_versioned_record_s_etag_names_it_and_its_version(write_client) -> None:
    region = RegionFactory.create(code="FIELD-X", name="Field X")
    url = f"/api/v1/regions/{region.pk}/"
    first = write_client.get(url)["ETag"]
    assert re.fullmatch(rf'"region-{region.pk}-v1-[0-9a-f]{{16}}"', first), first

    # A change through a service (save_record) is one more version; the ETag before it is stale.
    region.name = "Field X (renamed)"
    save_record(region, actor=None, reason="renamed")
    second = write_client.get(url)["ETag"]
    assert re.fullmatch(rf'"region-{region.pk}-v2-[0-9a-f]{{16}}"', second), second
    stale = write_client.patch(url, {"name": "Late"}, format="json", HTTP_IF_MATCH=first)
    assert stale.status_code == 412
    assert (
        write_client.patch(url, {"name": "On time"}, format="json", HTTP_IF_MATCH=second).status_code == 200
    )
    assert Region.objects.get(pk=region.pk).name == "On time"


def test_a_write_that_missed_the_version_still_makes_the_etag_stale(write_client) -> None:
    # The digest of the representation is part of the tag: a writer that does not (yet) count
    # versions, or a change of something the record embeds, still moves the ETag on.
    region = RegionFactory.create(code="FIELD-Y", name="Field Y")
    url = f"/api/v1/regions/{region.pk}/"
    before = write_client.get(url)["ETag"]
    Region.objects.filter(pk=region.pk).update(name="Field Y (bulk)")
    after = write_client.get(url)["ETag"]
    assert after != before
    assert write_client.patch(url, {"name": "Late"}, format="json", HTTP_IF_MATCH=before).status_code == 412


def test_a_record_without_a_version_keeps_the_digest_of_its_representation(read_client) -> None:
    tool = ToolFactory.create()
    etag = read_client.get(f"/api/v1/tools/{tool.pk}/")["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag), etag


def test_a_weak_etag_never_satisfies_if_match(write_client) -> None:
    region = RegionFactory.create(code="FIELD-Z")
    url = f"/api/v1/regions/{region.pk}/"
    etag = write_client.get(url)["ETag"]
    assert write_client.delete(url, HTTP_IF_MATCH=f"W/{etag}").status_code == 412
    assert write_client.delete(url, HTTP_IF_MATCH=f'"other", {etag}').status_code == 204
