"""One optimistic lock for an activity, whatever the door: its ``version``.

The services add one to it on every change of the activity or of a row hanging off it (its
countries, participations, outcomes, action plans, follow-up requests); the admin's form carries
the version it was built from and the API's ETag carries it too, so a change through one door
makes a form or an ETag from before it stale at the other. A refused save names who changed the
record and when, instead of silently overwriting it.
"""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from missions.models import ActionPlan, Activity, FollowUpRequest
from missions.services import activities as services
from tests.api.conftest import client_for, make_account
from tests.factories import (
    ActionPlanFactory,
    ActivityFactory,
    CountryFactory,
    FollowUpRequestFactory,
    UserFactory,
)
from tests.missions.test_admin_activities import _form_data
from tracker.api.authentication import issue_token
from tracker.writing import save_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def write_client() -> Any:
    """An integration with a write token (its user is svc-writer), through real authentication."""
    _, secret = issue_token(account=make_account("writer", write=True))
    return client_for(secret)


@pytest.fixture
def read_client() -> Any:
    _, secret = issue_token(account=make_account("reader", write=False))
    return client_for(secret)


def admin_url(activity: Activity) -> str:
    return reverse("admin:missions_mission_change", args=[activity.pk])


def api_url(activity: Activity) -> str:
    return f"/api/v1/activities/{activity.pk}/"


def version(activity: Activity) -> int:
    return Activity.objects.values_list("version", flat=True).get(pk=activity.pk)


def etag_version(etag: str, activity: Activity) -> int:
    """The version an activity's ETag carries ("activity-<pk>-v<version>-<digest>", strong)."""
    match = re.fullmatch(rf'"activity-{activity.pk}-v(\d+)-[0-9a-f]{{16}}"', etag)
    assert match is not None, etag
    return int(match.group(1))


def conflict_text(response: Any) -> str:
    assert response.status_code == 200, response.status_code  # the form again, not a redirect
    return " ".join(response.context["adminform"].form.non_field_errors())


# --- The admin against the admin -----------------------------------------------------------------
def test_the_second_save_gets_a_conflict_error(officer_client: Any) -> None:
    activity = ActivityFactory.create(title="Mission to Mali")
    url = admin_url(activity)
    first = _form_data(officer_client.get(url))  # the officer opens the page
    colleague = UserFactory.create(username="colleague", is_staff=True, is_superuser=True)
    other_session = Client()
    other_session.force_login(colleague)
    second = _form_data(other_session.get(url))  # the colleague opens it too, in their own session
    assert first["edit_version"] == second["edit_version"] == "1"

    second["title"] = "Mission to Mali (colleague)"
    assert other_session.post(url, second).status_code == 302
    assert version(activity) == 2

    first["title"] = "Mission to Mali (officer)"
    text = conflict_text(officer_client.post(url, first))
    assert "changed by colleague at" in text
    assert "reload" in text
    assert Activity.objects.get(pk=activity.pk).title == "Mission to Mali (colleague)"

    # After reloading, the officer's save goes through.
    fresh = _form_data(officer_client.get(url))
    assert fresh["edit_version"] == "2"
    fresh["title"] = "Mission to Mali (officer)"
    assert officer_client.post(url, fresh).status_code == 302
    assert (Activity.objects.get(pk=activity.pk).title, version(activity)) == ("Mission to Mali (officer)", 3)


def test_a_change_through_another_door_or_to_a_row_of_the_activity_is_a_conflict_too(
    officer_client: Any,
) -> None:
    activity = ActivityFactory.create(title="Workshop")
    opened = _form_data(officer_client.get(admin_url(activity)))
    services.update_activity(actor=None, reason="import", activity=activity, notes="changed by an import")
    opened["title"] = "Workshop (edited)"
    assert "changed by the system" in conflict_text(officer_client.post(admin_url(activity), opened))
    assert Activity.objects.get(pk=activity.pk).title == "Workshop"

    reopened = _form_data(officer_client.get(admin_url(activity)))
    services.create_action_plan(
        actor=None, reason="import", mission=activity, country=CountryFactory.create(), title="Plan"
    )
    reopened["title"] = "Workshop (edited)"
    assert "changed by the system" in conflict_text(officer_client.post(admin_url(activity), reopened))
    assert Activity.objects.get(pk=activity.pk).title == "Workshop"


def test_saving_twice_without_a_change_in_between_is_no_conflict(officer_client: Any) -> None:
    activity = ActivityFactory.create(title="Visit")
    url = admin_url(activity)
    data = _form_data(officer_client.get(url))
    data["title"] = "Visit (1)"
    assert officer_client.post(url, data).status_code == 302
    data = _form_data(officer_client.get(url))
    data["title"] = "Visit (2)"
    assert officer_client.post(url, data).status_code == 302
    assert Activity.objects.get(pk=activity.pk).title == "Visit (2)"


# --- The admin against the API ------------------------------------------------------------------
def test_an_etag_read_before_an_admin_save_is_refused_by_the_api(
    officer_client: Any, write_client: Any
) -> None:
    activity = ActivityFactory.create(title="Workshop")
    etag = write_client.get(api_url(activity))["ETag"]
    assert etag_version(etag, activity) == 1
    data = _form_data(officer_client.get(admin_url(activity)))
    data["title"] = "Workshop (admin)"
    assert officer_client.post(admin_url(activity), data).status_code == 302

    stale = write_client.patch(
        api_url(activity), {"title": "Workshop (API)"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    assert Activity.objects.get(pk=activity.pk).title == "Workshop (admin)"

    current = write_client.get(api_url(activity))["ETag"]
    assert etag_version(current, activity) == 2
    done = write_client.patch(
        api_url(activity), {"title": "Workshop (API)"}, format="json", HTTP_IF_MATCH=current
    )
    assert done.status_code == 200
    assert etag_version(done["ETag"], activity) == 3
    assert done["ETag"] == write_client.get(api_url(activity))["ETag"]


def test_an_admin_form_opened_before_an_api_patch_is_refused_on_save(
    officer_client: Any, write_client: Any
) -> None:
    activity = ActivityFactory.create(title="Workshop")
    opened = _form_data(officer_client.get(admin_url(activity)))
    etag = write_client.get(api_url(activity))["ETag"]
    changed = write_client.patch(
        api_url(activity), {"title": "Workshop (API)"}, format="json", HTTP_IF_MATCH=etag
    )
    assert changed.status_code == 200

    opened["title"] = "Workshop (admin)"
    text = conflict_text(officer_client.post(admin_url(activity), opened))
    assert "changed by svc-writer at" in text  # the integration account's user
    assert Activity.objects.get(pk=activity.pk).title == "Workshop (API)"


def test_if_match_is_compared_strongly_and_if_none_match_weakly(write_client: Any) -> None:
    activity = ActivityFactory.create(title="Workshop")
    etag = write_client.get(api_url(activity))["ETag"]
    weak = write_client.patch(api_url(activity), {"title": "Weak"}, format="json", HTTP_IF_MATCH=f"W/{etag}")
    assert weak.status_code == 412
    assert write_client.get(api_url(activity), HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    strong = write_client.patch(api_url(activity), {"title": "Strong"}, format="json", HTTP_IF_MATCH=etag)
    assert strong.status_code == 200


# --- What counts as a change --------------------------------------------------------------------
def _countries(activity: Activity) -> None:
    services.update_activity(
        actor=None, reason="t", activity=activity, countries=[(CountryFactory.create(), "beneficiary")]
    )


def _participations(activity: Activity) -> None:
    services.update_activity(
        actor=None, reason="t", activity=activity, participations=[{"role": "judges", "count": 12}]
    )


def _outcomes(activity: Activity) -> None:
    services.update_activity(
        actor=None, reason="t", activity=activity, outcomes=[{"kind": "declaration", "title": "Declaration"}]
    )


def _new_plan(activity: Activity) -> None:
    services.create_action_plan(
        actor=None, reason="t", mission=activity, country=CountryFactory.create(), title="P"
    )


def _changed_plan(activity: Activity) -> None:
    services.update_action_plan(
        actor=None, reason="t", action_plan=ActionPlan.objects.get(), title="P (revised)"
    )


def _deleted_plan(activity: Activity) -> None:
    services.delete_action_plan(actor=None, reason="t", action_plan=ActionPlan.objects.get())


def _new_request(activity: Activity) -> None:
    services.create_follow_up_request(
        actor=None, reason="t", mission=activity, country=CountryFactory.create(), kind="training"
    )


def _request_status(activity: Activity) -> None:
    services.set_follow_up_status(
        actor=None, reason="t", follow_up_request=FollowUpRequest.objects.get(), status="in_progress"
    )


def _deleted_request(activity: Activity) -> None:
    services.delete_follow_up_request(actor=None, reason="t", follow_up_request=FollowUpRequest.objects.get())


@pytest.mark.parametrize(
    "change",
    [
        _countries,
        _participations,
        _outcomes,
        _new_plan,
        _changed_plan,
        _deleted_plan,
        _new_request,
        _request_status,
        _deleted_request,
    ],
)
def test_a_change_of_a_row_hanging_off_the_activity_is_one_more_version(
    change: Callable[[Activity], None], read_client: Any
) -> None:
    activity = ActivityFactory.create(title="Mission")
    ActionPlanFactory.create(mission=activity)
    FollowUpRequestFactory.create(mission=activity)  # the factories write no version: still 1
    before = read_client.get(api_url(activity))["ETag"]
    assert etag_version(before, activity) == 1
    change(activity)
    assert version(activity) == 2
    after = read_client.get(api_url(activity))
    assert etag_version(after["ETag"], activity) == 2
    assert read_client.get(api_url(activity), HTTP_IF_NONE_MATCH=before).status_code == 200


def test_moving_an_action_plan_to_another_mission_changes_both(read_client: Any) -> None:
    first, second = ActivityFactory.create(), ActivityFactory.create()
    plan = ActionPlanFactory.create(mission=first)
    services.update_action_plan(actor=None, reason="t", action_plan=plan, mission=second)
    assert (version(first), version(second)) == (2, 2)


def test_a_repeated_update_writes_nothing_and_keeps_the_version(write_client: Any) -> None:
    activity = ActivityFactory.create(title="Mission")
    plan = ActionPlanFactory.create(mission=activity)
    country = CountryFactory.create()
    change: dict[str, Any] = {
        "title": "Mission (revised)",
        "countries": [(country, "beneficiary")],
        "participations": [{"role": "judges", "count": 12}],
        "outcomes": [{"kind": "declaration", "title": "Declaration"}],
    }
    services.update_activity(actor=None, reason="t", activity=activity, **change)
    assert version(activity) == 2  # one call, one change, however many rows it wrote
    history = Activity.history.filter(id=activity.pk).count()
    services.update_activity(actor=None, reason="t", activity=activity, **change)
    services.update_action_plan(actor=None, reason="t", action_plan=plan, title=plan.title)
    assert version(activity) == 2
    assert Activity.history.filter(id=activity.pk).count() == history

    etag = write_client.get(api_url(activity))["ETag"]
    same = write_client.patch(
        api_url(activity), {"title": "Mission (revised)"}, format="json", HTTP_IF_MATCH=etag
    )
    assert (same.status_code, same["ETag"]) == (200, etag)
    assert version(activity) == 2


def test_the_service_refuses_an_update_made_from_an_older_version() -> None:
    activity = ActivityFactory.create(title="Mission")
    services.update_activity(actor=None, reason="t", activity=activity, notes="first")
    with pytest.raises(ValidationError) as refused:
        services.update_activity(
            actor=None, reason="t", activity=activity, expected_version=1, title="Late", countries=[]
        )
    assert refused.value.messages == [
        "This activity was changed since you opened it (version 1, now 2); reload it to see that change "
        "(yours was not saved)."
    ]
    assert (Activity.objects.get(pk=activity.pk).title, version(activity)) == ("Mission", 2)
    services.update_activity(actor=None, reason="t", activity=activity, expected_version=2, title="On time")
    assert (Activity.objects.get(pk=activity.pk).title, version(activity)) == ("On time", 3)


def test_save_record_counts_each_save_of_a_stored_record() -> None:
    activity = ActivityFactory.create()
    assert activity.version == 1
    activity.notes = "changed"
    save_record(activity, actor=None, reason="t")
    assert (activity.version, version(activity)) == (2, 2)
