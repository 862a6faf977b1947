"""One door for partners: every reader narrowed by missions.visibility, every writer a service.

Two readers who must not learn of an activity: an officer of West and Central Africa (the
activity of South-East Asia is hidden from them) and an integration's token without the
``confidential`` scope (the confidential activity is hidden from it). Neither sees a hidden
activity's id or title inside a visible record (a partnership, a contribution, an admin page),
and choosing one gets the very answer a missing id gets.
"""

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from missions.models import Activity, OfficerAssignment
from partners.choices import OrganisationRole
from partners.models import ActivityOrganisation, Contribution, Donor, Organisation
from partners.services import funding, organisations
from tests.api.conftest import client_for, make_account
from tests.factories import (
    ActivityFactory,
    ContributionFactory,
    CountryFactory,
    DonorFactory,
    OrganisationFactory,
    PartnershipFactory,
    RegionFactory,
    UserFactory,
)
from tests.missions.test_admin_activities import _form_data
from tracker.actors import Actor
from tracker.api.authentication import issue_token
from tracker.roles import OFFICER, setup_roles

pytestmark = pytest.mark.django_db

MISSING = 999_999


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    from django.core.cache import cache

    cache.clear()  # API throttle counts and cached pages
    setup_roles()
    wca = RegionFactory.create(name="West and Central Africa (test)")
    sea = RegionFactory.create(name="South-East Asia (test)")
    mali = CountryFactory.create(name_en="Mali (test)", iso3="QML", iso2="Q7", m49="971", field_region=wca)
    laos = CountryFactory.create(name_en="Lao PDR (test)", iso3="QLA", iso2="Q8", m49="972", field_region=sea)
    officer = UserFactory.create(username="wca-officer", is_staff=True)
    officer.groups.add(Group.objects.get(name=OFFICER))
    OfficerAssignment.objects.create(user=officer, region=wca)
    _, secret = issue_token(account=make_account("open", write=True), label="no confidential scope")
    session = APIClient()
    session.force_login(officer)
    return {
        "ours": ActivityFactory.create(title="Mission to Mali", host_country=mali),
        "theirs": ActivityFactory.create(title="Mission to Lao PDR", host_country=laos),
        "secret": ActivityFactory.create(title="Secret mission", host_country=mali, is_confidential=True),
        "officer": officer,
        "clients": {"officer": session, "open token": client_for(secret)},
        "donor": DonorFactory.create(name="Norway (test)"),
    }


# Each reader, and the activity hidden from it.
READERS = [("officer", "theirs"), ("open token", "secret")]


def _reader(world: dict[str, Any], reader: str, hidden: str) -> tuple[APIClient, Activity]:
    return world["clients"][reader], world[hidden]


def _contribution_json(contribution: Contribution, **changes: Any) -> dict[str, Any]:
    return {
        "id": contribution.pk,
        "donor": "Norway (test)",
        "kind": "pledge",
        "amount": "100000.00",
        "currency": "USD",
        "year": 2006,
        "date": None,
        "pledge": None,
        "earmark": "",
        "earmark_region": None,
        "earmark_activity": None,
        "reference": None,
        "source": "",
        "notes": "",
        "updated_at": contribution.updated_at.isoformat().replace("+00:00", "Z"),
        **changes,
    }


# --- API reads ------------------------------------------------------------------------------
@pytest.mark.parametrize(("reader", "hidden"), READERS)
def test_a_contribution_never_shows_a_hidden_earmarked_activity(world: Any, reader: str, hidden: str) -> None:
    client, activity = _reader(world, reader, hidden)
    contribution = ContributionFactory.create(donor=world["donor"], earmark_activity=activity)

    one = client.get(f"/api/v1/contributions/{contribution.pk}/")
    listed = client.get("/api/v1/contributions/")
    exported = client.get("/api/v1/contributions/", {"format": "csv"})

    assert one.status_code == 200
    assert one.json() == _contribution_json(contribution)
    assert listed.json()["results"] == [_contribution_json(contribution)]
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [row["earmark_activity"] for row in rows] == [""]


@pytest.mark.parametrize(("reader", "hidden"), READERS)
def test_a_contribution_shows_a_visible_earmarked_activity(world: Any, reader: str, hidden: str) -> None:
    client, _ = _reader(world, reader, hidden)
    contribution = ContributionFactory.create(donor=world["donor"], earmark_activity=world["ours"])

    response = client.get(f"/api/v1/contributions/{contribution.pk}/")

    assert response.json() == _contribution_json(contribution, earmark_activity=world["ours"].pk)


@pytest.mark.parametrize(("reader", "hidden"), READERS)
def test_a_partnership_shows_only_visible_activities_read_and_written(
    world: Any, reader: str, hidden: str
) -> None:
    client, activity = _reader(world, reader, hidden)
    partnership = PartnershipFactory.create(title="Joint programme")
    partnership.activities.set([world["ours"], activity])
    url = f"/api/v1/partnerships/{partnership.pk}/"

    read = client.get(url)
    written = client.patch(
        url, {"title": "Joint programme (revised)"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )

    assert read.json()["activities"] == [world["ours"].pk]
    assert written.status_code == 200, written.content
    assert written.json()["activities"] == [world["ours"].pk]  # the answer to a write, too
    assert set(partnership.activities.values_list("pk", flat=True)) == {world["ours"].pk, activity.pk}


# --- API writes: a hidden activity is a missing one -----------------------------------------
def _errors(response: Any, pk: int) -> list[dict[str, str]]:
    """The errors, with the id that was sent written as <id>."""
    return [
        {**error, "message": error["message"].replace(str(pk), "<id>")} for error in response.json()["errors"]
    ]


@pytest.mark.parametrize(("reader", "hidden"), READERS)
def test_earmarking_a_hidden_activity_gets_the_answer_of_a_missing_one(
    world: Any, reader: str, hidden: str
) -> None:
    client, activity = _reader(world, reader, hidden)
    body = {"donor": "Norway (test)", "kind": "pledge", "amount": "10.00", "year": 2006}

    missing = client.post("/api/v1/contributions/", {**body, "earmark_activity": MISSING}, format="json")
    refused = client.post("/api/v1/contributions/", {**body, "earmark_activity": activity.pk}, format="json")

    assert refused.status_code == missing.status_code == 400
    assert (
        _errors(refused, activity.pk)
        == _errors(missing, MISSING)
        == [
            {
                "field": "earmark_activity",
                "message": 'Invalid pk "<id>" - object does not exist.',
                "code": "does_not_exist",
            }
        ]
    )
    assert not Contribution.objects.exists()


@pytest.mark.parametrize(("reader", "hidden"), READERS)
def test_a_partnership_refuses_a_hidden_activity_as_a_missing_one(
    world: Any, reader: str, hidden: str
) -> None:
    client, activity = _reader(world, reader, hidden)
    body = {"organisation": OrganisationFactory.create(code="ORG-P").code, "kind": "mou"}

    missing = client.post("/api/v1/partnerships/", {**body, "activities": [MISSING]}, format="json")
    refused = client.post("/api/v1/partnerships/", {**body, "activities": [activity.pk]}, format="json")

    assert refused.status_code == missing.status_code == 400
    assert _errors(refused, activity.pk) == _errors(missing, MISSING)
    assert _errors(missing, MISSING)[0]["message"] == 'Invalid pk "<id>" - object does not exist.'


# --- Services: the same rule, whoever calls ---------------------------------------------------
def test_services_refuse_a_hidden_activity_as_a_missing_one(world: Any) -> None:
    officer, theirs = Actor.of(world["officer"]), world["theirs"]
    organisation = OrganisationFactory.create()

    def refused(call: Any) -> dict[str, list[str]]:
        with pytest.raises(ValidationError) as excinfo:
            call()
        return excinfo.value.message_dict

    for activity, pk in ((theirs, theirs.pk), (Activity(pk=MISSING), MISSING)):
        said = f"Activity {pk} does not exist."
        assert refused(
            lambda a=activity: organisations.set_activity_organisations(
                actor=officer, reason="t", activity=a, roles=[(organisation, OrganisationRole.HOST)]
            )
        ) == {"activity": [said]}
        assert refused(
            lambda a=activity: organisations.create_activity_organisation(
                actor=officer, reason="t", activity=a, organisation=organisation, role=OrganisationRole.HOST
            )
        ) == {"activity": [said]}
        assert refused(
            lambda a=activity: funding.record_pledge(
                actor=officer,
                reason="t",
                donor=world["donor"],
                amount=Decimal("1"),
                year=2006,
                earmark_activity=a,
            )
        ) == {"earmark_activity": [said]}
    assert not ActivityOrganisation.objects.exists()
    assert not Contribution.objects.exists()


def test_a_contribution_keeps_the_earmark_its_writer_cannot_see(world: Any) -> None:
    contribution = ContributionFactory.create(donor=world["donor"], earmark_activity=world["theirs"])

    funding.update_contribution(
        actor=world["officer"], reason="t", contribution=contribution, earmark_activity=None, notes="checked"
    )

    contribution.refresh_from_db()
    assert (contribution.earmark_activity, contribution.notes) == (world["theirs"], "checked")


# --- Admin ----------------------------------------------------------------------------------
@pytest.fixture
def officer_session(client: Any, world: Any) -> Any:
    client.force_login(world["officer"])
    return client


def test_admin_contribution_page_shows_no_hidden_activity_and_keeps_it(
    officer_session: Any, world: Any
) -> None:
    contribution = ContributionFactory.create(donor=world["donor"], earmark_activity=world["theirs"])
    url = reverse("admin:partners_contribution_change", args=[contribution.pk])

    page = officer_session.get(url)
    assert page.status_code == 200
    assert b"Mission to Lao PDR" not in page.content
    assert f'<option value="{world["theirs"].pk}"'.encode() not in page.content

    # What the browser posts back: the select has no option for the hidden activity.
    data = {**_form_data(page), "earmark_activity": "", "notes": "checked"}
    response = officer_session.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    contribution.refresh_from_db()
    assert (contribution.earmark_activity, contribution.notes) == (world["theirs"], "checked")


def test_admin_contribution_history_shows_no_hidden_activity(officer_session: Any, world: Any) -> None:
    system = Actor.system()
    recorded = funding.record_pledge(
        actor=system,
        reason="t",
        donor=world["donor"],
        amount=Decimal("5"),
        year=2006,
        earmark_activity=world["ours"],
    )
    contribution = recorded.contribution
    funding.update_contribution(
        actor=system, reason="t", contribution=contribution, earmark_activity=world["theirs"]
    )
    funding.update_contribution(actor=system, reason="t", contribution=contribution, notes="checked")

    page = officer_session.get(reverse("admin:partners_contribution_history", args=[contribution.pk]))

    assert page.status_code == 200
    changes = [
        getattr(record, "history_delta_changes", None) for record in page.context["page_obj"].object_list
    ]
    assert changes == [
        [{"field": "Notes", "old": "", "new": "checked"}],
        [{"field": "Earmark activity", "old": str(world["ours"]), "new": "None"}],
        None,  # the first record: nothing to compare with
    ]
    assert b"Mission to Lao PDR" not in page.content


def test_admin_refuses_to_earmark_a_hidden_activity_as_a_missing_one(
    officer_session: Any, world: Any
) -> None:
    add = reverse("admin:partners_contribution_add")
    page = officer_session.get(add)
    form = {**_form_data(page), "donor": world["donor"].pk, "kind": "pledge", "amount": "10", "year": "2006"}

    errors = {}
    for pk in (world["theirs"].pk, MISSING):
        response = officer_session.post(add, {**form, "earmark_activity": str(pk)})
        assert response.status_code == 200
        errors[pk] = response.context["adminform"].form.errors

    assert (
        errors[world["theirs"].pk]
        == errors[MISSING]
        == {"earmark_activity": ["Select a valid choice. That choice is not one of the available choices."]}
    )
    assert not Contribution.objects.exists()


def test_admin_partnership_list_counts_only_visible_activities(officer_session: Any, world: Any) -> None:
    partnership = PartnershipFactory.create(title="Joint programme")
    partnership.activities.set([world["ours"], world["theirs"], world["secret"]])
    PartnershipFactory.create(title="Nothing visible").activities.set([world["theirs"]])

    page = officer_session.get(reverse("admin:partners_partnership_changelist"))

    assert page.status_code == 200
    counts = [row[-1] for row in page.context["cl"].result_list.values_list("title", "n_activities")]
    assert sorted(counts) == [0, 2]  # ours and the (visible to officers) confidential one


def test_admin_history_of_hidden_joint_work_is_not_found_like_a_missing_one(
    officer_session: Any, world: Any
) -> None:
    row = organisations.create_activity_organisation(
        actor=Actor.system(),
        reason="t",
        activity=world["theirs"],
        organisation=OrganisationFactory.create(),
        role=OrganisationRole.HOST,
    )
    version = row.history.get().history_id

    def status(pk: int, page: str, *args: Any) -> int:
        url = reverse(f"admin:partners_activityorganisation_{page}", args=[pk, *args])
        return int(officer_session.get(url).status_code)

    assert status(row.pk, "history") == status(MISSING, "history") == 404
    assert status(row.pk, "simple_history", version) == status(MISSING, "simple_history", version) == 404


# --- Writes leave history with actor and reason, only on a change -------------------------------
def test_api_writes_go_through_the_services_with_actor_and_reason(world: Any) -> None:
    client = world["clients"]["officer"]
    created = client.post(
        "/api/v1/organisations/", {"code": "ORG-N", "name_en": "New", "kind": "regional"}, format="json"
    )
    assert created.status_code == 201, created.content
    url = created["Location"]
    unchanged = client.patch(url, {"name_en": "New"}, format="json", HTTP_IF_MATCH=created["ETag"])
    changed = client.patch(url, {"name_en": "Renamed"}, format="json", HTTP_IF_MATCH=unchanged["ETag"])
    assert (unchanged.status_code, changed.status_code) == (200, 200)

    history = Organisation.objects.get(code="ORG-N").history.order_by("history_id")
    assert [(h.history_type, h.name_en, h.history_user, h.history_change_reason) for h in history] == [
        ("+", "New", world["officer"], "API POST /api/v1/organisations/ (session)"),
        ("~", "Renamed", world["officer"], f"API PATCH {url.removeprefix('http://testserver')} (session)"),
    ]


def test_admin_deletes_go_through_the_services(officer: Any, officer_client: Any) -> None:
    donor = DonorFactory.create(name="Gone")
    officer_client.post(
        reverse("admin:partners_donor_changelist"),
        {"action": "delete_selected", "_selected_action": [donor.pk], "post": "yes"},
    )

    assert not Donor.objects.filter(name="Gone").exists()
    deleted = Donor.history.get(name="Gone", history_type="-")
    assert (deleted.history_user, deleted.history_change_reason) == (officer, "Deleted in the admin")


def test_a_writer_without_the_permission_is_refused(db: Any) -> None:
    reader = UserFactory.create(username="reader")
    with pytest.raises(PermissionDenied) as excinfo:
        funding.create_donor(
            actor=reader, reason="t", name="Nobody", kind="state", country=CountryFactory.create()
        )
    assert str(excinfo.value) == "You may not add a donor: it needs the permission partners.add_donor."
    assert not Donor.objects.filter(name="Nobody").exists()
