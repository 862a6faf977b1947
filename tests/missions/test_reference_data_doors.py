"""Reference data is no back door: an officer cannot move a country into their region (and so
read and change another region's work), through the API, the admin or the services; an
administrator can.

The world (tests/trust/test_access_doors.py): an officer of West and Central Africa (Officer
role, their own token with the Integration role), Mali in their region, Lao PDR in South-East
Asia, and a mission to each.
"""

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from missions.models import Country, Instrument, OfficerAssignment, Region
from missions.services.reference_data import update_country
from tests.factories import UserFactory
from tests.trust.test_access_doors import world  # noqa: F401 -- the shared fixture
from tracker.roles import ADMINISTRATOR, INTEGRATION, OFFICER, role_permissions

pytestmark = pytest.mark.django_db

REFUSED = {
    "type": "https://tracker.invalid/problems/permission_denied",
    "title": "Forbidden",
    "status": 403,
    "detail": "Only administrators change the reference data: it needs the permission "
    "missions.change_reference_data.",
}


@pytest.fixture(params=["session", "token"])
def officer_api(request: Any, world: Any) -> APIClient:  # noqa: F811 -- the fixture above
    if request.param == "token":
        return world["token_client"]  # type: ignore[no-any-return]  # an APIClient
    client = APIClient()
    client.force_login(world["officer"])
    return client


@pytest.fixture
def administrator(world: Any) -> Any:  # noqa: F811 -- the fixture above
    user = UserFactory.create(username="admin-hq", is_staff=True)
    user.groups.add(Group.objects.get(name=ADMINISTRATOR))
    return user


# --- API ----------------------------------------------------------------------------------
def test_an_officer_cannot_move_a_country_into_their_region_and_the_other_region_stays_hidden(
    officer_api: APIClient,
    world: Any,  # noqa: F811 -- the fixture above
) -> None:
    laos = world["laos"]
    theirs = f"/api/v1/activities/{world['theirs'].pk}/"
    assert officer_api.get(theirs).status_code == 404
    url = f"/api/v1/countries/{laos.pk}/"
    etag = officer_api.get(url)["ETag"]  # officers and tokens read the reference data

    response = officer_api.patch(url, {"field_region": world["wca"].code}, format="json", HTTP_IF_MATCH=etag)

    assert (response.status_code, response["Content-Type"]) == (403, "application/problem+json")
    assert response.json() == REFUSED
    assert Country.objects.get(pk=laos.pk).field_region == world["sea"]
    assert officer_api.get(theirs).status_code == 404
    patched = officer_api.patch(theirs, {"title": "Hijacked"}, format="json", HTTP_IF_MATCH="*")
    assert patched.status_code == 404


@pytest.mark.parametrize(
    ("resource", "body"),
    [
        ("regions", {"code": "FIELD-X", "name": "New region", "kind": "field"}),
        ("instruments", {"code": "NEW_2030", "seq": 99, "group": "later"}),
    ],
)
def test_an_officer_cannot_add_regions_or_instruments(
    officer_api: APIClient,
    world: Any,  # noqa: F811 -- the fixture above
    resource: str,
    body: dict[str, Any],
) -> None:
    response = officer_api.post(f"/api/v1/{resource}/", body, format="json")
    assert (response.status_code, response.json()) == (403, REFUSED)
    assert not Region.objects.filter(code="FIELD-X").exists()
    assert not Instrument.objects.filter(code="NEW_2030").exists()


def test_an_administrator_moves_a_country_between_regions(
    world: Any,  # noqa: F811 -- the fixture above
    administrator: Any,
) -> None:
    client = APIClient()
    client.force_login(administrator)
    url = f"/api/v1/countries/{world['laos'].pk}/"
    etag = client.get(url)["ETag"]
    response = client.patch(url, {"field_region": world["wca"].code}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response.json()["field_region"] == world["wca"].code
    latest = Country.history.filter(id=world["laos"].pk).latest("history_id")  # type: ignore[attr-defined]  # simple-history manager
    assert (latest.history_user, latest.field_region_id) == (administrator, world["wca"].pk)


# --- Admin --------------------------------------------------------------------------------
def test_the_admin_country_page_is_read_only_for_officers(
    client: Any,
    world: Any,  # noqa: F811 -- the fixture above
) -> None:
    client.force_login(world["officer"])
    url = reverse("admin:missions_country_change", args=[world["laos"].pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert b'name="field_region"' not in page.content  # shown, not editable
    posted = client.post(url, {"name_en": "Lao PDR (test)", "field_region": str(world["wca"].pk)})
    assert posted.status_code == 403
    assert Country.objects.get(pk=world["laos"].pk).field_region == world["sea"]
    for page_name in ("missions_country_add", "missions_region_add", "missions_instrument_add"):
        assert client.get(reverse(f"admin:{page_name}")).status_code == 403
    assignments = reverse("admin:missions_officerassignment_add")
    assert (
        client.post(assignments, {"user": world["officer"].pk, "region": world["sea"].pk}).status_code == 403
    )
    assert not OfficerAssignment.objects.filter(user=world["officer"], region=world["sea"]).exists()


def test_an_administrator_changes_a_countrys_region_in_the_admin(
    client: Any,
    world: Any,  # noqa: F811 -- the fixture above
    administrator: Any,
) -> None:
    client.force_login(administrator)
    laos = world["laos"]
    url = reverse("admin:missions_country_change", args=[laos.pk])
    page = client.get(url)
    assert page.context["has_change_permission"] is True
    data = {
        "name_en": laos.name_en,
        "formal_name_en": laos.formal_name_en,
        "iso3": laos.iso3,
        "iso2": laos.iso2,
        "m49": laos.m49,
        "name_fr": laos.name_fr,
        "name_es": laos.name_es,
        "name_ru": laos.name_ru,
        "name_zh": laos.name_zh,
        "name_ar": laos.name_ar,
        "field_region": str(world["wca"].pk),
        "source": laos.source,
        "change_reason": "moved to the regional office",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert Country.objects.get(pk=laos.pk).field_region == world["wca"]
    latest = Country.history.filter(id=laos.pk).latest("history_id")  # type: ignore[attr-defined]  # simple-history manager
    assert (latest.history_user, latest.history_change_reason) == (
        administrator,
        "moved to the regional office",
    )


# --- The service, and the roles -----------------------------------------------------------
def test_the_service_refuses_an_officer_naming_the_permission(world: Any) -> None:  # noqa: F811
    with pytest.raises(PermissionDenied) as refused:
        update_country(actor=world["officer"], reason="r", country=world["laos"], field_region=world["wca"])
    assert str(refused.value) == (
        "You may not change countries or their regions: "
        "it needs the permission missions.change_reference_data."
    )
    assert Country.objects.get(pk=world["laos"].pk).field_region == world["sea"]


@pytest.mark.parametrize("role", [OFFICER, INTEGRATION])
def test_officers_and_integrations_read_but_do_not_write_reference_data(role: str) -> None:
    codenames = set(role_permissions(role).values_list("codename", flat=True))
    for model in ("region", "country", "instrument", "officerassignment"):
        assert f"view_{model}" in codenames
        assert not {f"add_{model}", f"change_{model}", f"delete_{model}"} & codenames, model
    assert "change_reference_data" not in codenames
    # Countries' legal status stays the officers' (and integrations') to record.
    for model in ("ratification", "legislationevent"):
        assert {f"add_{model}", f"change_{model}", f"delete_{model}"} <= codenames
    assert Permission.objects.filter(codename="change_reference_data").count() == 1
    assert role_permissions(ADMINISTRATOR).filter(codename="change_reference_data").exists()
