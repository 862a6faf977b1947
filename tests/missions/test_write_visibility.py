"""Writes respect the visibility rule: an officer cannot link their records to another region's
(a hidden activity is refused with exactly the error of a missing id), and a visible record never
shows a hidden record's id (it reads as null), in single objects and in the values-built list.

The world (tests/trust/test_access_doors.py): an officer of West and Central Africa, Mali in
their region with "ours", Lao PDR in South-East Asia with "theirs".
"""

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from missions.choices import FollowUpStatus
from missions.models import ActionPlan, Activity, LegislationEvent
from missions.services.activities import (
    create_action_plan,
    create_activity,
    set_follow_up_status,
    update_activity,
)
from missions.services.legal import create_legislation_event
from tests.factories import FollowUpRequestFactory, LegislationEventFactory
from tests.trust.test_access_doors import world  # noqa: F401 -- the shared fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["session", "token"])
def officer_api(request: Any, world: Any) -> APIClient:  # noqa: F811 -- the fixture above
    if request.param == "token":
        return world["token_client"]  # type: ignore[no-any-return]  # an APIClient
    client = APIClient()
    client.force_login(world["officer"])
    return client


def _missing_pk() -> int:
    return Activity.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000


def _without(pk: int, body: Any) -> Any:
    """The body with the id written as PK, so that two answers about two ids can be compared."""
    return json.loads(json.dumps(body).replace(f'\\"{pk}\\"', '\\"PK\\"'))


def _not_found(field: str, pk: int) -> list[dict[str, str]]:
    return [
        {"field": field, "message": f'Invalid pk "{pk}" - object does not exist.', "code": "does_not_exist"}
    ]


def _send(client: APIClient, method: str, url: str, body: dict[str, Any]) -> Any:
    headers = {}
    if method == "patch":
        headers["HTTP_IF_MATCH"] = client.get(url)["ETag"]
    return getattr(client, method)(url, body, format="json", **headers)


def _cases(world: Any) -> list[tuple[str, str, str, dict[str, Any], str]]:  # noqa: F811 -- the fixture above
    ours = world["ours"]
    request = FollowUpRequestFactory.create(mission=ours, country=world["mali"], description="Mali request")
    mission = {"kind": "mission", "title": "Follow-up mission", "start_date": "2006-06-01", "status": "held"}
    return [
        ("post", "/api/v1/activities/", "follow_up_of", {**mission, "host_country": "QML"}, "follow_up_of"),
        ("post", "/api/v1/action-plans/", "mission", {"country": "QML", "title": "Plan"}, "mission"),
        (
            "patch",
            f"/api/v1/follow-up-requests/{request.pk}/",
            "fulfilled_by",
            {"status": FollowUpStatus.COMPLETED},
            "fulfilled_by",
        ),
        (
            "post",
            "/api/v1/legislation-events/",
            "activity",
            {"country": "QML", "kind": "new_law", "date": "2006-07-01", "assisted_by_office": True},
            "activity",
        ),
    ]


@pytest.mark.parametrize("case", range(4))
def test_another_regions_activity_is_refused_exactly_as_a_missing_one(
    officer_api: APIClient,
    world: Any,  # noqa: F811 -- the fixture above
    case: int,
) -> None:
    method, url, field, body, error_field = _cases(world)[case]
    hidden, missing = world["theirs"].pk, _missing_pk()
    counts = (Activity.objects.count(), ActionPlan.objects.count(), LegislationEvent.objects.count())

    refused_hidden = _send(officer_api, method, url, {**body, field: hidden})
    refused_missing = _send(officer_api, method, url, {**body, field: missing})

    assert refused_hidden.status_code == refused_missing.status_code == 400
    assert refused_hidden.json()["errors"] == _not_found(error_field, hidden)
    assert _without(hidden, refused_hidden.json()) == _without(missing, refused_missing.json())
    assert (Activity.objects.count(), ActionPlan.objects.count(), LegislationEvent.objects.count()) == counts


def test_an_action_plan_for_another_regions_country_is_refused(
    officer_api: APIClient,
    world: Any,  # noqa: F811 -- the fixture above
) -> None:
    body = {"mission": world["ours"].pk, "country": "QLA", "title": "Lao plan on a Mali mission"}
    response = officer_api.post("/api/v1/action-plans/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {
            "field": "country",
            "message": "Lao PDR (test) is outside your regions; you may not record work there.",
            "code": "invalid",
        }
    ]
    assert not ActionPlan.objects.filter(title="Lao plan on a Mali mission").exists()


def test_a_visible_record_never_shows_a_hidden_records_id(
    officer_api: APIClient,
    world: Any,  # noqa: F811 -- the fixture above
) -> None:
    ours, theirs = world["ours"], world["theirs"]
    ours.follow_up_of = theirs
    ours.save()
    event = LegislationEventFactory.create(country=world["mali"], activity=theirs, assisted_by_office=True)
    request = FollowUpRequestFactory.create(mission=ours, country=world["mali"], fulfilled_by=theirs)

    one = officer_api.get(f"/api/v1/activities/{ours.pk}/").json()
    listed = officer_api.get("/api/v1/activities/").json()["results"]  # built from values() rows
    assert one["follow_up_of"] is None
    assert [row["follow_up_of"] for row in listed if row["id"] == ours.pk] == [None]
    assert officer_api.get(f"/api/v1/legislation-events/{event.pk}/").json()["activity"] is None
    assert [row["activity"] for row in officer_api.get("/api/v1/legislation-events/").json()["results"]] == [
        None
    ]
    assert officer_api.get(f"/api/v1/follow-up-requests/{request.pk}/").json()["fulfilled_by"] is None
    # Whoever may see it is shown it.
    theirs.host_country = world["mali"]  # now in the officer's region too
    theirs.save()  # (saved, so that the list cache sees the change)
    assert officer_api.get(f"/api/v1/activities/{ours.pk}/").json()["follow_up_of"] == theirs.pk
    assert officer_api.get(f"/api/v1/legislation-events/{event.pk}/").json()["activity"] == theirs.pk


# --- The services, whoever calls them -----------------------------------------------------
def test_the_services_refuse_another_regions_activity_as_a_missing_one(world: Any) -> None:  # noqa: F811
    officer, theirs, mali = world["officer"], world["theirs"], world["mali"]
    expected = [f'Invalid pk "{theirs.pk}" - object does not exist.']
    with pytest.raises(ValidationError) as follow_up:
        create_activity(
            actor=officer, reason="r", kind="mission", title="M", start_date=theirs.start_date,
            host_country=mali, follow_up_of=theirs,
        )  # fmt: skip
    with pytest.raises(ValidationError) as plan:
        create_action_plan(actor=officer, reason="r", mission=theirs, country=mali, title="P")
    request = FollowUpRequestFactory.create(mission=world["ours"], country=mali)
    with pytest.raises(ValidationError) as fulfilled:
        set_follow_up_status(
            actor=officer,
            reason="r",
            follow_up_request=request,
            status=FollowUpStatus.COMPLETED,
            fulfilled_by=theirs,
        )
    with pytest.raises(ValidationError) as event:
        create_legislation_event(
            actor=officer, reason="r", country=mali, kind="new_law", date=theirs.start_date,
            activity=theirs, assisted_by_office=True,
        )  # fmt: skip
    assert follow_up.value.message_dict == {"follow_up_of": expected}
    assert plan.value.message_dict == {"mission": expected}
    assert fulfilled.value.message_dict == {"fulfilled_by": expected}
    assert event.value.message_dict == {"activity": expected}


def test_the_activity_service_keeps_an_officer_within_their_regions(world: Any) -> None:  # noqa: F811
    officer, ours, laos = world["officer"], world["ours"], world["laos"]
    outside = "Lao PDR (test) is outside your regions; you may not record work there."
    with pytest.raises(ValidationError) as created:
        create_activity(
            actor=officer, reason="r", kind="mission", title="Lao mission", start_date=ours.start_date,
            host_country=laos,
        )  # fmt: skip
    with pytest.raises(ValidationError) as updated:
        update_activity(actor=officer, reason="r", activity=ours, countries=[(laos, "beneficiary")])
    assert created.value.message_dict == {"host_country": [outside]}
    assert updated.value.message_dict == {
        "countries": [f"{laos}: outside your regions; you may not record work there."]
    }
    assert not Activity.objects.filter(title="Lao mission").exists()
    assert not ours.countries.filter(pk=laos.pk).exists()


def test_null_over_a_hidden_link_keeps_it(
    officer_api: APIClient,
    world: Any,  # noqa: F811 -- the fixture above
) -> None:
    """The officer was shown null; sending it back (a PUT of what was read) keeps the link."""
    ours, theirs = world["ours"], world["theirs"]
    ours.follow_up_of = theirs
    ours.save()
    event = LegislationEventFactory.create(country=world["mali"], activity=theirs, assisted_by_office=True)
    for url in (f"/api/v1/activities/{ours.pk}/", f"/api/v1/legislation-events/{event.pk}/"):
        read = officer_api.get(url)
        body = {
            name: value
            for name, value in read.json().items()
            if name not in ("id", "created_at", "updated_at")
        }
        response = officer_api.put(
            url, {**body, "title": "Renamed"}, format="json", HTTP_IF_MATCH=read["ETag"]
        )
        assert response.status_code == 200, response.content
    ours.refresh_from_db()
    event.refresh_from_db()
    assert (ours.title, ours.follow_up_of_id) == ("Renamed", theirs.pk)
    assert (event.title, event.activity_id) == ("Renamed", theirs.pk)
