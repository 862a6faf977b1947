"""The activity list is built from values() rows (tracker/api/reading.py), not model instances.

These tests hold it to the serializer's output, key for key and in order, on every activity of
the 2006 report and on activities with every nested part, under any ordering, filter and time
zone, so the fast path can never drift from what single objects and ETags show.
"""

import datetime
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from missions.models import Activity
from partners.api.serializers import ActivitySerializer
from partners.api.views import ActivityViewSet
from tests.factories import (
    ActivityCountryFactory,
    ActivityFactory,
    ActivityOrganisationFactory,
    OutcomeDocumentFactory,
    ParticipationFactory,
)
from tests.module_data import module_data
from tracker.api.reading import ValuesReader, reader_for


def serialized(activities: Any) -> list[dict[str, Any]]:
    """What the nested ModelSerializers say of ``activities``, as a client would parse it."""
    data = ActivitySerializer(activities, many=True).data
    return json.loads(JSONRenderer().render(data))  # type: ignore[no-any-return]


def listed(client: Any, **params: Any) -> list[dict[str, Any]]:
    """Every activity the list returns, walking the cursor pages."""
    results: list[dict[str, Any]] = []
    response = client.get("/api/v1/activities/", {"page_size": 7, **params})
    while True:
        assert response.status_code == 200, response.content[:300]
        page = response.json()
        results += page["results"]
        if not page["next"]:
            return results
        response = client.get(page["next"])


_report_2006 = module_data(lambda: call_command("load_report_2006", stdout=io.StringIO()))


@pytest.fixture
def report_2006(db) -> None:  # type: ignore[no-untyped-def]
    """The whole 2006 report, loaded once for the module (``_report_2006``)."""


@pytest.fixture
def rich_activities(db) -> list[Activity]:  # type: ignore[no-untyped-def]
    """Activities with every nested part, empty and null values, and several rows per list."""
    full = ActivityFactory.create(
        title="With everything", notes="", participant_count=None, officials_trained=3, end_date=None
    )
    for role in ("host", "participant"):
        ActivityCountryFactory.create(activity=full, role=role)
    ParticipationFactory.create(activity=full, role="judges", count=12, trained=10, notes="=sum(1)")
    ParticipationFactory.create(activity=full, role="prosecutors", count=None, trained=None)
    OutcomeDocumentFactory.create(activity=full, kind="declaration", title="B", adopted_on=None)
    OutcomeDocumentFactory.create(
        activity=full, kind="declaration", title="A", adopted_on=datetime.date(2006, 3, 1)
    )
    ActivityOrganisationFactory.create(activity=full, role="co_organiser", notes="Shared costs")
    ActivityOrganisationFactory.create(activity=full, role="funder")
    bare = ActivityFactory.create(title="With nothing nested")
    follow_up = ActivityFactory.create(title="A follow-up", follow_up_of=full)
    return [full, bare, follow_up]


@pytest.mark.django_db
def test_the_list_equals_the_serializer_on_every_activity_of_the_2006_report(
    read_client, report_2006
) -> None:
    expected = serialized(Activity.objects.order_by("pk"))
    assert len(expected) >= 120
    assert listed(read_client) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", ["-start_date", "updated_at", "-id"])
def test_the_list_equals_the_serializer_under_any_ordering_and_filter(
    read_client, report_2006, rich_activities, ordering
) -> None:
    shown = listed(read_client, ordering=ordering)
    by_id = {row["id"]: row for row in serialized(Activity.objects.all())}
    assert shown == [by_id[row["id"]] for row in shown]
    assert len(shown) == len(by_id)
    workshops = listed(read_client, ordering=ordering, kind="workshop")
    assert workshops
    assert {row["kind"] for row in workshops} == {"workshop"}
    assert workshops == [by_id[row["id"]] for row in workshops]


@pytest.mark.django_db
def test_nested_parts_keep_their_order_and_empty_values(read_client, rich_activities) -> None:
    full, bare, follow_up = rich_activities
    shown = {row["id"]: row for row in listed(read_client)}
    assert [o["title"] for o in shown[full.pk]["outcomes"]] == ["A", "B"]
    assert shown[full.pk]["outcomes"][0]["adopted_on"] == "2006-03-01"
    assert shown[full.pk]["end_date"] is None
    assert shown[full.pk]["participant_count"] is None
    assert {o["notes"] for o in shown[full.pk]["organisations"]} == {"Shared costs", ""}
    assert shown[bare.pk]["countries"] == []
    assert shown[bare.pk]["organisations"] == []
    assert shown[follow_up.pk]["follow_up_of"] == full.pk
    assert list(shown.values()) == serialized(Activity.objects.order_by("pk"))


@pytest.mark.django_db
def test_datetimes_follow_the_current_time_zone_as_drf_does(rich_activities) -> None:
    reader = reader_for(ActivitySerializer)
    queryset = Activity.objects.order_by("pk")
    with timezone.override("Asia/Tokyo"):
        rows = reader.represent(reader.values(queryset))
        expected = serialized(queryset)
    assert rows == expected
    assert rows[0]["created_at"].endswith("+09:00")


def test_a_field_the_reader_does_not_understand_is_refused_at_once() -> None:
    class Computed(serializers.ModelSerializer):  # type: ignore[type-arg]
        shout = serializers.SerializerMethodField()

        class Meta:
            model = Activity
            fields = ["id", "shout"]

        def get_shout(self, obj: Activity) -> str:
            return obj.title.upper()

    with pytest.raises(TypeError, match="shout: SerializerMethodField"):
        ValuesReader(Computed)


def test_the_activity_list_uses_the_values_reader() -> None:
    assert ActivityViewSet.list_from_values
