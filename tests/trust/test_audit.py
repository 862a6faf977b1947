"""Audit: every write path records actor, time, reason (and the fields changed), and an auditor
can list the history of any record and everything one account changed, in the admin and the API."""

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from missions.models import Activity, OfficerAssignment, Ratification
from missions.services.activities import create_activity, update_activity
from missions.services.legal_import import import_ratifications
from tests.api.conftest import client_for, make_account
from tests.factories import ActivityFactory, CountryFactory, RegionFactory, UserFactory
from tests.missions.test_admin_activities import _form_data
from tests.missions.test_import_ratifications import csv_bytes
from tracker.actors import Actor
from tracker.api.authentication import issue_token
from tracker.audit import audit_trail, history_of
from tracker.roles import AUDITOR, OFFICER, setup_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(db: Any) -> Any:
    setup_roles()
    user = UserFactory.create(username="auditor", is_staff=True)
    user.groups.add(Group.objects.get(name=AUDITOR))
    return user


def _headquarters(username: str) -> Any:
    """Someone who records work of every region (the services refuse others' work outside theirs)."""
    user = UserFactory.create(username=username)
    user.user_permissions.add(Permission.objects.get(codename="access_all_regions"))
    return user


# --- Every write path records actor and reason --------------------------------------------------
def test_an_admin_save_records_the_officer_and_the_reason(officer_client: Any, officer: Any) -> None:
    activity = ActivityFactory.create(title="Mission A")
    url = reverse("admin:missions_mission_change", args=[activity.pk])
    data = _form_data(officer_client.get(url))
    data.update(title="Mission A (revised)", change_reason="Dates corrected from the cable")
    assert officer_client.post(url, data).status_code == 302
    row = Activity.history.filter(id=activity.pk).latest("history_id")
    assert row.history_user == officer
    assert row.history_change_reason == "Dates corrected from the cable"


def test_an_api_create_and_update_with_a_token_record_the_service_user_and_the_request() -> None:
    from django.core.cache import cache

    cache.clear()
    account = make_account("audit", write=True)
    _, secret = issue_token(account=account)
    api = client_for(secret)
    created = api.post(
        "/api/v1/activities/",
        {"kind": "mission", "title": "Token mission", "start_date": "2006-04-01", "status": "held"},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    row = Activity.history.filter(id=pk).latest("history_id")
    assert row.history_user == account.user
    assert row.history_change_reason.startswith("API POST /api/v1/activities/ (token ")
    etag = api.get(f"/api/v1/activities/{pk}/")["ETag"]
    assert (
        api.patch(f"/api/v1/activities/{pk}/", {"title": "T2"}, format="json", HTTP_IF_MATCH=etag).status_code
        == 200
    )
    row = Activity.history.filter(id=pk).latest("history_id")
    assert (row.history_user, row.history_type) == (account.user, "~")
    assert row.history_change_reason.startswith("API PATCH")


def test_an_import_records_the_actor_and_the_reason() -> None:
    officer = UserFactory.create(username="legal-officer")
    data = csv_bytes("ICSANT_2005,AGO,024,Angola,2005-09-15,,,,depositary list 2026")
    report = import_ratifications(data, actor=officer, reason="Depositary list of May")
    assert not report.errors
    row = Ratification.history.filter(country__iso3="AGO", instrument__code="ICSANT_2005").latest(
        "history_id"
    )
    assert row.history_user == officer
    assert row.history_change_reason == "Depositary list of May"


def test_a_task_or_service_without_an_actor_records_its_reason() -> None:
    activity = create_activity(
        actor=None,
        reason="nightly sync task",
        kind="mission",
        start_date=datetime.date(2006, 3, 1),
        title="Task mission",
    )
    row = Activity.history.filter(id=activity.pk).latest("history_id")
    assert row.history_user is None
    assert row.history_change_reason == "nightly sync task"


# --- The audit trail -------------------------------------------------------------------------
def test_the_trail_lists_what_one_account_changed_with_the_fields_changed(auditor: Any) -> None:
    alice = _headquarters("alice")
    bob = _headquarters("bob")
    activity = create_activity(
        actor=alice,
        reason="new",
        kind="mission",
        start_date=datetime.date(2006, 3, 1),
        title="Alice's mission",
    )
    update_activity(actor=alice, reason="retitled", activity=activity, title="Alice's mission (2)")
    create_activity(
        actor=bob, reason="bob's", kind="mission", start_date=datetime.date(2006, 3, 1), title="Bob's mission"
    )
    total, entries = audit_trail(viewer=Actor.system(), actor=alice, model="missions.activity")
    assert total == 2
    assert [(e.action, e.actor, e.reason) for e in entries] == [
        ("changed", "alice", "retitled"),
        ("created", "alice", "new"),
    ]
    assert "title" in entries[0].changed_fields
    assert [e.reason for e in history_of(activity)] == ["retitled", "new"]


@freeze_time("2026-06-15T09:00:00Z")
def test_the_trail_filters_by_date_and_pages_in_a_constant_number_of_queries(auditor: Any) -> None:
    alice = _headquarters("alice")
    for n in range(3):
        create_activity(
            actor=alice, reason=f"r{n}", kind="mission", start_date=datetime.date(2006, 3, 1), title=f"M{n}"
        )
    now = datetime.datetime(2026, 6, 15, 9, 0, tzinfo=datetime.UTC)
    assert audit_trail(viewer=Actor.system(), actor=alice, since=now)[0] == 3
    assert audit_trail(viewer=Actor.system(), actor=alice, since=now + datetime.timedelta(seconds=1))[0] == 0
    with CaptureQueriesContext(connection) as few:
        audit_trail(viewer=Actor.system(), actor=alice, limit=2)
    for n in range(12):
        activity = create_activity(
            actor=alice, reason=f"s{n}", kind="mission", start_date=datetime.date(2006, 3, 1), title=f"N{n}"
        )
        update_activity(actor=alice, reason=f"u{n}", activity=activity, title=f"N{n}!")
    with CaptureQueriesContext(connection) as many:
        total, page = audit_trail(viewer=Actor.system(), actor=alice, offset=2, limit=20)
    assert total >= 27
    assert len(page) == 20
    assert len(many.captured_queries) <= len(few.captured_queries) + 2  # + the changed fields' rows


def test_the_admin_audit_trail_page_needs_the_permission(client: Any, auditor: Any, officer: Any) -> None:
    create_activity(
        actor=officer,
        reason="by the officer",
        kind="mission",
        start_date=datetime.date(2006, 3, 1),
        title="Listed mission",
    )
    client.force_login(officer)
    assert client.get("/admin/audit-trail/").status_code == 403
    client.force_login(auditor)
    response = client.get("/admin/audit-trail/", {"account": officer.pk, "model": "missions.activity"})
    assert response.status_code == 200
    assert "by the officer" in response.content.decode()
    assert client.get("/admin/audit-trail/", {"since": "not a date"}).status_code == 200  # a form error


def test_an_auditor_reads_the_history_of_a_record_of_any_region(client: Any, auditor: Any) -> None:
    region = RegionFactory.create(name="Somewhere (test)")
    country = CountryFactory.create(iso3="QAU", iso2="Q5", m49="975", field_region=region)
    activity = create_activity(
        actor=None,
        reason="loaded",
        kind="mission",
        start_date=datetime.date(2006, 3, 1),
        title="Far mission",
        host_country=country,
    )
    client.force_login(auditor)
    response = client.get(reverse("admin:missions_activity_history", args=[activity.pk]))
    assert response.status_code == 200
    assert "loaded" in response.content.decode()
    # ... which an officer of another region cannot
    setup_roles()
    officer = UserFactory.create(username="elsewhere", is_staff=True)
    officer.groups.add(Group.objects.get(name=OFFICER))
    OfficerAssignment.objects.create(user=officer, region=RegionFactory.create(name="Elsewhere (test)"))
    client.force_login(officer)
    assert client.get(reverse("admin:missions_activity_history", args=[activity.pk])).status_code in (
        302,
        403,
        404,
    )


def test_the_audit_api_needs_the_permission_and_filters(auditor: Any) -> None:
    from rest_framework.test import APIClient

    alice = _headquarters("alice")
    create_activity(
        actor=alice,
        reason="from alice",
        kind="mission",
        start_date=datetime.date(2006, 3, 1),
        title="API-listed mission",
    )
    api = APIClient()
    api.force_login(UserFactory.create(username="nobody"))
    assert api.get("/api/v1/audit/").status_code == 403
    api.force_login(auditor)
    response = api.get(
        "/api/v1/audit/", {"account": str(alice.pk), "model": "missions.activity", "limit": "5"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["reason"] == "from alice"
    assert body["results"][0]["actor"] == "alice"
    assert api.get("/api/v1/audit/", {"model": "nope.nothing"}).status_code == 400
    assert api.get("/api/v1/audit/", {"limit": "100000"}).status_code == 400
    assert "/api/v1/audit/" in api.get("/api/v1/schema/", {"format": "json"}).json()["paths"]
