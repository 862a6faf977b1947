"""The activity list's page cache (tracker/api/list_cache.py) never shows what has changed.

Every test reads a page twice (the second from the cache), changes something the page shows
or decides, and checks that the next read is built afresh and equals what the serializers say.
"""

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from missions.models import Activity, ActivityCountry, OfficerAssignment
from missions.services.activities import (
    create_action_plan,
    create_activity,
    delete_activity,
    update_activity,
)
from partners.api.serializers import ActivitySerializer
from partners.models import Organisation
from tests.api.conftest import client_for, make_account
from tests.factories import (
    ActivityCountryFactory,
    ActivityFactory,
    ActivityOrganisationFactory,
    CountryFactory,
    OutcomeDocumentFactory,
    ParticipationFactory,
    RegionFactory,
    UserFactory,
)
from tracker.api import list_cache
from tracker.api.authentication import issue_token
from tracker.models import DataChange

ROOT = Path(__file__).resolve().parents[2]
URL = "/api/v1/activities/"


def expected_results() -> list[dict[str, Any]]:
    data = ActivitySerializer(Activity.objects.order_by("pk"), many=True).data
    return json.loads(JSONRenderer().render(data))  # type: ignore[no-any-return]


def read(client: APIClient, **params: Any) -> tuple[str, list[dict[str, Any]]]:
    response = client.get(URL, {"page_size": 100, **params})
    assert response.status_code == 200, response.content[:300]
    return response["X-List-Cache"], response.json()["results"]


@pytest.fixture
def activity(db) -> Activity:  # type: ignore[no-untyped-def]
    officer = UserFactory.create(username="officer-before")
    activity = ActivityFactory.create(title="Before", responsible_officer=officer)
    ActivityCountryFactory.create(activity=activity, role="beneficiary")
    ParticipationFactory.create(activity=activity, role="judges", count=5)
    OutcomeDocumentFactory.create(activity=activity, kind="declaration", title="Declaration")
    ActivityOrganisationFactory.create(activity=activity, role="co_organiser")
    return activity


def warm(client: APIClient) -> None:
    assert read(client)[0] == "miss"
    assert read(client)[0] == "hit"


def _rename_officer(activity: Activity) -> None:
    officer = activity.responsible_officer
    assert officer is not None
    officer.username = "officer-after"
    officer.save()


def _recode_organisation(activity: Activity) -> None:
    organisation = Organisation.objects.get(activity_roles__activity=activity)
    organisation.code = "ORG-RECODED"
    organisation.save()


def _recode_country(activity: Activity) -> None:
    role = ActivityCountry.objects.get(activity=activity)
    role.country.iso3 = "XRC"
    role.country.save()


CHANGES: dict[str, Callable[[Activity], Any]] = {
    "its title": lambda a: update_activity(actor=None, reason="test", activity=a, title="After"),
    "its countries": lambda a: update_activity(
        actor=None, reason="test", activity=a, countries=[(CountryFactory.create(), "participant")]
    ),
    "its participants": lambda a: update_activity(
        actor=None, reason="test", activity=a, participations=[{"role": "prosecutors", "count": 9}]
    ),
    "its outcomes": lambda a: update_activity(actor=None, reason="test", activity=a, outcomes=[]),
    "an organisation's notes": lambda a: a.organisation_roles.update_or_create(
        role="co_organiser", defaults={"notes": "Shared costs"}
    ),
    "an embedded organisation code": _recode_organisation,
    "an embedded country code": _recode_country,
    "the responsible officer's user name": _rename_officer,
    "a new activity": lambda a: create_activity(
        actor=None, reason="test", kind="training_course", title="New", start_date=a.start_date
    ),
    "a deletion": lambda a: delete_activity(actor=None, reason="test", activity=a),
}


@pytest.mark.django_db
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_next_read_after_any_change_is_built_afresh(read_client, activity, change) -> None:
    warm(read_client)
    before = expected_results()
    CHANGES[change](activity)
    after = expected_results()
    assert after != before
    assert read(read_client) == ("miss", after)
    assert read(read_client) == ("hit", after)


@pytest.mark.django_db
def test_a_write_through_the_api_is_seen_by_the_next_read(read_client, write_client, activity) -> None:
    warm(read_client)
    current = write_client.get(f"{URL}{activity.pk}/")
    changed = write_client.patch(
        f"{URL}{activity.pk}/", {"title": "Renamed by CTED"}, format="json", HTTP_IF_MATCH=current["ETag"]
    )
    assert changed.status_code == 200
    state, results = read(read_client)
    assert state == "miss"
    assert [r["title"] for r in results] == ["Renamed by CTED"]


@pytest.mark.django_db
def test_callers_with_other_scopes_never_share_a_page(activity) -> None:
    ActivityFactory.create(title="Secret", is_confidential=True)
    _, plain = issue_token(account=make_account("plain", write=False))
    _, trusted = issue_token(account=make_account("trusted", write=False, confidential=True))
    for _ in range(2):
        assert [r["title"] for r in read(client_for(trusted))[1]] == ["Before", "Secret"]
        assert [r["title"] for r in read(client_for(plain))[1]] == ["Before"]


@pytest.mark.django_db
def test_an_officer_given_another_region_sees_it_at_once(client) -> None:  # type: ignore[no-untyped-def]
    west, east = RegionFactory.create(code="FIELD-W"), RegionFactory.create(code="FIELD-E")
    ActivityFactory.create(title="In the west", region=west)
    ActivityFactory.create(title="In the east", region=east)
    reader = UserFactory.create(username="regional")
    reader.user_permissions.add(*make_account("perms", write=False).user.user_permissions.all())
    OfficerAssignment.objects.create(user=reader, region=west)
    client.force_login(reader)
    assert [r["title"] for r in read(client)[1]] == ["In the west"]
    assert read(client)[0] == "hit"
    OfficerAssignment.objects.create(user=reader, region=east)
    assert sorted(r["title"] for r in read(client)[1]) == ["In the east", "In the west"]


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_no_page_to_be_matched_later(read_client, activity) -> None:
    warm(read_client)

    def write_read_and_abandon() -> None:
        with transaction.atomic():
            create_activity(
                actor=None,
                reason="test",
                kind="training_course",
                title="Rolled back",
                start_date=activity.start_date,
            )
            assert [r["title"] for r in read(read_client)[1]] == ["Before", "Rolled back"]
            raise RuntimeError("abandon the write")

    with pytest.raises(RuntimeError):
        write_read_and_abandon()
    # A later write takes the same change-log id (SQLite reuses it after a rollback) but not
    # its random token, so the rolled-back page is never served.
    create_activity(
        actor=None, reason="test", kind="training_course", title="Kept", start_date=activity.start_date
    )
    assert read(read_client) == ("miss", expected_results())
    assert [r["title"] for r in read(read_client)[1]] == ["Before", "Kept"]


@pytest.mark.django_db
def test_a_queryset_update_is_seen_once_it_marks_the_change(read_client, activity) -> None:
    warm(read_client)
    Activity.objects.filter(pk=activity.pk).update(title="Bulk")  # sends no signal
    list_cache.mark_changed()  # what every bulk writer must do (see list_cache)
    assert [r["title"] for r in read(read_client)[1]] == ["Bulk"]


@pytest.mark.django_db
def test_errors_and_spreadsheets_are_never_cached(read_client, activity) -> None:
    for _ in range(2):
        bad = read_client.get(URL, {"kind": "nonsense"})
        assert bad.status_code == 400
        assert "X-List-Cache" not in bad
        csv = read_client.get(URL, {"format": "csv"})
        assert csv.status_code == 200
        assert "X-List-Cache" not in csv


@pytest.mark.django_db
def test_the_cache_can_be_turned_off(read_client, activity, settings) -> None:  # type: ignore[no-untyped-def]
    settings.API_LIST_CACHE_SECONDS = 0
    for _ in range(2):
        response = read_client.get(URL)
        assert response.status_code == 200
        assert "X-List-Cache" not in response


@pytest.mark.django_db
def test_pruning_the_change_log_keeps_the_last_rows_and_stays_correct(read_client, activity) -> None:
    for _ in range(5):
        list_cache.mark_changed()
    warm(read_client)
    last = DataChange.objects.order_by("-id").values_list("id", flat=True)[:2]
    assert list_cache.prune(keep=2) >= 4
    assert list(DataChange.objects.order_by("-id").values_list("id", flat=True)) == list(last)
    assert read(read_client) == ("miss", expected_results())


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_write_by_another_process_is_seen_at_once() -> None:
    """Another process (a gunicorn worker, Celery, the admin) commits a change: the next read here
    is built afresh, with the real PostgreSQL and the shared Redis cache."""
    assert connection.vendor == "postgresql"
    assert "redis" in str(settings.CACHES["default"]["BACKEND"]).lower()
    activity = ActivityFactory.create(title="Before")
    _, secret = issue_token(account=make_account("reader", write=False))
    client = client_for(secret)
    warm(client)
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    code = (
        "from missions.models import Activity\n"
        "from missions.services.activities import update_activity\n"
        f"stored = Activity.objects.get(pk={activity.pk})\n"
        "update_activity(actor=None, reason='other process', activity=stored, title='Changed elsewhere')\n"
    )
    subprocess.run(  # noqa: S603 -- our own interpreter and code
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert read(client) == ("miss", expected_results())
    assert [r["title"] for r in read(client)[1]] == ["Changed elsewhere"]


@pytest.mark.django_db
def test_nothing_is_cached_while_the_change_log_is_empty(read_client, activity) -> None:
    """A new or flushed database: an empty log cannot tell two states of the data apart."""
    DataChange.objects.all().delete()
    for _ in range(2):
        response = read_client.get(URL)
        assert response.status_code == 200
        assert "X-List-Cache" not in response


@pytest.mark.django_db
def test_a_cache_that_is_down_never_fails_a_read(read_client, activity, settings) -> None:  # type: ignore[no-untyped-def]
    """Pages are built afresh (and correct) while the page cache's Redis refuses connections."""
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        **settings.CACHES,
        list_cache.CACHE_ALIAS: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    for _ in range(2):
        assert read(read_client) == ("miss", expected_results())


@pytest.mark.django_db
def test_a_single_activity_comes_from_the_cache_with_its_etag(
    read_client, write_client, activity, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    url = f"{URL}{activity.pk}/"
    built = read_client.get(url)
    assert built["X-List-Cache"] == "miss"
    with django_assert_num_queries(4):  # token, permissions, regions, data version
        cached = read_client.get(url)
    assert cached["X-List-Cache"] == "hit"
    assert (cached.content, cached["ETag"]) == (built.content, built["ETag"])
    assert read_client.get(url, HTTP_IF_NONE_MATCH=built["ETag"]).status_code == 304
    # The cached ETag is the current one: a write with it succeeds, and the next read is new.
    changed = write_client.patch(url, {"title": "After"}, format="json", HTTP_IF_MATCH=cached["ETag"])
    assert changed.status_code == 200
    fresh = read_client.get(url)
    assert fresh["X-List-Cache"] == "miss"
    assert fresh.json()["title"] == "After"
    assert fresh["ETag"] == changed["ETag"] != built["ETag"]
    assert read_client.get(url, HTTP_IF_NONE_MATCH=built["ETag"]).status_code == 200


@pytest.mark.django_db
def test_a_cached_object_gives_way_when_a_row_it_does_not_show_changes_its_version(
    read_client, write_client, activity
) -> None:  # type: ignore[no-untyped-def]
    # An action plan is not part of the activity's representation (nor watched by the cache),
    # but changing it is a change of the mission: its version, hence its ETag, moves on.
    url = f"{URL}{activity.pk}/"
    country = CountryFactory.create()  # before the page is kept: a country is watched
    built = read_client.get(url)
    assert read_client.get(url)["X-List-Cache"] == "hit"
    create_action_plan(actor=None, reason="t", mission=activity, country=country, title="P")
    fresh = read_client.get(url)
    assert (fresh["X-List-Cache"], fresh.content) == ("miss", built.content)
    assert fresh["ETag"] != built["ETag"]
    assert fresh["ETag"].startswith(f'"activity-{activity.pk}-v2-')
    stale = write_client.patch(url, {"title": "After"}, format="json", HTTP_IF_MATCH=built["ETag"])
    assert stale.status_code == 412
    assert (
        write_client.patch(url, {"title": "After"}, format="json", HTTP_IF_MATCH=fresh["ETag"]).status_code
        == 200
    )


@pytest.mark.django_db
def test_an_object_outside_ones_regions_is_never_served_from_the_cache(client) -> None:  # type: ignore[no-untyped-def]
    west, east = RegionFactory.create(code="FIELD-W"), RegionFactory.create(code="FIELD-E")
    theirs = ActivityFactory.create(title="In the east", region=east)
    reader = UserFactory.create(username="regional")
    reader.user_permissions.add(*make_account("perms", write=False).user.user_permissions.all())
    OfficerAssignment.objects.create(user=reader, region=west)
    hq = UserFactory.create(username="hq", is_superuser=True)
    client.force_login(hq)
    assert client.get(f"{URL}{theirs.pk}/").status_code == 200
    assert client.get(f"{URL}{theirs.pk}/")["X-List-Cache"] == "hit"
    client.force_login(reader)
    for _ in range(2):
        assert client.get(f"{URL}{theirs.pk}/").status_code == 404
