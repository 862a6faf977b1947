"""The issue's "done when", as one story: a new integration, with nothing but the served
documentation, gets a token from an administrator, reads everything changed since yesterday,
creates an activity once despite retrying, and is refused what its scope does not allow."""

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time

from missions.models import Activity
from tests.api.conftest import client_for
from tests.factories import ActivityFactory, CountryFactory, UserFactory
from tracker.api import list_cache
from tracker.models import IntegrationAccount


def token_from_admin(admin: Any, account_name: str, *, write: bool) -> str:
    """What the administrator does in the admin: an account for a service user, then a token."""
    service_user = UserFactory.create(username=f"svc-{account_name}", password=None)
    service_user.groups.add(Group.objects.get(name="Integration"))
    response = admin.post(
        "/admin/tracker/integrationaccount/add/",
        {
            "name": account_name,
            "user": service_user.pk,
            "scope_read": "on",
            **({"scope_write": "on"} if write else {}),
            "is_active": "on",
            "contact": "ops@example.org",
        },
    )
    assert response.status_code == 302, response.content[:500]
    account = IntegrationAccount.objects.get(name=account_name)
    response = admin.post(
        "/admin/tracker/apitoken/add/",
        {"account": account.pk, "label": "nightly", "expires_at_0": "2099-01-01", "expires_at_1": "00:00:00"},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    return next(word for m in messages for word in m.split() if word.startswith("trk_"))


@pytest.mark.django_db
@freeze_time("2026-11-30T07:30:00Z")  # the morning of the workshop below; "yesterday" is the 29th
def test_a_new_integration_syncs_creates_once_and_is_refused_beyond_its_scope(client) -> None:  # type: ignore[no-untyped-def]
    call_command("setup_roles", verbosity=0)
    client.force_login(UserFactory.create(username="root", is_staff=True, is_superuser=True))
    old = ActivityFactory.create(title="Changed last week")
    Activity.objects.filter(pk=old.pk).update(updated_at=timezone.now() - datetime.timedelta(days=7))
    list_cache.mark_changed()
    recent = ActivityFactory.create(title="Changed this morning")
    writer = client_for(token_from_admin(client, "CTED database", write=True))
    reader = client_for(token_from_admin(client, "Dashboard", write=False))

    # The documentation is served by the project and tells how to synchronise.
    assert client_for(None).get("/api/v1/docs/").status_code == 200
    schema = client_for(None).get("/api/v1/schema/", {"format": "json"}).json()
    parameters = schema["paths"]["/api/v1/activities/"]["get"]["parameters"]
    assert "updated_since" in {p["name"] for p in parameters}
    assert "Idempotency-Key" in str(schema["paths"]["/api/v1/activities/"]["post"])

    # Everything changed since yesterday, and nothing older.
    yesterday = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    page = writer.get("/api/v1/activities/", {"updated_since": yesterday}).json()
    assert [a["title"] for a in page["results"]] == [recent.title]

    # One activity, however often the create is retried.
    body = {
        "kind": "workshop",
        "title": "Subregional workshop, Dakar",
        "start_date": "2026-11-30",
        "countries": [{"country": CountryFactory.create().iso3, "role": "participant"}],
    }
    first = writer.post("/api/v1/activities/", body, format="json", HTTP_IDEMPOTENCY_KEY="create-dakar-1")
    retry = writer.post("/api/v1/activities/", body, format="json", HTTP_IDEMPOTENCY_KEY="create-dakar-1")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert Activity.objects.filter(title=body["title"]).count() == 1
    page = reader.get("/api/v1/activities/", {"updated_since": yesterday}).json()
    assert sorted(a["title"] for a in page["results"]) == sorted(
        [recent.title, "Subregional workshop, Dakar"]
    )

    # A read-only account is refused writes, with a reason.
    refused = reader.post("/api/v1/activities/", body, format="json")
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/problem+json")
    assert "scope" in refused.json()["detail"]
