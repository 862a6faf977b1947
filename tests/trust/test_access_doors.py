"""Object-level access through every door: an officer of one region can neither see nor change,
through the admin, the API (session or token) or its CSV/XLSX exports, an activity of another
region, and no list shows it.

Outside one's regions a record does not exist (404 in the API, "does not exist" in the admin):
its existence is not leaked. Choosing a region or country outside one's scope when saving is a
field error (400 in the API, a form error in the admin).
"""

from typing import Any

import pytest
from django.contrib import admin
from django.urls import reverse

from missions.admin.activities import ACTIVITY_ADMINS
from missions.models import Activity, OfficerAssignment
from tests.api.conftest import client_for
from tests.factories import (
    ActionPlanFactory,
    ActivityCountryFactory,
    ActivityFactory,
    CountryFactory,
    FollowUpRequestFactory,
    PartnershipFactory,
    RegionFactory,
    UserFactory,
)
from tests.missions.test_admin_activities import _add_row, _form_data
from tracker.api.authentication import issue_token
from tracker.models import IntegrationAccount
from tracker.roles import OFFICER, setup_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    from django.contrib.auth.models import Group
    from django.core.cache import cache

    cache.clear()  # API throttle counts
    setup_roles()
    wca = RegionFactory.create(name="West and Central Africa (test)")
    sea = RegionFactory.create(name="South-East Asia (test)")
    mali = CountryFactory.create(name_en="Mali (test)", iso3="QML", iso2="Q7", m49="971", field_region=wca)
    laos = CountryFactory.create(name_en="Lao PDR (test)", iso3="QLA", iso2="Q8", m49="972", field_region=sea)
    ours = ActivityFactory.create(title="Mission to Mali", host_country=mali)
    theirs = ActivityFactory.create(title="Mission to Lao PDR", host_country=laos)
    ActivityCountryFactory.create(activity=theirs, country=laos)
    officer = UserFactory.create(username="wca-officer", is_staff=True)
    officer.groups.add(Group.objects.get(name=OFFICER))
    OfficerAssignment.objects.create(user=officer, region=wca)
    # The officer's own token: an integration account whose service user is assigned West Africa.
    service = UserFactory.create(username="svc-wca", password=None)
    service.groups.add(Group.objects.get(name="Integration"))
    OfficerAssignment.objects.create(user=service, region=wca)
    account = IntegrationAccount.objects.create(name="WCA sync", user=service, scope_write=True)
    _, secret = issue_token(account=account, label="test")
    return {
        "wca": wca,
        "sea": sea,
        "mali": mali,
        "laos": laos,
        "ours": ours,
        "theirs": theirs,
        "theirs_plan": ActionPlanFactory.create(mission=theirs, country=laos, title="Lao action plan"),
        "theirs_request": FollowUpRequestFactory.create(
            mission=theirs, country=laos, description="Lao request"
        ),
        "officer": officer,
        "token_client": client_for(secret),
    }


@pytest.fixture
def session_client(client: Any, world: dict[str, Any]) -> Any:
    client.force_login(world["officer"])
    return client


def _admin_url(model: str, action: str, *args: Any) -> str:
    return reverse(f"admin:missions_{model}_{action}", args=args)


ADMIN_PAGES = [
    model._meta.model_name
    for model, model_admin in admin.site._registry.items()
    if type(model_admin) in ACTIVITY_ADMINS
]


# --- Admin ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_lists_never_show_another_regions_activity(session_client: Any, world: Any, page: str) -> None:
    response = session_client.get(_admin_url(page, "changelist"))
    assert response.status_code == 200
    assert b"Mission to Lao PDR" not in response.content


@pytest.mark.parametrize("page", ["activity", "mission"])
def test_admin_cannot_open_change_or_delete_another_regions_activity(
    session_client: Any, world: Any, page: str
) -> None:
    pk = world["theirs"].pk
    for action in ("change", "delete", "history"):
        response = session_client.get(_admin_url(page, action, pk))
        assert response.status_code in (302, 403, 404), action
        assert b"Mission to Lao PDR" not in response.content
    session_client.post(_admin_url(page, "change", pk), {"title": "Hijacked", "kind": "mission"})
    session_client.post(_admin_url(page, "delete", pk), {"post": "yes"})
    assert Activity.objects.get(pk=pk).title == "Mission to Lao PDR"


def test_admin_bulk_delete_skips_another_regions_activity(session_client: Any, world: Any) -> None:
    pks = [world["ours"].pk, world["theirs"].pk]
    session_client.post(
        _admin_url("activity", "changelist"),
        {"action": "delete_selected", "_selected_action": pks, "post": "yes"},
    )
    assert Activity.objects.filter(pk=world["theirs"].pk).exists()


@pytest.mark.parametrize("model", ["actionplan", "followuprequest"])
def test_admin_action_plans_and_follow_ups_of_another_region_are_hidden(
    session_client: Any, world: Any, model: str
) -> None:
    listing = session_client.get(_admin_url(model, "changelist"))
    assert listing.status_code == 200
    assert b"Lao action plan" not in listing.content
    assert b"Lao request" not in listing.content
    obj = world["theirs_plan"] if model == "actionplan" else world["theirs_request"]
    assert session_client.get(_admin_url(model, "change", obj.pk)).status_code in (302, 403, 404)


def test_admin_the_officer_changes_their_own_regions_activity(session_client: Any, world: Any) -> None:
    url = _admin_url("mission", "change", world["ours"].pk)
    data = _form_data(session_client.get(url))
    data["title"] = "Mission to Mali (revised)"
    response = session_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert Activity.objects.get(pk=world["ours"].pk).title == "Mission to Mali (revised)"


def test_admin_choosing_a_country_or_region_outside_ones_scope_is_a_field_error(
    session_client: Any, world: Any
) -> None:
    url = _admin_url("mission", "change", world["ours"].pk)
    data = _form_data(session_client.get(url))
    data["host_country"] = str(world["laos"].pk)
    data["region"] = str(world["sea"].pk)
    response = session_client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "outside your regions" in str(errors["host_country"])
    assert "outside your regions" in str(errors["region"])
    data = _form_data(session_client.get(url))
    prefix = next(
        f.formset.prefix
        for f in response.context["inline_admin_formsets"]
        if "country" in f.formset.form.base_fields
    )
    _add_row(data, prefix, country=str(world["laos"].pk), role="beneficiary")
    response = session_client.post(url, data)
    assert response.status_code == 200
    assert "outside your regions" in response.content.decode()
    assert Activity.objects.get(pk=world["ours"].pk).host_country == world["mali"]
    assert not world["ours"].countries.filter(pk=world["laos"].pk).exists()


# --- API (session and token), and its exports -----------------------------------------------
@pytest.fixture(params=["session", "token"])
def api_client(request: Any, world: Any) -> Any:
    if request.param == "token":
        return world["token_client"]
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(world["officer"])
    return client


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_api_lists_and_exports_never_show_another_regions_activity(
    api_client: Any, world: Any, fmt: str
) -> None:
    response = api_client.get("/api/v1/activities/", {"format": fmt})
    assert response.status_code == 200
    body = response.content
    if fmt == "xlsx":
        import io

        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        body = repr(list(sheet.values)).encode()
    assert b"Mission to Lao PDR" not in body
    assert b"Mission to Mali" in body


@pytest.mark.parametrize("resource", ["action-plans", "follow-up-requests"])
def test_api_child_lists_never_show_another_regions_rows(api_client: Any, world: Any, resource: str) -> None:
    response = api_client.get(f"/api/v1/{resource}/")
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert world["theirs_plan"].pk not in ids
    assert world["theirs_request"].pk not in ids
    for obj, name in (
        (world["theirs_plan"], "action-plans"),
        (world["theirs_request"], "follow-up-requests"),
    ):
        if name == resource:
            assert api_client.get(f"/api/v1/{resource}/{obj.pk}/").status_code == 404


def test_api_cannot_read_change_or_delete_another_regions_activity(api_client: Any, world: Any) -> None:
    url = f"/api/v1/activities/{world['theirs'].pk}/"
    assert api_client.get(url).status_code == 404
    assert api_client.patch(url, {"title": "Hijacked"}, format="json", HTTP_IF_MATCH="*").status_code == 404
    assert api_client.delete(url, HTTP_IF_MATCH="*").status_code == 404
    assert Activity.objects.get(pk=world["theirs"].pk).title == "Mission to Lao PDR"


def test_api_changes_within_scope_succeed(api_client: Any, world: Any) -> None:
    url = f"/api/v1/activities/{world['ours'].pk}/"
    etag = api_client.get(url)["ETag"]
    response = api_client.patch(url, {"title": "Mission to Mali (API)"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert Activity.objects.get(pk=world["ours"].pk).title == "Mission to Mali (API)"


def test_api_moving_an_activity_out_of_scope_is_a_field_error(api_client: Any, world: Any) -> None:
    url = f"/api/v1/activities/{world['ours'].pk}/"
    etag = api_client.get(url)["ETag"]
    response = api_client.patch(url, {"host_country": "QLA"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400, response.content
    assert "host_country" in str(response.json()), response.json()
    assert Activity.objects.get(pk=world["ours"].pk).host_country == world["mali"]


def test_api_creating_an_activity_in_another_region_is_refused(api_client: Any, world: Any) -> None:
    payload = {
        "kind": "mission",
        "title": "Mission to Lao PDR (2)",
        "start_date": "2006-05-01",
        "end_date": "2006-05-03",
        "status": "held",
        "countries": [{"country": "QLA", "role": "beneficiary"}],
    }
    response = api_client.post("/api/v1/activities/", payload, format="json")
    assert response.status_code == 400, response.content
    assert "countries" in str(response.json()) or "region" in str(response.json())
    assert not Activity.objects.filter(title="Mission to Lao PDR (2)").exists()


def test_an_officer_without_a_region_sees_nothing(client: Any, world: Any) -> None:
    from django.contrib.auth.models import Group

    stranger = UserFactory.create(username="stranger", is_staff=True)
    stranger.groups.add(Group.objects.get(name=OFFICER))
    client.force_login(stranger)
    listing = client.get("/api/v1/activities/").json()
    assert listing["results"] == [], listing
    assert b"Mission to Mali" not in client.get(_admin_url("activity", "changelist")).content


# --- Confidential activities -----------------------------------------------------------------
def test_integrations_without_the_confidential_scope_never_see_confidential_rows(world: Any) -> None:
    secret_mission = ActivityFactory.create(
        title="Secret mission", host_country=world["mali"], is_confidential=True
    )
    ActionPlanFactory.create(mission=secret_mission, country=world["mali"], title="Secret plan")
    user = UserFactory.create(username="svc-cted", password=None)
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="Integration"))
    account = IntegrationAccount.objects.create(name="CTED", user=user, scope_write=False)
    _, secret = issue_token(account=account)
    integration = client_for(secret)
    for fmt in ("json", "csv"):
        assert b"Secret mission" not in integration.get("/api/v1/activities/", {"format": fmt}).content
    assert b"Secret plan" not in integration.get("/api/v1/action-plans/").content
    assert integration.get(f"/api/v1/activities/{secret_mission.pk}/").status_code == 404
    # Every region is visible to an integration without regions of its own: scopes decide.
    assert b"Mission to Lao PDR" in integration.get("/api/v1/activities/").content
    account.scope_confidential = True
    account.save()
    assert b"Secret mission" in integration.get("/api/v1/activities/").content
    assert b"Secret plan" in integration.get("/api/v1/action-plans/").content


def test_admin_joint_work_of_another_region_is_hidden(session_client: Any, world: Any) -> None:
    from tests.factories import ActivityOrganisationFactory

    row = ActivityOrganisationFactory.create(activity=world["theirs"])
    listing = session_client.get(reverse("admin:partners_activityorganisation_changelist"))
    assert listing.status_code == 200
    assert b"Mission to Lao PDR" not in listing.content
    change = session_client.get(reverse("admin:partners_activityorganisation_change", args=[row.pk]))
    assert change.status_code in (302, 403, 404)
    page = session_client.get(reverse("admin:partners_organisation_change", args=[row.organisation_id]))
    assert b"Mission to Lao PDR" not in page.content


# --- Partnerships list only the activities their reader may see ------------------------------
@pytest.fixture
def shared_partnership(world: Any) -> Any:
    partnership = PartnershipFactory.create(title="Joint programme")
    partnership.activities.set([world["ours"], world["theirs"]])
    return partnership


def test_a_partnership_shows_only_the_readers_activities(
    api_client: Any, world: Any, shared_partnership: Any
) -> None:
    one = api_client.get(f"/api/v1/partnerships/{shared_partnership.pk}/")
    listed = api_client.get("/api/v1/partnerships/", {"id": shared_partnership.pk})

    assert one.status_code == 200
    assert one.json()["activities"] == [world["ours"].pk]
    rows = [row for row in listed.json()["results"] if row["id"] == shared_partnership.pk]
    assert [row["activities"] for row in rows] == [[world["ours"].pk]]


def test_rewriting_a_partnership_keeps_the_links_its_writer_cannot_see(
    api_client: Any, world: Any, shared_partnership: Any
) -> None:
    url = f"/api/v1/partnerships/{shared_partnership.pk}/"
    etag = api_client.get(url)["ETag"]

    response = api_client.patch(url, {"activities": [world["ours"].pk]}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200, response.content
    assert set(shared_partnership.activities.values_list("pk", flat=True)) == {
        world["ours"].pk,
        world["theirs"].pk,
    }


def test_linking_another_regions_activity_is_refused_as_unknown(
    api_client: Any, world: Any, shared_partnership: Any
) -> None:
    url = f"/api/v1/partnerships/{shared_partnership.pk}/"
    etag = api_client.get(url)["ETag"]
    missing = api_client.patch(url, {"activities": [999_999]}, format="json", HTTP_IF_MATCH=etag)

    response = api_client.patch(url, {"activities": [world["theirs"].pk]}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == missing.status_code == 400
    messages = [e["message"] for e in response.json()["errors"]]
    assert messages == [
        m.replace("999999", str(world["theirs"].pk)) for m in (e["message"] for e in missing.json()["errors"])
    ]
    assert "does not exist" in messages[0]


def test_admin_partnership_shows_offers_and_keeps_only_within_the_officers_regions(
    session_client: Any, world: Any, shared_partnership: Any
) -> None:
    from partners.models import Partnership

    url = reverse("admin:partners_partnership_change", args=[shared_partnership.pk])
    page = session_client.get(url)
    assert page.status_code == 200
    assert b"Mission to Mali" in page.content
    assert b"Mission to Lao PDR" not in page.content
    html = page.content.decode()
    assert f'<option value="{world["ours"].pk}" selected>' in html
    assert f'<option value="{world["theirs"].pk}"' not in html

    # Saving what the browser posts back (the officer's own activity) keeps the other link.
    data = {**_form_data(page), "activities": [str(world["ours"].pk)], "title": "Joint programme (revised)"}
    response = session_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    shared_partnership.refresh_from_db()
    assert shared_partnership.title == "Joint programme (revised)"
    assert set(shared_partnership.activities.values_list("pk", flat=True)) == {
        world["ours"].pk,
        world["theirs"].pk,
    }

    # Linking another region's activity is refused on the field, as if it did not exist.
    other = Partnership.objects.create(
        organisation=shared_partnership.organisation, kind="mou", title="Other"
    )
    other_url = reverse("admin:partners_partnership_change", args=[other.pk])
    data = _form_data(session_client.get(other_url))
    data["activities"] = [str(world["theirs"].pk)]
    response = session_client.post(other_url, data)
    assert response.status_code == 200
    assert "activities" in response.context["adminform"].form.errors
    assert not other.activities.exists()
