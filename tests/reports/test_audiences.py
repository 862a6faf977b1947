"""Indicator values and reports per audience: a confidential activity counts only for readers who
may see it (people with missions.view_confidential_activity, tokens with the confidential scope)."""

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from missions.choices import ActivityKind, CountryRole
from missions.models import OfficerAssignment
from reports.models import Delivery, IndicatorValue, ReportSchedule
from reports.services.published_figures import load_published_figures
from reports.services.reporting.content import assemble
from reports.services.schedules import dispatch_due, request_report, save_schedule
from reports.services.snapshots import refresh
from tests.api.conftest import client_for, make_account
from tests.factories import (
    ActivityCountryFactory,
    ActivityFactory,
    CountryFactory,
    RegionFactory,
    ReportFactory,
    UserFactory,
)
from tracker.actors import Actor, Audience
from tracker.api.authentication import issue_token
from tracker.models import IntegrationAccount
from tracker.roles import INTEGRATION, setup_roles

pytestmark = pytest.mark.django_db

Y2006 = (datetime.date(2006, 1, 1), datetime.date(2006, 12, 31))
CODES = ["IND-WORKSHOPS-HELD", "IND-WORKSHOP-COUNTRIES"]


@pytest.fixture
def world() -> dict[str, Any]:
    """Two workshops in 2006, the second confidential, each with a country of its own."""
    load_published_figures()
    seen = CountryFactory.create(iso3="QSN", iso2="Q1", m49="981", name_en="Seenland")
    secret = CountryFactory.create(iso3="QSC", iso2="Q2", m49="982", name_en="Secretland")
    public = ActivityFactory.create(
        kind=ActivityKind.WORKSHOP, title="Open workshop", start_date=datetime.date(2006, 5, 8)
    )
    ActivityCountryFactory.create(activity=public, country=seen, role=CountryRole.PARTICIPANT)
    hidden = ActivityFactory.create(
        kind=ActivityKind.WORKSHOP,
        title="Confidential workshop",
        start_date=datetime.date(2006, 9, 4),
        is_confidential=True,
    )
    ActivityCountryFactory.create(activity=hidden, country=secret, role=CountryRole.PARTICIPANT)
    refresh(codes=CODES, periods=[Y2006])
    return {"seen": seen, "secret": secret, "public": public, "hidden": hidden}


def _token_client(name: str, *, confidential: bool, write: bool = False) -> APIClient:
    _token, secret = issue_token(account=make_account(name, write=write, confidential=confidential))
    return client_for(secret)


def _values(client: APIClient) -> dict[str, dict[str, Any]]:
    response = client.get("/api/v1/indicator-values/", {"indicator": ",".join(CODES), "page_size": "100"})
    assert response.status_code == 200, response.content
    return {row["indicator"]: row for row in response.json()["results"]}


def _workshops(client: APIClient) -> list[str]:
    response = client.get("/api/v1/activities/", {"kind": "workshop", "year": "2006", "page_size": "100"})
    assert response.status_code == 200, response.content
    return sorted(row["title"] for row in response.json()["results"])


def _officer_without_confidential_access() -> Any:
    user = UserFactory.create(username="open-officer", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["missions", "partners", "reports"]).exclude(
            codename="view_confidential_activity"
        )
        | Permission.objects.filter(content_type__app_label="tracker", codename="access_all_regions")
    )
    return user


# --- Indicator values ---------------------------------------------------------------------
def test_a_read_token_without_the_confidential_scope_counts_no_confidential_workshop(
    world: dict[str, Any],
) -> None:
    read_client = _token_client("reader", confidential=False)

    values = _values(read_client)

    held, countries = values["IND-WORKSHOPS-HELD"], values["IND-WORKSHOP-COUNTRIES"]
    assert (held["value"], held["audience"]) == ("1.00", "open")
    assert held["breakdown"]["per_region"] == {"(no region)": 1}
    assert (countries["value"], list(countries["breakdown"]["per_country"])) == ("1.00", ["QSN"])
    assert "QSC" not in str(values)
    assert "Secretland" not in str(values)
    # the list of workshops the token is shown and the indicator agree
    assert _workshops(read_client) == ["Open workshop"]
    detail = read_client.get(f"/api/v1/indicator-values/{held['id']}/")
    assert detail.status_code == 200
    hidden = IndicatorValue.objects.get(indicator__code="IND-WORKSHOPS-HELD", audience=Audience.ALL)
    assert read_client.get(f"/api/v1/indicator-values/{hidden.pk}/").status_code == 404


def test_the_confidential_scope_and_the_permission_see_every_workshop(
    world: dict[str, Any], officer: Any, client: Any
) -> None:
    token = _token_client("confidential-reader", confidential=True)
    client.force_login(officer)  # holds missions.view_confidential_activity

    for reader in (token, client):
        values = _values(reader)
        assert (values["IND-WORKSHOPS-HELD"]["value"], values["IND-WORKSHOPS-HELD"]["audience"]) == (
            "2.00",
            "all",
        )
        assert list(values["IND-WORKSHOP-COUNTRIES"]["breakdown"]["per_country"]) == ["QSC", "QSN"]
        assert _workshops(reader) == ["Confidential workshop", "Open workshop"]


def test_the_admin_shows_an_officer_the_values_of_their_audience(world: dict[str, Any], client: Any) -> None:
    client.force_login(_officer_without_confidential_access())

    changelist = client.get("/admin/reports/indicatorvalue/")
    definitions = client.get("/admin/reports/indicatordefinition/")

    assert changelist.status_code == 200
    assert {v.audience for v in changelist.context["cl"].queryset} == {Audience.OPEN}
    workshops = next(d for d in definitions.context["cl"].result_list if d.code == "IND-WORKSHOPS-HELD")
    assert workshops.v2006 == 1


# --- Reports --------------------------------------------------------------------------------
def _schedule_through_the_api(client: APIClient, name: str, **extra: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "frequency": "yearly",
        "formats": ["html"],
        "scope_kind": "global",
        "next_run_at": "2007-01-01T00:00:00Z",
        **extra,
    }
    response = client.post("/api/v1/report-schedules/", body, format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_a_schedule_made_by_a_token_without_the_confidential_scope_makes_open_reports(
    world: dict[str, Any],
) -> None:
    open_schedule = _schedule_through_the_api(_token_client("w-open", confidential=False, write=True), "Open")
    all_schedule = _schedule_through_the_api(_token_client("w-all", confidential=True, write=True), "All")

    reports = {r.schedule_id: r for r in dispatch_due(now=datetime.datetime(2007, 1, 1, tzinfo=datetime.UTC))}

    assert (open_schedule["audience"], all_schedule["audience"]) == ("open", "all")
    open_report, all_report = reports[open_schedule["id"]], reports[all_schedule["id"]]
    assert (open_report.audience, all_report.audience) == (Audience.OPEN, Audience.ALL)
    open_content, all_content = assemble(open_report), assemble(all_report)
    events = [row[1] for row in open_content.section("events").tables[0].rows]
    assert events == ["Open workshop"]
    assert open_content.figures["workshops_and_trainings"] == 1
    assert all_content.figures["workshops_and_trainings"] == 2
    assert {v.audience for v in open_content.indicator_values} == {Audience.OPEN}
    assert "Confidential workshop" not in str(open_content)
    assert "Secretland" not in str(open_content)


def test_a_report_on_demand_is_made_for_its_requester(world: dict[str, Any]) -> None:
    report = request_report(
        actor=Actor.of(_officer_without_confidential_access()),
        title="On demand",
        period_start=Y2006[0],
        period_end=Y2006[1],
        formats=["html"],
    )

    assert report.audience == Audience.OPEN
    assert assemble(report).figures["workshops_and_trainings"] == 1


def test_readers_without_confidential_access_do_not_see_reports_made_with_it(client: Any) -> None:
    ReportFactory.create(title="Inside", audience=Audience.ALL)
    ReportFactory.create(title="Open", audience=Audience.OPEN)
    client.force_login(_officer_without_confidential_access())

    response = client.get("/admin/reports/report/")

    assert [r.title for r in response.context["cl"].result_list] == ["Open"]


# --- Extra addresses --------------------------------------------------------------------------
def _with_extra(addresses: str) -> ReportSchedule:
    return ReportSchedule(
        name="With extras",
        frequency="yearly",
        formats=["html"],
        next_run_at=datetime.datetime(2007, 1, 1, tzinfo=datetime.UTC),
        extra_addresses=addresses,
    )


@pytest.fixture
def domains(settings: Any) -> None:
    settings.ORGANISATION_EMAIL_DOMAINS = ["office.example"]
    settings.REPORT_ALLOWED_EXTERNAL_DOMAINS = ["partner.example"]


@pytest.mark.usefixtures("domains")
def test_an_outside_address_is_refused_unless_its_domain_is_allowed_and_makes_open_reports() -> None:
    admin = UserFactory.create(username="administrator", is_superuser=True)

    with pytest.raises(ValidationError) as refused:
        save_schedule(actor=admin, schedule=_with_extra("someone@elsewhere.example"), reason="test")
    inside = save_schedule(actor=admin, schedule=_with_extra("colleague@office.example"), reason="test")
    outside = _with_extra("colleague@office.example\nfriend@partner.example")
    outside.name = "Outside"
    outside = save_schedule(actor=admin, schedule=outside, reason="test")

    assert refused.value.message_dict == {
        "extra_addresses": [
            "someone@elsewhere.example is outside the organisation and its domain elsewhere.example "
            "is not allowed (REPORT_ALLOWED_EXTERNAL_DOMAINS)."
        ]
    }
    assert (inside.audience, outside.audience) == (Audience.ALL, Audience.OPEN)


@pytest.mark.usefixtures("domains")
def test_only_administrators_add_extra_addresses(officer: Any) -> None:
    officer.user_permissions.remove(Permission.objects.get(codename="add_external_recipients"))

    with pytest.raises(ValidationError) as refused:
        save_schedule(actor=officer, schedule=_with_extra("colleague@office.example"), reason="test")

    assert refused.value.message_dict == {
        "extra_addresses": [
            "You may not add colleague@office.example: extra addresses are added by administrators "
            "(permission reports.add_external_recipients)."
        ]
    }


def test_the_delivery_admin_lists_only_the_recipients_of_ones_regions(client: Any) -> None:
    ours, theirs = RegionFactory.create(name="Ours (test)"), RegionFactory.create(name="Theirs (test)")
    mine = ReportFactory.create(scope_kind="region", scope_region=ours)
    other = ReportFactory.create(scope_kind="region", scope_region=theirs)
    Delivery.objects.create(report=mine, address="manager@ours.example")
    Delivery.objects.create(report=other, address="manager@theirs.example")
    officer = UserFactory.create(username="regional", is_staff=True)
    officer.user_permissions.set(Permission.objects.filter(codename="view_delivery"))
    OfficerAssignment.objects.create(user=officer, region=ours)
    client.force_login(officer)

    response = client.get("/admin/reports/delivery/")

    assert [d.address for d in response.context["cl"].result_list] == ["manager@ours.example"]


def test_the_history_of_a_value_of_another_audience_is_not_found(world: dict[str, Any], client: Any) -> None:
    hidden = IndicatorValue.objects.get(indicator__code="IND-WORKSHOPS-HELD", audience=Audience.ALL)
    shown = IndicatorValue.objects.get(indicator__code="IND-WORKSHOPS-HELD", audience=Audience.OPEN)
    client.force_login(_officer_without_confidential_access())

    assert client.get(f"/admin/reports/indicatorvalue/{hidden.pk}/history/").status_code == 404
    assert client.get(f"/admin/reports/indicatorvalue/{shown.pk}/history/").status_code == 200
    assert client.get(f"/admin/reports/indicatorvalue/{hidden.pk}/change/").status_code == 302  # not found


def test_a_recipient_without_confidential_access_gets_an_open_report(world: dict[str, Any]) -> None:
    admin = UserFactory.create(username="administrator", is_superuser=True)
    schedule = save_schedule(actor=admin, schedule=_with_extra(""), reason="test")
    manager = UserFactory.create(username="manager", email="manager@office.example")
    schedule.recipients.set([admin])
    inside = dispatch_due(now=datetime.datetime(2007, 1, 1, tzinfo=datetime.UTC))
    schedule.recipients.add(manager)  # holds no missions.view_confidential_activity
    outside = dispatch_due(now=datetime.datetime(2008, 1, 1, tzinfo=datetime.UTC))

    assert schedule.audience == Audience.ALL
    assert ([r.audience for r in inside], [r.audience for r in outside]) == ([Audience.ALL], [Audience.OPEN])


def test_an_integration_token_may_not_add_extra_addresses(settings: Any) -> None:
    settings.ORGANISATION_EMAIL_DOMAINS = ["office.example"]
    setup_roles()
    service_user = UserFactory.create(username="svc-integration")
    service_user.groups.add(Group.objects.get(name=INTEGRATION))
    account = IntegrationAccount.objects.create(
        name="integration", user=service_user, scope_read=True, scope_write=True
    )
    _token, secret = issue_token(account=account)

    response = client_for(secret).post(
        "/api/v1/report-schedules/",
        {
            "name": "To the outside",
            "frequency": "yearly",
            "formats": ["html"],
            "scope_kind": "global",
            "extra_addresses": "someone@elsewhere.example",
        },
        format="json",
    )

    assert response.status_code == 400
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        (
            "extra_addresses",
            "You may not add someone@elsewhere.example: extra addresses are added by administrators "
            "(permission reports.add_external_recipients).",
        )
    ]
    assert not ReportSchedule.objects.exists()
