"""Writing safely: nested atomic writes, problem+json errors, If-Match, Idempotency-Key."""

import json
from typing import Any

import pytest

from missions.models import Activity, ActivityCountry, Region
from partners.models import ActivityOrganisation
from tests.factories import CountryFactory, OrganisationFactory, RegionFactory


@pytest.fixture
def parts(db):  # type: ignore[no-untyped-def]
    return {
        "host": CountryFactory.create(iso3="XHO", iso2="XO", m49="981"),
        "guest": CountryFactory.create(iso3="XGE", iso2="XE", m49="982"),
        "org": OrganisationFactory.create(code="ORG-T1"),
    }


def workshop_body(**overrides):  # type: ignore[no-untyped-def]
    body = {
        "kind": "workshop",
        "reference": "W-api",
        "title": "Regional workshop",
        "start_date": "2006-10-02",
        "end_date": "2006-10-04",
        "host_country": "XHO",
        "countries": [{"country": "XHO", "role": "host"}, {"country": "XGE", "role": "participant"}],
        "participations": [{"role": "prosecutors", "count": 20}],
        "outcomes": [{"kind": "declaration", "title": "Final declaration"}],
        "organisations": [{"organisation": "ORG-T1", "role": "co_organiser"}],
    }
    body.update(overrides)
    return body


@pytest.mark.django_db
def test_an_activity_is_created_with_its_nested_parts_in_one_request(write_client, parts) -> None:
    response = write_client.post("/api/v1/activities/", workshop_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    activity = Activity.objects.get(reference="W-api")
    assert response["Location"] == f"/api/v1/activities/{activity.pk}/"
    assert body["countries"] == [
        {"country": "XHO", "role": "host"},
        {"country": "XGE", "role": "participant"},
    ]
    assert body["organisations"] == [{"organisation": "ORG-T1", "role": "co_organiser", "notes": ""}]
    assert body["participations"][0]["count"] == 20
    assert body["outcomes"][0]["title"] == "Final declaration"
    assert response["ETag"] == write_client.get(f"/api/v1/activities/{activity.pk}/")["ETag"]
    history = activity.history.first()
    assert history is not None
    assert history.history_user.username == "svc-writer"
    assert history.history_change_reason.startswith("API POST /api/v1/activities/")


@pytest.mark.django_db
def test_a_bad_nested_part_stores_nothing_and_names_the_field(write_client, parts) -> None:
    body = workshop_body(organisations=[{"organisation": "ORG-NONE", "role": "co_organiser"}])
    response = write_client.post("/api/v1/activities/", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://tracker.invalid/problems/validation_error",
        "title": "Bad request",
        "status": 400,
        "detail": "The request has invalid fields.",
        "errors": [
            {
                "field": "organisations.0.organisation",
                "message": "Object with code=ORG-NONE does not exist.",
                "code": "does_not_exist",
            }
        ],
    }
    assert not Activity.objects.filter(reference="W-api").exists()


@pytest.mark.django_db
def test_a_failing_second_service_rolls_back_the_first(write_client, parts, monkeypatch) -> None:
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):  # type: ignore[no-untyped-def]
        raise ValidationError({"role": "refused for the test"})

    monkeypatch.setattr("partners.services.organisations.set_activity_organisations", refuse)
    response = write_client.post("/api/v1/activities/", workshop_body(), format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "role", "message": "refused for the test", "code": "invalid"}
    ]
    assert not Activity.objects.filter(reference="W-api").exists()
    assert not ActivityCountry.objects.filter(country__iso3="XGE").exists()


@pytest.mark.django_db
def test_model_rules_come_back_as_field_errors(write_client, parts) -> None:
    response = write_client.post(
        "/api/v1/activities/", workshop_body(start_date="2006-10-05", end_date="2006-10-01"), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "end_date", "message": "The end date is before the start date.", "code": "invalid"}
    ]
    duplicate = workshop_body(
        countries=[{"country": "XHO", "role": "host"}, {"country": "XHO", "role": "host"}]
    )
    response = write_client.post("/api/v1/activities/", duplicate, format="json")
    assert response.json()["errors"] == [
        {"field": "countries", "message": "Duplicate country and role: XHO, host.", "code": "invalid"}
    ]


@pytest.mark.django_db
def test_updates_need_the_current_etag(write_client, parts) -> None:
    created = write_client.post("/api/v1/activities/", workshop_body(), format="json")
    url, etag = created["Location"], created["ETag"]
    change = {"title": "Renamed", "countries": [{"country": "XGE", "role": "beneficiary"}]}
    missing = write_client.patch(url, change, format="json")
    assert missing.status_code == 428
    assert missing.json()["title"] == "Precondition required"
    stale = write_client.patch(url, change, format="json", HTTP_IF_MATCH='"not-the-etag"')
    assert stale.status_code == 412
    done = write_client.patch(url, change, format="json", HTTP_IF_MATCH=etag)
    assert done.status_code == 200, done.content
    assert done.json()["title"] == "Renamed"
    assert done.json()["countries"] == [{"country": "XGE", "role": "beneficiary"}]
    assert done.json()["organisations"] == [{"organisation": "ORG-T1", "role": "co_organiser", "notes": ""}]
    assert done["ETag"] != etag
    # The other system still holds the old ETag: its write is refused, not silently applied.
    again = write_client.patch(url, {"title": "Overwritten"}, format="json", HTTP_IF_MATCH=etag)
    assert again.status_code == 412
    assert Activity.objects.get(reference="W-api").title == "Renamed"


@pytest.mark.django_db
def test_a_change_of_nested_parts_only_shows_in_updated_since(write_client, parts) -> None:
    from django.utils import timezone

    created = write_client.post("/api/v1/activities/", workshop_body(), format="json")
    since = timezone.now().isoformat()
    assert write_client.get("/api/v1/activities/", {"updated_since": since}).json()["results"] == []
    write_client.patch(
        created["Location"],
        {"organisations": [{"organisation": "ORG-T1", "role": "host"}]},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    changed = write_client.get("/api/v1/activities/", {"updated_since": since}).json()["results"]
    assert [a["reference"] for a in changed] == ["W-api"]
    assert (
        write_client.get("/api/v1/activities/", {"organisation": "ORG-T1"}).json()["results"][0]["id"]
        == (created.json()["id"])
    )


@pytest.mark.django_db
def test_delete_needs_the_etag_and_refuses_referenced_objects(write_client) -> None:
    region = RegionFactory.create(code="DEL-ME")
    url = f"/api/v1/regions/{region.pk}/"
    etag = write_client.get(url)["ETag"]
    assert write_client.delete(url).status_code == 428
    CountryFactory.create(field_region=region)
    conflict = write_client.delete(url, HTTP_IF_MATCH=etag)
    assert conflict.status_code == 409
    assert conflict["Content-Type"] == "application/problem+json"
    free = RegionFactory.create(code="DEL-FREE")
    free_url = f"/api/v1/regions/{free.pk}/"
    assert write_client.delete(free_url, HTTP_IF_MATCH=write_client.get(free_url)["ETag"]).status_code == 204
    assert not Region.objects.filter(code="DEL-FREE").exists()


@pytest.mark.django_db
def test_activity_delete_goes_through_the_service(write_client, parts) -> None:
    created = write_client.post("/api/v1/activities/", workshop_body(), format="json")
    response = write_client.delete(created["Location"], HTTP_IF_MATCH=created["ETag"])
    assert response.status_code == 204
    assert not Activity.objects.filter(reference="W-api").exists()
    assert not ActivityOrganisation.objects.exists()


@pytest.mark.django_db
def test_a_retried_create_with_the_same_key_creates_one_record(write_client, parts) -> None:
    first = write_client.post(
        "/api/v1/activities/", workshop_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    retry = write_client.post(
        "/api/v1/activities/", workshop_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry["Location"] == first["Location"]
    assert retry["Idempotent-Replayed"] == "true"
    assert Activity.objects.filter(reference="W-api").count() == 1
    other = write_client.post(
        "/api/v1/activities/", workshop_body(title="Different"), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 422
    assert other.json()["title"] == "Unprocessable content"


@pytest.mark.django_db
def test_a_failed_create_does_not_use_up_its_key(write_client, parts) -> None:
    def post(body: dict[str, Any]) -> Any:
        return write_client.post("/api/v1/activities/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    bad = post(workshop_body(title=""))
    assert bad.status_code == 400
    again = post(workshop_body(title=""))
    assert again.status_code == 400  # the same invalid body is refused again, not replayed
    assert not again.has_header("Idempotent-Replayed")
    # The corrected body under the SAME key is a first attempt: the failures left no trace of it.
    fixed = post(workshop_body())
    assert fixed.status_code == 201, fixed.content
    assert not fixed.has_header("Idempotent-Replayed")
    # From now on the key is used: a retry replays the one creation.
    retried = post(workshop_body())
    assert (retried.status_code, retried["Idempotent-Replayed"]) == (201, "true")
    assert retried.json() == fixed.json()
    assert list(Activity.objects.values_list("pk", flat=True)) == [fixed.json()["id"]]


@pytest.mark.django_db
def test_idempotency_keys_are_per_account(write_client, parts) -> None:
    from tests.api.conftest import client_for, make_account
    from tracker.api.authentication import issue_token

    _, secret = issue_token(account=make_account("second", write=True))
    one = write_client.post(
        "/api/v1/regions/",
        {"code": "R1", "name": "R1", "kind": "field"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    two = client_for(secret).post(
        "/api/v1/regions/",
        {"code": "R2", "name": "R2", "kind": "field"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="same",
    )
    assert (one.status_code, two.status_code) == (201, 201)
    assert Region.objects.filter(code__in=["R1", "R2"]).count() == 2


DEEP: list = [1]
for _ in range(40):
    DEEP = [DEEP]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url", "body", "content_type", "status"),
    [
        ("post", "/api/v1/regions/", "[" * 50_000 + "]" * 50_000, "application/json", 400),
        ("post", "/api/v1/regions/", json.dumps({"a": DEEP}), "application/json", 400),
        ("post", "/api/v1/regions/", "{not json", "application/json", 400),
        ("post", "/api/v1/regions/", "[1, 2]", "application/json", 400),
        ("post", "/api/v1/regions/", '{"x": NaN}', "application/json", 400),
        ("post", "/api/v1/regions/", "code=x", "text/plain", 415),
        ("post", "/api/v1/regions/", "x" * 3_000_000, "application/json", 413),
        ("delete", "/api/v1/regions/", "", "application/json", 405),
        ("get", "/api/v1/regions/999999/", "", "application/json", 404),
        ("get", "/api/v1/no-such-thing/", "", "application/json", 404),
        ("put", "/api/v1/reports/1/", "{}", "application/json", 405),
    ],
)
def test_every_error_is_problem_json_never_a_500(
    write_client, method, url, body, content_type, status
) -> None:  # type: ignore[no-untyped-def]
    response = getattr(write_client, method)(url, body, content_type=content_type)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert set(problem) >= {"type", "title", "status", "detail"}
