"""Two officers open the same activity in the admin; the second save is refused with a clear
error naming who changed it and when, instead of silently overwriting (the API's If-Match
covers the API: tests/api)."""

from typing import Any

import pytest
from django.urls import reverse

from missions.models import Activity
from missions.services.activities import update_activity
from tests.factories import ActivityFactory, UserFactory
from tests.missions.test_admin_activities import _form_data

pytestmark = pytest.mark.django_db


def test_the_second_save_gets_a_conflict_error(officer_client: Any, officer: Any, client: Any) -> None:
    activity = ActivityFactory.create(title="Mission to Mali")
    url = reverse("admin:missions_mission_change", args=[activity.pk])
    first = _form_data(officer_client.get(url))  # officer opens the page
    colleague = UserFactory.create(username="colleague", is_staff=True, is_superuser=True)
    client.force_login(colleague)
    second = _form_data(client.get(url))  # the colleague opens it too
    assert first["edit_version"] == second["edit_version"] != ""

    second["title"] = "Mission to Mali (colleague)"
    assert client.post(url, second).status_code == 302

    first["title"] = "Mission to Mali (officer)"
    response = officer_client.post(url, first)
    assert response.status_code == 200
    text = " ".join(response.context["adminform"].form.non_field_errors())
    assert "changed by colleague at" in text
    assert "reload" in text
    assert Activity.objects.get(pk=activity.pk).title == "Mission to Mali (colleague)"

    # After reloading, the officer's save goes through.
    fresh = _form_data(officer_client.get(url))
    fresh["title"] = "Mission to Mali (officer)"
    assert officer_client.post(url, fresh).status_code == 302
    assert Activity.objects.get(pk=activity.pk).title == "Mission to Mali (officer)"


def test_a_change_through_another_door_or_to_a_row_of_the_activity_is_a_conflict_too(
    officer_client: Any,
) -> None:
    activity = ActivityFactory.create(title="Workshop")
    url = reverse("admin:missions_mission_change", args=[activity.pk])
    opened = _form_data(officer_client.get(url))
    update_activity(actor=None, reason="import", activity=activity, notes="changed by an import")
    opened["title"] = "Workshop (edited)"
    response = officer_client.post(url, opened)
    assert response.status_code == 200
    text = " ".join(response.context["adminform"].form.non_field_errors())
    assert "changed by the system" in text
    assert Activity.objects.get(pk=activity.pk).title == "Workshop"


def test_saving_twice_without_a_change_in_between_is_no_conflict(officer_client: Any) -> None:
    activity = ActivityFactory.create(title="Visit")
    url = reverse("admin:missions_mission_change", args=[activity.pk])
    data = _form_data(officer_client.get(url))
    data["title"] = "Visit (1)"
    assert officer_client.post(url, data).status_code == 302
    data = _form_data(officer_client.get(url))
    data["title"] = "Visit (2)"
    assert officer_client.post(url, data).status_code == 302
    assert Activity.objects.get(pk=activity.pk).title == "Visit (2)"
