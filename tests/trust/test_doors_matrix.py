"""Actor × door × record: what each kind of reader sees of three records through every door.

The records: a workshop of region A, a workshop of region B, and a confidential workshop of
region A. The actors: an officer of A, an officer of B, a manager of A, an auditor of A (audit
permission, region A only), an auditor of headquarters, a read token and a write token without
the confidential scope, and a token with it. The doors: the API's list, object and CSV export,
the API's related-field choices (``follow_up_of``), the indicator values, the admin's list,
change page, autocomplete and history page, and the audit feed (API and admin). Every cell
asserts exactly which of the three records the actor sees there; a door an actor cannot use at
all sees nothing.

One rule decides every cell (missions.visibility): officers, managers and regional auditors see
their regions' records, confidential ones included (their roles hold the permission); headquarters
see all; tokens see every region and the confidential records only with the scope.
"""

import datetime
import json
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from missions.choices import ActivityKind
from missions.models import OfficerAssignment
from missions.services.activities import update_activity
from reports.services.published_figures import load_published_figures
from reports.services.snapshots import refresh
from tests.api.conftest import client_for, make_account
from tests.factories import ActivityFactory, CountryFactory, RegionFactory, UserFactory
from tracker.actors import Actor
from tracker.api.authentication import issue_token
from tracker.roles import AUDITOR, MANAGER, OFFICER, setup_roles

pytestmark = pytest.mark.django_db

A, B, CONF = "a", "b", "conf"
TITLES = {A: "Workshop in Atlantis", B: "Workshop in Borduria", CONF: "Confidential talks in Atlantis"}

# What each actor may see, by the one rule; the doors below must all agree with it.
SEES: dict[str, set[str]] = {
    "officer of A": {A, CONF},
    "officer of B": {B},
    "manager of A": {A, CONF},
    "auditor of A": {A, CONF},
    "auditor (headquarters)": {A, B, CONF},
    "read token": {A, B},
    "write token": {A, B},
    "confidential token": {A, B, CONF},
}
PEOPLE = ["officer of A", "officer of B", "manager of A", "auditor of A", "auditor (headquarters)"]
TOKENS = ["read token", "write token", "confidential token"]
AUDIT_READERS = {"auditor of A", "auditor (headquarters)"}


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    cache.clear()  # API throttle counts are keyed by ids that repeat across rolled-back tests
    setup_roles()
    region_a = RegionFactory.create(name="Region A (test)")
    region_b = RegionFactory.create(name="Region B (test)")
    atlantis = CountryFactory.create(
        name_en="Atlantis", iso3="QMA", iso2="Q3", m49="983", field_region=region_a
    )
    borduria = CountryFactory.create(
        name_en="Borduria", iso3="QMB", iso2="Q4", m49="984", field_region=region_b
    )
    on = datetime.date(2006, 5, 10)
    records = {
        A: ActivityFactory.create(
            title=TITLES[A], kind=ActivityKind.WORKSHOP, host_country=atlantis, start_date=on
        ),
        B: ActivityFactory.create(
            title=TITLES[B], kind=ActivityKind.WORKSHOP, host_country=borduria, start_date=on
        ),
        CONF: ActivityFactory.create(
            title=TITLES[CONF],
            kind=ActivityKind.WORKSHOP,
            host_country=atlantis,
            start_date=on,
            is_confidential=True,
        ),
    }
    load_published_figures()  # the indicator definitions
    for record in records.values():  # a change through the service, so every record has history
        update_activity(actor=Actor.system(), reason="matrix set-up", activity=record, notes="checked")

    def person(name: str, role: str, region: Any = None, *extra: str) -> Client:
        user = UserFactory.create(
            username=name.replace(" ", "-").replace("(", "").replace(")", ""), is_staff=True
        )
        user.groups.add(Group.objects.get(name=role))
        for codename in extra:
            user.user_permissions.add(Permission.objects.get(codename=codename))
        if region is not None:
            OfficerAssignment.objects.create(user=user, region=region)
        client = Client()
        client.force_login(user)
        return client

    clients: dict[str, Any] = {
        "officer of A": person("officer of A", OFFICER, region_a),
        "officer of B": person("officer of B", OFFICER, region_b),
        "manager of A": person("manager of A", MANAGER, region_a),
        "auditor of A": person("auditor of A", MANAGER, region_a, "view_audit_trail"),
        "auditor (headquarters)": person("auditor hq", AUDITOR),
    }
    for name, write, confidential in [
        ("read token", False, False),
        ("write token", True, False),
        ("confidential token", True, True),
    ]:
        account = make_account(name.replace(" ", "-"), write=write, confidential=confidential)
        account.user.user_permissions.add(Permission.objects.get(codename="view_audit_trail"))
        _, secret = issue_token(account=account)
        clients[name] = client_for(secret)
    refresh(codes=["IND-WORKSHOPS-HELD"], periods=[(datetime.date(2006, 1, 1), datetime.date(2006, 12, 31))])
    return {"records": records, "clients": clients, "host_of": {"officer of B": "QMB"}}


def _seen_in(text: str) -> set[str]:
    return {key for key, title in TITLES.items() if title in text}


def _ids(world: dict[str, Any]) -> dict[int, str]:
    return {record.pk: key for key, record in world["records"].items()}


# --- The doors: each returns which of the three records the actor sees through it ------------------
def api_list(client: Any, world: dict[str, Any]) -> set[str]:
    response = client.get("/api/v1/activities/?page_size=100", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    return _seen_in(response.content.decode())


def api_object(client: Any, world: dict[str, Any]) -> set[str]:
    """A hidden record answers exactly as a missing one: same status, body and content type."""
    missing = client.get("/api/v1/activities/999999/", HTTP_ACCEPT="application/json")
    assert missing.status_code == 404
    seen = set()
    for pk, key in _ids(world).items():
        response = client.get(f"/api/v1/activities/{pk}/", HTTP_ACCEPT="application/json")
        if response.status_code == 200:
            seen.add(key)
        else:
            assert (response.status_code, response.content, response["Content-Type"]) == (
                missing.status_code,
                missing.content,
                missing["Content-Type"],
            )
    return seen


def api_export(client: Any, world: dict[str, Any]) -> set[str]:
    response = client.get("/api/v1/activities/?format=csv&page_size=100")
    assert response.status_code == 200, response.content
    return _seen_in(response.content.decode())


def _post_json(client: Any, url: str, body: dict[str, Any]) -> Any:
    """A JSON POST from a session (Django's Client) or a token (DRF's APIClient) alike."""
    return client.post(url, json.dumps(body), content_type="application/json")


def api_related_choice(client: Any, world: dict[str, Any]) -> set[str]:
    """``follow_up_of`` accepts a visible activity; a hidden id gets exactly the error of a missing one.

    The new activity is a workshop in the actor's own region (its host country), so the only
    thing that can refuse it is the activity it follows up."""
    host = world["host_of"].get(world["actor"], "QMA")
    body = {
        "kind": "workshop",
        "title": "Follow-up (matrix)",
        "start_date": "2006-09-01",
        "host_country": host,
    }
    missing = _post_json(client, "/api/v1/activities/", {**body, "follow_up_of": 999999})
    if missing.status_code == 403:  # no write scope or no permission to add activities
        return set()
    assert missing.status_code == 400, missing.content
    missing_errors = [e for e in missing.json()["errors"] if e["field"] == "follow_up_of"]
    assert missing_errors, missing.content
    seen = set()
    for pk, key in _ids(world).items():
        response = _post_json(client, "/api/v1/activities/", {**body, "follow_up_of": pk})
        if response.status_code == 201:
            seen.add(key)
            continue
        assert response.status_code == 400, response.content
        errors = [e for e in response.json()["errors"] if e["field"] == "follow_up_of"]
        assert errors == [{**e, "message": e["message"].replace("999999", str(pk))} for e in missing_errors]
    return seen


def api_indicator_values(client: Any, world: dict[str, Any]) -> set[str]:
    """The 2006 workshop count: it counts the confidential workshop only for those who may see it.

    Indicator values are figures of the whole office (not narrowed by region): the regional
    records both count for everyone; only the audience (with or without confidential) differs."""
    response = client.get(
        "/api/v1/indicator-values/", {"indicator": "IND-WORKSHOPS-HELD", "scope": "global", "page_size": 100}
    )
    assert response.status_code == 200, response.content
    rows = [r for r in response.json()["results"] if r["when_key"] == "2006-01-01..2006-12-31"]
    assert len(rows) == 1, rows  # one value per reader: the one of its audience
    return {A, B, CONF} if float(rows[0]["value"]) == 3 else {A, B} if float(rows[0]["value"]) == 2 else set()


def admin_list(client: Any, world: dict[str, Any]) -> set[str]:
    response = client.get(reverse("admin:missions_workshop_changelist"))
    assert response.status_code == 200
    return _seen_in(response.content.decode())


def admin_change(client: Any, world: dict[str, Any]) -> set[str]:
    """A hidden record's change page is the admin's answer for a missing id (a redirect)."""
    missing = client.get(reverse("admin:missions_activity_change", args=[999999]))
    seen = set()
    for pk, key in _ids(world).items():
        response = client.get(reverse("admin:missions_activity_change", args=[pk]))
        if response.status_code == 200:
            seen.add(key)
        else:
            assert (response.status_code, response.get("Location")) == (
                missing.status_code,
                missing.get("Location"),
            )
    return seen


def admin_autocomplete(client: Any, world: dict[str, Any]) -> set[str]:
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "missions", "model_name": "activity", "field_name": "follow_up_of", "term": ""},
    )
    assert response.status_code == 200, response.content
    return _seen_in(response.content.decode())


def admin_history(client: Any, world: dict[str, Any]) -> set[str]:
    """A hidden record's history page is a 404, as for an id never used."""
    seen = set()
    for pk, key in _ids(world).items():
        response = client.get(reverse("admin:missions_activity_history", args=[pk]))
        if response.status_code == 200:
            seen.add(key)
        else:
            assert response.status_code == 404
    return seen


def api_audit(client: Any, world: dict[str, Any]) -> set[str]:
    response = client.get("/api/v1/audit/", {"model": "missions.activity", "limit": 200})
    if response.status_code == 403:
        return set()
    assert response.status_code == 200, response.content
    ids = _ids(world)
    return {
        ids[int(entry["object_id"])] for entry in response.json()["results"] if int(entry["object_id"]) in ids
    }


def admin_audit(client: Any, world: dict[str, Any]) -> set[str]:
    response = client.get(reverse("admin:audit_trail"), {"model": "missions.activity"})
    if response.status_code == 403:
        return set()
    assert response.status_code == 200
    return _seen_in(response.content.decode())


DOORS = {
    "api list": (api_list, PEOPLE + TOKENS),
    "api object": (api_object, PEOPLE + TOKENS),
    "api export": (api_export, PEOPLE + TOKENS),
    "api related choice": (api_related_choice, PEOPLE + TOKENS),
    "api indicator values": (api_indicator_values, PEOPLE + TOKENS),
    "admin list": (admin_list, PEOPLE),
    "admin change page": (admin_change, PEOPLE),
    "admin autocomplete": (admin_autocomplete, PEOPLE),
    "admin history": (admin_history, PEOPLE),
    "api audit feed": (api_audit, PEOPLE + TOKENS),
    "admin audit trail": (admin_audit, PEOPLE),
}


WRITERS = {"officer of A", "officer of B", "write token", "confidential token"}
# Indicator values are the whole office's figures, per audience: every person here holds the
# confidential permission through their role (so reads the figures that count confidential
# records, whichever region they are in); a token needs the scope too.
CONFIDENTIAL_ACCESS = {*PEOPLE, "confidential token"}


def _expected(actor: str, door: str) -> set[str]:
    if "audit" in door and actor not in AUDIT_READERS and actor not in TOKENS:
        return set()  # the audit trail needs tracker.view_audit_trail
    if door == "api related choice" and actor not in WRITERS:
        return set()  # managers, auditors and the read token may not create activities
    if door == "api indicator values":
        return {A, B, CONF} if actor in CONFIDENTIAL_ACCESS else {A, B}
    return SEES[actor]


CELLS = [(actor, door) for door, (_, actors) in DOORS.items() for actor in actors]


@pytest.mark.parametrize(("actor", "door"), CELLS, ids=[f"{door} | {actor}" for actor, door in CELLS])
def test_each_actor_sees_through_each_door_exactly_what_the_rule_allows(
    world: dict[str, Any], actor: str, door: str
) -> None:
    read, _ = DOORS[door]
    client: APIClient | Client = world["clients"][actor]
    world["actor"] = actor
    assert read(client, world) == _expected(actor, door)
