"""The activity services validate everything before writing, replace sets by difference and keep history."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from missions.choices import ActivityKind, CountryRole, FollowUpKind, FollowUpStatus, OutcomeKind, Qualifier
from missions.models import Activity, ActivityCountry, FollowUpRequest, OutcomeDocument, Participation
from missions.services.activities import (
    country_by_code,
    create_action_plan,
    create_activity,
    create_follow_up_request,
    delete_activity,
    set_follow_up_status,
    update_activity,
)
from tests.factories import ActivityFactory, CountryFactory, UserFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2006, 5, 8)


@pytest.fixture
def actor():  # type: ignore[no-untyped-def]
    """Someone at headquarters: the services refuse other regions' records to the others."""
    user = UserFactory.create(username="author")
    user.user_permissions.add(Permission.objects.get(codename="access_all_regions"))
    return user


def _workshop(actor, **extra):  # type: ignore[no-untyped-def]
    burundi = CountryFactory.create(name_en="Burundi")
    return create_activity(
        actor=actor,
        reason="entered from the mission report",
        kind=ActivityKind.WORKSHOP,
        title="Regional workshop",
        start_date=START,
        end_date=START + datetime.timedelta(days=2),
        countries=[(burundi, CountryRole.PARTICIPANT)],
        participations=[{"role": "prosecutors", "count": 30, "count_qualifier": Qualifier.MORE_THAN}],
        outcomes=[{"kind": OutcomeKind.DECLARATION, "title": "Some Declaration", "symbol": "A/61/601"}],
        **extra,
    )


def test_create_activity_stores_sets_and_history_with_actor_and_reason(actor):
    activity = _workshop(actor)

    assert [(str(c.country), c.role) for c in activity.country_roles.all()] == [("Burundi", "participant")]
    assert [(p.role, p.count, p.count_qualifier) for p in activity.participations.all()] == [
        ("prosecutors", 30, "more_than")
    ]
    assert [str(o) for o in activity.outcomes.all()] == ["Some Declaration (A/61/601)"]
    for model in (Activity, ActivityCountry, Participation, OutcomeDocument):
        rows = list(model.history.values_list("history_type", "history_user", "history_change_reason"))  # type: ignore[attr-defined]  # simple-history manager
        assert rows == [("+", actor.pk, "entered from the mission report")]


def test_duplicate_participating_country_is_refused_naming_the_country(actor):
    burundi = CountryFactory.create(name_en="Burundi")
    with pytest.raises(ValidationError) as error:
        create_activity(
            actor=actor,
            reason="r",
            kind=ActivityKind.WORKSHOP,
            title="W",
            start_date=START,
            countries=[(burundi, CountryRole.PARTICIPANT), (burundi, CountryRole.PARTICIPANT)],
        )
    assert error.value.message_dict == {"countries": ["Burundi appears twice as participant."]}
    assert Activity.objects.count() == 0


def test_unknown_country_code_is_refused(actor):
    with pytest.raises(ValidationError) as error:
        country_by_code("QQQ")
    assert error.value.message_dict == {"countries": ["Unknown country code 'QQQ'."]}
    with pytest.raises(ValidationError) as error:
        create_activity(
            actor=actor,
            reason="r",
            kind=ActivityKind.MISSION,
            title="M",
            start_date=START,
            countries=[("QQQ", CountryRole.BENEFICIARY)],
        )
    assert error.value.message_dict == {"countries": ["Unknown country code 'QQQ'."]}


def test_end_before_start_is_refused_on_the_field_and_nothing_is_saved(actor):
    with pytest.raises(ValidationError) as error:
        create_activity(
            actor=actor,
            reason="r",
            kind=ActivityKind.MISSION,
            title="M",
            start_date=START,
            end_date=START - datetime.timedelta(days=1),
        )
    assert error.value.message_dict["end_date"] == ["The end date is before the start date."]
    assert Activity.objects.count() == 0


def test_negative_counts_are_refused(actor):
    with pytest.raises(ValidationError) as error:
        create_activity(
            actor=actor,
            reason="r",
            kind=ActivityKind.WORKSHOP,
            title="W",
            start_date=START,
            participant_count=-1,
        )
    assert error.value.message_dict == {
        "participant_count": ["Ensure this value is greater than or equal to 0."]
    }
    with pytest.raises(ValidationError) as error:
        create_activity(
            actor=actor,
            reason="r",
            kind=ActivityKind.TRAINING_COURSE,
            title="T",
            start_date=START,
            participations=[{"role": "judges", "count": -3}],
        )
    assert error.value.message_dict == {
        "participations": ["Row 1: count: Ensure this value is greater than or equal to 0."]
    }
    assert Activity.objects.count() == 0


def test_unknown_field_is_named(actor):
    with pytest.raises(ValidationError) as error:
        create_activity(
            actor=actor, reason="r", kind=ActivityKind.MISSION, title="M", start_date=START, colour=1
        )
    assert error.value.message_dict == {"colour": ["An activity has no field 'colour'."]}


def test_update_replaces_sets_by_difference_and_a_repeat_writes_nothing(actor):
    activity = _workshop(actor)
    chad = CountryFactory.create(name_en="Chad")

    def change():  # type: ignore[no-untyped-def]
        return update_activity(
            actor=actor,
            reason="corrected",
            activity=activity,
            title="Regional workshop (corrected)",
            countries=[(chad, CountryRole.PARTICIPANT)],
            participations=[{"role": "prosecutors", "count": 31}],
        )

    updated = change()
    counts = [m.history.count() for m in (Activity, ActivityCountry, Participation, OutcomeDocument)]  # type: ignore[attr-defined]  # simple-history manager
    assert counts == [2, 3, 2, 1]
    assert [c.country.name_en for c in updated.country_roles.all()] == ["Chad"]
    assert list(updated.participations.values_list("count", "count_qualifier")) == [(31, "exact")]
    assert updated.outcomes.count() == 1  # None leaves a set unchanged

    change()
    assert [m.history.count() for m in (Activity, ActivityCountry, Participation, OutcomeDocument)] == counts  # type: ignore[attr-defined]  # simple-history manager
    latest = Activity.history.latest("history_id")  # type: ignore[attr-defined]  # simple-history manager
    assert (latest.history_user, latest.history_change_reason) == (actor, "corrected")


def test_update_of_a_proxy_instance_keeps_history(actor):
    from missions.models import Workshop

    activity = _workshop(actor)
    proxy = Workshop.objects.get(pk=activity.pk)
    update_activity(actor=actor, reason="proxy edit", activity=proxy, title="New title")
    assert Activity.history.filter(history_change_reason="proxy edit").count() == 1  # type: ignore[attr-defined]  # simple-history manager


def test_failed_update_leaves_everything_as_it_was(actor):
    activity = _workshop(actor)
    with pytest.raises(ValidationError):
        update_activity(
            actor=actor,
            reason="r",
            activity=activity,
            title="Changed",
            participations=[{"role": "judges", "count": 5, "trained": 6}],
        )
    activity.refresh_from_db()
    assert activity.title == "Regional workshop"
    assert list(activity.participations.values_list("role", flat=True)) == ["prosecutors"]


def test_delete_activity_removes_children_with_history(actor):
    activity = _workshop(actor)
    delete_activity(actor=actor, reason="entered twice", activity=activity)
    assert Activity.objects.count() == 0
    assert Activity.history.filter(history_type="-", history_change_reason="entered twice").count() == 1  # type: ignore[attr-defined]  # simple-history manager


def test_follow_up_request_needs_a_mission_of_the_right_kind(actor):
    country = CountryFactory.create()
    with pytest.raises(ValidationError) as error:
        create_follow_up_request(
            actor=actor, reason="r", mission=None, country=country, kind=FollowUpKind.TRAINING
        )
    assert list(error.value.message_dict) == ["mission"]
    workshop = ActivityFactory.create(kind=ActivityKind.WORKSHOP)
    with pytest.raises(ValidationError) as error:
        create_follow_up_request(
            actor=actor, reason="r", mission=workshop, country=country, kind=FollowUpKind.TRAINING
        )
    assert list(error.value.message_dict) == ["mission"]
    with pytest.raises(ValidationError) as error:
        create_action_plan(actor=actor, reason="r", mission=workshop, country=country, title="Plan")
    assert list(error.value.message_dict) == ["mission"]


def test_follow_up_request_status_changes_with_history(actor):
    mission = ActivityFactory.create(kind=ActivityKind.MISSION)
    training = ActivityFactory.create(kind=ActivityKind.TRAINING_COURSE)
    request = create_follow_up_request(
        actor=actor,
        reason="asked during the mission",
        mission=mission,
        country=CountryFactory.create(),
        kind=FollowUpKind.TRAINING,
        requested_on=mission.start_date,
    )
    set_follow_up_status(
        actor=actor,
        reason="course held",
        follow_up_request=request,
        status=FollowUpStatus.COMPLETED,
        fulfilled_by=training,
    )
    stored = FollowUpRequest.objects.get()
    assert (stored.status, stored.fulfilled_by) == ("completed", training)
    assert list(stored.history.values_list("status", "history_change_reason")) == [  # type: ignore[attr-defined]  # simple-history manager
        ("completed", "course held"),
        ("requested", "asked during the mission"),
    ]


@pytest.mark.parametrize(
    "model_kwargs",
    [
        {"end_date": START - datetime.timedelta(days=1)},
        {"participant_count": -1},
        {"officials_trained": -5},
        {"stated_country_count": -2},
    ],
)
def test_database_refuses_what_the_forms_refuse(model_kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.create(kind=ActivityKind.MISSION, title="M", start_date=START, **model_kwargs)


def test_database_refuses_a_duplicate_country_role():
    activity = ActivityFactory.create()
    country = CountryFactory.create()
    ActivityCountry.objects.create(activity=activity, country=country, role=CountryRole.PARTICIPANT)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityCountry.objects.create(activity=activity, country=country, role=CountryRole.PARTICIPANT)


def test_database_refuses_a_follow_up_request_without_mission():
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpRequest.objects.create(
            mission=None,  # type: ignore[misc]  # the point: the database refuses it
            country=CountryFactory.create(),
            kind=FollowUpKind.OTHER,
        )


def test_values_given_as_text_compare_as_stored_so_a_repeat_writes_nothing(actor):
    activity = _workshop(actor)
    update_activity(
        actor=actor, reason="same", activity=activity, start_date="2006-05-08", participant_count="0"
    )
    update_activity(
        actor=actor, reason="same", activity=activity, start_date="2006-05-08", participant_count="0"
    )
    assert activity.history.count() == 2  # type: ignore[attr-defined]  # simple-history manager
    with pytest.raises(ValidationError) as error:
        update_activity(actor=actor, reason="bad", activity=activity, start_date="8 May")
    assert list(error.value.message_dict) == ["start_date"]


def test_database_refuses_more_trained_than_took_part():
    activity = ActivityFactory.create(kind=ActivityKind.TRAINING_COURSE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(activity=activity, role="judges", count=5, trained=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(activity=activity, role="judges", count=5, briefed=9)
