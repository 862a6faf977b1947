"""The officers' admin: one page per kind that renders and saves through the services, with history."""

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from missions.admin.activities import ACTIVITY_ADMINS
from missions.choices import ActivityKind, CountryRole, FollowUpKind
from missions.models import ActionPlan, Activity, ActivityCountry, FollowUpRequest, OutcomeDocument
from missions.services.activities import create_activity
from tests.factories import ActivityFactory, CountryFactory

pytestmark = pytest.mark.django_db

# (URL model name, kind written by the page)
PAGES = [
    ("activity", ActivityKind.MISSION),
    ("mission", ActivityKind.MISSION),
    ("videoconference", ActivityKind.VIDEO_CONFERENCE),
    ("ctcreportsupport", ActivityKind.CTC_REPORT_SUPPORT),
    ("delegationvisit", ActivityKind.DELEGATION_VISIT),
    ("ctedjointvisit", ActivityKind.CTED_JOINT_VISIT),
    ("trainingcourse", ActivityKind.TRAINING_COURSE),
    ("workshop", ActivityKind.WORKSHOP),
    ("ministerialmeeting", ActivityKind.MINISTERIAL_MEETING),
    ("otherevent", ActivityKind.EXPERT_MEETING),
]
PAGE_IDS = [name for name, _ in PAGES]


def _url(name: str, action: str, *args: Any) -> str:
    return reverse(f"admin:missions_{name}_{action}", args=args)


def _form_data(response: Any) -> dict[str, Any]:
    """What the browser would post back: the page's form values, existing inline rows, no extra rows."""
    data: dict[str, Any] = {}

    def add(form: Any) -> None:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            if value is True:
                data[bound.html_name] = "on"
            elif isinstance(value, datetime.date):
                data[bound.html_name] = value.isoformat()
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(item) for item in value]
            else:
                data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        initial = formset.initial_form_count()
        for form in formset.forms[:initial]:
            add(form)
        data.update(
            {
                f"{formset.prefix}-TOTAL_FORMS": str(initial),
                f"{formset.prefix}-INITIAL_FORMS": str(initial),
                f"{formset.prefix}-MIN_NUM_FORMS": "0",
                f"{formset.prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


def _add_row(data: dict[str, Any], prefix: str, **values: Any) -> None:
    position = int(data[f"{prefix}-TOTAL_FORMS"])
    for name, value in values.items():
        data[f"{prefix}-{position}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(position + 1)


def _errors(response: Any) -> Any:
    if response.status_code != 200 or not response.context:
        return None
    form_errors = response.context["adminform"].form.errors
    inline_errors = [
        (inline.formset.prefix, inline.formset.errors, inline.formset.non_form_errors())
        for inline in response.context["inline_admin_formsets"]
    ]
    return form_errors, inline_errors


def test_every_activity_admin_is_exported_with_a_plain_inlines_list():
    assert len(ACTIVITY_ADMINS) == 10
    for admin_class in ACTIVITY_ADMINS:
        assert type(admin_class.__dict__.get("inlines", admin_class.inlines)) is list


@pytest.mark.parametrize(("name", "kind"), PAGES, ids=PAGE_IDS)
def test_changelist_add_change_and_history_pages_render(officer_client, name, kind):
    activity = ActivityFactory.create(kind=kind, title="Rendered activity")
    ActivityCountry.objects.create(
        activity=activity, country=CountryFactory.create(), role=CountryRole.BENEFICIARY
    )

    changelist = officer_client.get(_url(name, "changelist"))
    assert changelist.status_code == 200
    assert "Rendered activity" in changelist.content.decode()
    for page in (_url(name, "add"), _url(name, "change", activity.pk), _url(name, "history", activity.pk)):
        assert officer_client.get(page).status_code == 200, page
    search = officer_client.get(_url(name, "changelist"), {"q": "Rendered"})
    assert "Rendered activity" in search.content.decode()


@pytest.mark.parametrize(("name", "kind"), PAGES, ids=PAGE_IDS)
def test_add_saves_through_the_services_with_actor_reason_and_kind(officer_client, officer, name, kind):
    country = CountryFactory.create(name_en="Burundi")
    data = _form_data(officer_client.get(_url(name, "add")))
    data.update(
        {
            "title": "New record",
            "start_date": "2006-05-08",
            "end_date": "2006-05-10",
            "change_reason": "entered from the back-to-office report",
        }
    )
    if "kind" in data or name in ("activity", "otherevent"):
        data["kind"] = kind
    _add_row(data, "country_roles", country=str(country.pk), role=CountryRole.BENEFICIARY)

    response = officer_client.post(_url(name, "add"), data)

    assert response.status_code == 302, _errors(response)
    activity = Activity.objects.get(title="New record")
    assert activity.kind == kind
    assert [(row.country, row.role) for row in activity.country_roles.all()] == [(country, "beneficiary")]
    record = activity.history.get()  # type: ignore[attr-defined]  # simple-history manager
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        officer,
        "entered from the back-to-office report",
    )
    assert ActivityCountry.history.get().history_user == officer  # type: ignore[attr-defined]  # simple-history manager


@pytest.mark.parametrize(("name", "kind"), PAGES, ids=PAGE_IDS)
def test_change_keeps_history_of_who_what_and_why(officer_client, officer, name, kind):
    activity = create_activity(
        actor=None,
        reason="import",
        kind=kind,
        title="Old title",
        start_date=datetime.date(2006, 3, 1),
        countries=[(CountryFactory.create(), CountryRole.BENEFICIARY)],
    )
    data = _form_data(officer_client.get(_url(name, "change", activity.pk)))
    data.update({"title": "New title", "change_reason": "typo in the title"})

    response = officer_client.post(_url(name, "change", activity.pk), data)

    assert response.status_code == 302, _errors(response)
    records = list(activity.history.order_by("history_id"))  # type: ignore[attr-defined]  # simple-history manager
    assert [(r.title, r.history_user, r.history_change_reason) for r in records] == [
        ("Old title", None, "import"),
        ("New title", officer, "typo in the title"),
    ]
    assert ActivityCountry.objects.filter(activity=activity).count() == 1  # untouched rows stay
    assert ActivityCountry.history.count() == 1  # type: ignore[attr-defined]  # and write no history
    history_page = officer_client.get(_url(name, "history", activity.pk)).content.decode()
    assert "typo in the title" in history_page
    assert "officer" in history_page


def test_end_before_start_is_shown_on_the_field_and_nothing_is_saved(officer_client):
    data = _form_data(officer_client.get(_url("workshop", "add")))
    data.update({"title": "Backwards", "start_date": "2006-05-08", "end_date": "2006-05-01"})

    response = officer_client.post(_url("workshop", "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "end_date": ["The end date is before the start date."]
    }
    assert Activity.objects.count() == 0


def test_negative_counts_are_shown_on_their_fields(officer_client):
    data = _form_data(officer_client.get(_url("trainingcourse", "add")))
    data.update({"title": "T", "start_date": "2006-05-08", "participant_count": "-4"})
    _add_row(data, "participations", role="judges", count="-1", count_qualifier="exact")

    response = officer_client.post(_url("trainingcourse", "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "participant_count": ["Ensure this value is greater than or equal to 0."]
    }
    participations = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "participations"
    )
    assert participations.errors == [{"count": ["Ensure this value is greater than or equal to 0."]}]
    assert Activity.objects.count() == 0


def test_duplicate_participating_country_is_named_on_the_row(officer_client):
    burundi = CountryFactory.create(name_en="Burundi")
    data = _form_data(officer_client.get(_url("workshop", "add")))
    data.update({"title": "W", "start_date": "2006-05-08"})
    _add_row(data, "country_roles", country=str(burundi.pk), role=CountryRole.PARTICIPANT)
    _add_row(data, "country_roles", country=str(burundi.pk), role=CountryRole.PARTICIPANT)

    response = officer_client.post(_url("workshop", "add"), data)

    assert response.status_code == 200
    countries = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "country_roles"
    )
    assert countries.errors == [{}, {"country": ["Burundi appears twice as participant."]}]
    assert Activity.objects.count() == 0


def test_mission_page_saves_action_plans_and_follow_up_requests_with_history(officer_client, officer):
    country = CountryFactory.create()
    data = _form_data(officer_client.get(_url("mission", "add")))
    data.update({"title": "Mission", "start_date": "2006-05-08", "change_reason": "mission report"})
    _add_row(data, "country_roles", country=str(country.pk), role=CountryRole.BENEFICIARY)
    _add_row(data, "action_plans", country=str(country.pk), title="National action plan", status="drafted")
    _add_row(
        data,
        "follow_up_requests",
        country=str(country.pk),
        kind=FollowUpKind.LEGISLATIVE_DRAFTING,
        status="requested",
        requested_on="2006-05-10",
    )

    response = officer_client.post(_url("mission", "add"), data)

    assert response.status_code == 302, _errors(response)
    mission = Activity.objects.get(title="Mission")
    plan = ActionPlan.objects.get()
    request = FollowUpRequest.objects.get()
    assert (plan.mission_id, request.mission_id) == (mission.pk, mission.pk)
    assert plan.history.get().history_change_reason == "mission report"  # type: ignore[attr-defined]  # simple-history manager
    assert request.history.get().history_user == officer  # type: ignore[attr-defined]  # simple-history manager

    data = _form_data(officer_client.get(_url("mission", "change", mission.pk)))
    data.update({"follow_up_requests-0-status": "completed", "change_reason": "drafting done"})
    response = officer_client.post(_url("mission", "change", mission.pk), data)
    assert response.status_code == 302, _errors(response)
    assert list(request.history.values_list("status", "history_change_reason")) == [  # type: ignore[attr-defined]  # simple-history manager
        ("completed", "drafting done"),
        ("requested", "mission report"),
    ]


def test_follow_up_request_page_refuses_a_mission_of_the_wrong_kind(officer_client):
    workshop = ActivityFactory.create(kind=ActivityKind.WORKSHOP)
    country = CountryFactory.create()
    response = officer_client.post(
        _url("followuprequest", "add"),
        {"mission": str(workshop.pk), "country": str(country.pk), "kind": "training", "status": "requested"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "mission": ["A follow-up request follows a technical-assistance mission."]
    }
    response = officer_client.post(
        _url("followuprequest", "add"),
        {"country": str(country.pk), "kind": "training", "status": "requested"},
    )
    assert response.context["adminform"].form.errors == {"mission": ["This field is required."]}
    assert FollowUpRequest.objects.count() == 0


def test_cted_visit_page_records_the_needs_assessment_received(officer_client):
    data = _form_data(officer_client.get(_url("ctedjointvisit", "add")))
    data.update({"title": "Joint visit", "start_date": "2006-06-01"})
    _add_row(data, "outcomes", kind="needs_assessment", title="Needs assessment", adopted_on="2006-09-01")

    response = officer_client.post(_url("ctedjointvisit", "add"), data)

    assert response.status_code == 302, _errors(response)
    outcome = OutcomeDocument.objects.get()
    assert (outcome.kind, outcome.activity.kind, outcome.adopted_on) == (
        "needs_assessment",
        ActivityKind.CTED_JOINT_VISIT,
        datetime.date(2006, 9, 1),
    )


def test_other_events_page_lists_expert_meetings_and_briefings_only(officer_client):
    ActivityFactory.create(kind=ActivityKind.BRIEFING, title="A briefing")
    ActivityFactory.create(kind=ActivityKind.EXPERT_MEETING, title="An expert meeting")
    ActivityFactory.create(kind=ActivityKind.WORKSHOP, title="A workshop")
    page = officer_client.get(_url("otherevent", "changelist")).content.decode()
    assert "A briefing" in page
    assert "An expert meeting" in page
    assert "A workshop" not in page


def test_filters_by_country_region_year_kind_and_status(officer_client):
    country = CountryFactory.create(iso3="XQA", name_en="Filterland")
    tagged = ActivityFactory.create(
        kind=ActivityKind.WORKSHOP, title="Tagged", start_date=datetime.date(2005, 4, 1)
    )
    ActivityCountry.objects.create(activity=tagged, country=country, role=CountryRole.PARTICIPANT)
    ActivityFactory.create(kind=ActivityKind.WORKSHOP, title="Untagged")
    url = _url("activity", "changelist")
    for query in (
        {"country": "XQA"},
        {"year": "2005"},
        {"kind": "workshop", "year": "2005"},
        {"status": "held"},
    ):
        page = officer_client.get(url, query).content.decode()
        assert "Tagged" in page, query
    assert "Untagged" not in officer_client.get(url, {"country": "XQA"}).content.decode()
    assert officer_client.get(url, {"region": "NO-SUCH"}).status_code == 200


@pytest.mark.parametrize(("name", "kind"), PAGES, ids=PAGE_IDS)
def test_changelist_query_count_does_not_grow_with_rows(officer_client, name, kind):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert officer_client.get(_url(name, "changelist")).status_code == 200
        return len(queries)

    host, participant = CountryFactory.create(), CountryFactory.create()

    def add_rows(n: int) -> None:
        for _ in range(n):
            activity = ActivityFactory.create(kind=kind, host_country=host)
            ActivityCountry.objects.create(activity=activity, country=participant, role="participant")

    add_rows(2)
    few = count_queries()
    add_rows(20)
    many = count_queries()
    assert many == few
    assert few <= 16


def test_a_past_version_can_be_viewed_but_not_reverted_around_the_services(officer_client):
    activity = create_activity(
        actor=None,
        reason="import",
        kind=ActivityKind.WORKSHOP,
        title="First",
        start_date=datetime.date(2006, 3, 1),
    )
    version = activity.history.get()  # type: ignore[attr-defined]  # simple-history manager
    url = reverse("admin:missions_workshop_simple_history", args=[activity.pk, version.history_id])
    page = officer_client.get(url)
    assert page.status_code == 200
    assert "First" in page.content.decode()
    assert officer_client.post(url, {"title": "Reverted"}).status_code == 403
    assert Activity.objects.get().title == "First"


def test_delete_goes_through_the_service_and_keeps_history(officer_client, officer):
    activity = create_activity(
        actor=None,
        reason="import",
        kind=ActivityKind.VIDEO_CONFERENCE,
        title="Entered twice",
        start_date=datetime.date(2006, 3, 1),
        countries=[(CountryFactory.create(), CountryRole.BENEFICIARY)],
    )
    response = officer_client.post(_url("videoconference", "delete", activity.pk), {"post": "yes"})
    assert response.status_code == 302
    assert Activity.objects.count() == 0
    deletions = Activity.history.filter(history_type="-")  # type: ignore[attr-defined]  # simple-history manager
    assert [(r.history_user, r.history_change_reason) for r in deletions] == [
        (officer, "Deleted in the admin")
    ]
    assert ActivityCountry.history.filter(history_type="-").count() == 1  # type: ignore[attr-defined]  # simple-history manager


def test_other_events_page_offers_only_its_own_kinds(officer_client):
    data = _form_data(officer_client.get(_url("otherevent", "add")))
    data.update({"title": "Not a workshop here", "start_date": "2006-05-08", "kind": ActivityKind.WORKSHOP})

    response = officer_client.post(_url("otherevent", "add"), data)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["kind"]
    assert Activity.objects.count() == 0
