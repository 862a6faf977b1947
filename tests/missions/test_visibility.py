"""The one visibility rule (missions.visibility): an officer sees and changes only the work of
their regions, and confidential records only with the permission (a token also with the scope)."""

import pytest
from django.contrib.auth.models import Permission

from missions import visibility
from missions.models import Activity, OfficerAssignment
from tests.factories import (
    ActivityCountryFactory,
    ActivityFactory,
    CountryFactory,
    OutcomeDocumentFactory,
    RegionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    wca = RegionFactory.create(name="Test field region A")
    sea = RegionFactory.create(name="Test field region B")
    mali = CountryFactory.create(name_en="Mali (test)", field_region=wca)
    laos = CountryFactory.create(name_en="Lao PDR (test)", field_region=sea)
    in_mali = ActivityFactory.create(title="Mission to Mali", host_country=mali)
    in_laos = ActivityFactory.create(title="Mission to Lao PDR")
    ActivityCountryFactory.create(activity=in_laos, country=laos)
    tagged_wca = ActivityFactory.create(title="Regional workshop", region=wca)
    secret = ActivityFactory.create(title="Confidential visit", host_country=mali, is_confidential=True)
    officer = UserFactory.create(username="wca-officer", is_staff=True)
    officer.user_permissions.add(
        Permission.objects.get(codename="change_activity"),
        Permission.objects.get(codename="view_confidential_activity"),
    )
    OfficerAssignment.objects.create(user=officer, region=wca)
    return {
        "wca": wca,
        "sea": sea,
        "officer": officer,
        "mali": in_mali,
        "laos": in_laos,
        "tagged": tagged_wca,
        "secret": secret,
    }


def _titles(qs):
    return sorted(qs.values_list("title", flat=True))


def test_an_officer_sees_only_the_activities_of_their_regions(world):
    assert _titles(visibility.activities(world["officer"])) == [
        "Confidential visit",
        "Mission to Mali",
        "Regional workshop",
    ]


def test_an_officer_cannot_change_an_activity_of_another_region(world):
    officer = world["officer"]
    assert visibility.can_change_activity(officer, world["mali"]) is True
    assert visibility.can_change_activity(officer, world["laos"]) is False


def test_without_the_change_permission_nothing_is_changeable(world):
    reader = UserFactory.create(username="wca-reader")
    OfficerAssignment.objects.create(user=reader, region=world["wca"])
    assert visibility.can_see(reader, world["mali"]) is True
    assert visibility.can_change_activity(reader, world["mali"]) is False


def test_a_user_with_no_region_sees_nothing_and_headquarters_sees_everything(world):
    nobody = UserFactory.create(username="unassigned")
    assert visibility.activities(nobody).count() == 0
    hq = UserFactory.create(username="hq-manager")
    hq.user_permissions.add(Permission.objects.get(codename="access_all_regions"))
    assert visibility.activities(hq).count() == 3  # every region, but not the confidential visit
    hq.user_permissions.add(Permission.objects.get(codename="view_confidential_activity"))
    hq = type(hq).objects.get(pk=hq.pk)  # a fresh user: permissions are cached per instance
    assert visibility.activities(hq).count() == Activity.objects.count() == 4


def test_confidential_activities_need_the_permission(world):
    reader = UserFactory.create(username="wca-no-confidential")
    OfficerAssignment.objects.create(user=reader, region=world["wca"])
    assert _titles(visibility.activities(reader)) == ["Mission to Mali", "Regional workshop"]


def test_a_token_without_the_confidential_scope_sees_no_confidential_record(world):
    from tracker.actors import Actor

    officer = world["officer"]  # holds the permission; the token's scopes narrow it
    assert "Confidential visit" not in _titles(
        visibility.activities(Actor(user=officer, scopes=frozenset({"read"})))
    )
    with_scope = Actor(user=officer, scopes=frozenset({"read", "confidential"}))
    assert "Confidential visit" in _titles(visibility.activities(with_scope))


def test_rows_hanging_off_an_activity_follow_its_visibility(world):
    from missions.models import OutcomeDocument

    OutcomeDocumentFactory.create(activity=world["mali"], title="Plan for Mali")
    OutcomeDocumentFactory.create(activity=world["laos"], title="Plan for Lao PDR")
    rows = visibility.through_activity(world["officer"], OutcomeDocument.objects.all())
    assert sorted(rows.values_list("title", flat=True)) == ["Plan for Mali"]


def test_anonymous_users_see_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert visibility.activities(AnonymousUser()).count() == 0
