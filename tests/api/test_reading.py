"""Reading: whole representations, filters, cursor pagination, spreadsheets, query-count pins."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from missions.choices import ActivityKind, CountryRole, OutcomeKind, ParticipantRole
from partners.choices import OrganisationRole
from reports.models import PublishedFigure, ReportFile
from tests.factories import (
    ActionPlanFactory,
    ActivityCountryFactory,
    ActivityFactory,
    ActivityOrganisationFactory,
    ContributionFactory,
    CountryFactory,
    DonorFactory,
    FollowUpRequestFactory,
    IndicatorDefinitionFactory,
    IndicatorValueFactory,
    InstrumentFactory,
    LegislationEventFactory,
    OrganisationFactory,
    OutcomeDocumentFactory,
    ParticipationFactory,
    PartnershipFactory,
    RatificationFactory,
    RegionFactory,
    RegularBudgetAllocationFactory,
    ReportFactory,
    ReportScheduleFactory,
    ToolFactory,
)


def iso(value: datetime.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@pytest.fixture
def workshop(db):  # type: ignore[no-untyped-def]
    region = RegionFactory.create(code="FIELD-TEST", name="Test field region")
    host = CountryFactory.create(iso3="XHA", iso2="XH", m49="990", name_en="Hostland")
    guest = CountryFactory.create(iso3="XGU", iso2="XG", m49="991", name_en="Guestland")
    activity = ActivityFactory.create(
        kind=ActivityKind.WORKSHOP,
        reference="W-test",
        title="Subregional workshop on =cmd the instruments",
        start_date=datetime.date(2006, 5, 2),
        end_date=datetime.date(2006, 5, 4),
        city="Dakar",
        host_country=host,
        region=region,
        participant_count=40,
        source_document="E/CN.15/2007/9",
        source_paragraph="21(a)",
    )
    ActivityCountryFactory.create(activity=activity, country=host, role=CountryRole.HOST)
    ActivityCountryFactory.create(activity=activity, country=guest, role=CountryRole.PARTICIPANT)
    ParticipationFactory.create(activity=activity, role=ParticipantRole.JUDGES, count=12)
    OutcomeDocumentFactory.create(activity=activity, kind=OutcomeKind.DECLARATION, title="Dakar Declaration")
    organisation = OrganisationFactory.create(code="ORG-ECOWAS", name_en="ECOWAS", acronym="ECOWAS")
    ActivityOrganisationFactory.create(
        activity=activity, organisation=organisation, role=OrganisationRole.CO_ORGANISER
    )
    activity.refresh_from_db()
    return activity


@pytest.mark.django_db
def test_an_activity_reads_whole_with_its_nested_parts(read_client, workshop) -> None:
    response = read_client.get(f"/api/v1/activities/{workshop.pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "id": workshop.pk,
        "reference": "W-test",
        "kind": "workshop",
        "title": "Subregional workshop on =cmd the instruments",
        "start_date": "2006-05-02",
        "end_date": "2006-05-04",
        "date_precision": "day",
        "status": "held",
        "level": "national",
        "city": "Dakar",
        "host_country": "XHA",
        "region": "FIELD-TEST",
        "target_group": "",
        "topics": "",
        "stated_country_count": None,
        "stated_country_count_qualifier": "exact",
        "participant_count": 40,
        "participant_count_qualifier": "exact",
        "officials_trained": None,
        "officials_briefed": None,
        "follow_up_of": None,
        "responsible_officer": None,
        "is_confidential": False,
        "notes": "",
        "source_document": "E/CN.15/2007/9",
        "source_paragraph": "21(a)",
        "created_at": iso(workshop.created_at),
        "updated_at": iso(workshop.updated_at),
        "countries": [
            {"country": "XHA", "role": "host"},
            {"country": "XGU", "role": "participant"},
        ],
        "participations": [
            {
                "role": "judges",
                "count": 12,
                "count_qualifier": "exact",
                "trained": None,
                "briefed": None,
                "notes": "",
            }
        ],
        "outcomes": [
            {
                "kind": "declaration",
                "title": "Dakar Declaration",
                "symbol": "",
                "adopted_on": None,
                "summary": "",
            }
        ],
        "organisations": [{"organisation": "ORG-ECOWAS", "role": "co_organiser", "notes": ""}],
    }
    assert response["ETag"].startswith('"')
    assert (
        read_client.get(f"/api/v1/activities/{workshop.pk}/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code
        == 304
    )


@pytest.mark.django_db
def test_a_country_reads_by_its_iso_code(read_client) -> None:
    country = CountryFactory.create(iso3="XQZ", iso2="XQ", m49="992", name_en="Quzland", name_fr="Quzlande")
    response = read_client.get("/api/v1/countries/", {"iso3": "XQZ"})
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "id": country.pk,
                "iso3": "XQZ",
                "iso2": "XQ",
                "m49": "992",
                "name_en": "Quzland",
                "name_fr": "Quzlande",
                "name_es": "",
                "name_ru": "",
                "name_zh": "测试国",
                "name_ar": "بلد الاختبار",
                "formal_name_en": "",
                "is_un_member": True,
                "un_admission_date": "1960-01-01",
                "m49_region": None,
                "m49_subregion": None,
                "field_region": None,
                "source": "",
            }
        ],
    }


@pytest.mark.django_db
def test_a_contribution_reads_with_its_donor_name(read_client) -> None:
    contribution = ContributionFactory.create(donor=DonorFactory.create(name="Testland donor"), year=2006)
    response = read_client.get(f"/api/v1/contributions/{contribution.pk}/")
    assert response.json() == {
        "id": contribution.pk,
        "donor": "Testland donor",
        "kind": "pledge",
        "amount": "100000.00",
        "currency": "USD",
        "year": 2006,
        "date": None,
        "pledge": None,
        "earmark": "",
        "earmark_region": None,
        "earmark_activity": None,
        "reference": None,
        "source": "",
        "notes": "",
        "updated_at": iso(contribution.updated_at),
    }


def titles(client, **params) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/activities/", params)
    assert response.status_code == 200, response.content
    return sorted(item["title"] for item in response.json()["results"])


@pytest.mark.django_db
def test_activity_filters(read_client, workshop) -> None:
    ActivityFactory.create(title="Mission 2005", start_date=datetime.date(2005, 3, 1))
    other = ActivityFactory.create(title="Video 2006", kind=ActivityKind.VIDEO_CONFERENCE)
    ActivityCountryFactory.create(activity=other, country=workshop.host_country, role=CountryRole.BENEFICIARY)
    assert titles(read_client, kind="workshop") == [workshop.title]
    assert titles(read_client, kind=["workshop", "video_conference"]) == sorted(
        [workshop.title, "Video 2006"]
    )
    assert titles(read_client, year=2005) == ["Mission 2005"]
    assert titles(read_client, start_from="2006-05-01", start_to="2006-05-31") == [workshop.title]
    assert titles(read_client, country="XHA") == sorted([workshop.title, "Video 2006"])
    assert titles(read_client, country="XHA", country_role="host") == [workshop.title]
    assert titles(read_client, region="FIELD-TEST") == [workshop.title]
    assert titles(read_client, reference="W-test") == [workshop.title]
    assert titles(read_client, search="Dakar") == [workshop.title]
    assert titles(read_client, updated_since="2999-01-01T00:00:00Z") == []
    bad = read_client.get("/api/v1/activities/", {"kind": "nonsense"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "kind"


@pytest.mark.django_db
def test_updated_since_uses_history_where_there_is_no_updated_at(read_client) -> None:
    instrument = InstrumentFactory.create(code="TEST_SINCE")
    later = datetime.datetime(2999, 1, 1, tzinfo=datetime.UTC)

    def codes(**params: str | int) -> list[str]:
        return [i["code"] for i in read_client.get("/api/v1/instruments/", params).json()["results"]]

    assert instrument.code in codes(updated_since="2000-01-01T00:00:00Z", page_size=500)
    assert codes(updated_since=later.isoformat()) == []


@pytest.mark.django_db
def test_cursor_pagination_walks_every_object_once_with_a_bounded_page_size(read_client) -> None:
    made = {ActivityFactory.create().pk for _ in range(7)}
    seen: list[int] = []
    url: str | None = "/api/v1/activities/?page_size=3"
    while url:
        page = read_client.get(url).json()
        assert len(page["results"]) <= 3
        seen += [item["id"] for item in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(made)
    big = read_client.get("/api/v1/activities/", {"page_size": 100000}).json()
    assert len(big["results"]) == 7  # capped at 500, fewer exist
    assert read_client.get("/api/v1/activities/", {"cursor": "garbage"}).status_code == 404


@pytest.mark.django_db
def test_csv_and_xlsx_neutralise_formula_cells(read_client, workshop) -> None:
    response = read_client.get("/api/v1/activities/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode()
    header = text.splitlines()[0].split(",")
    assert header[:4] == ["id", "reference", "kind", "title"]
    assert "Subregional workshop on =cmd the instruments" in text
    ActivityFactory.create(title='=HYPERLINK("http://evil")')
    text = read_client.get("/api/v1/activities/", {"format": "csv"}).content.decode()
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text
    xlsx = read_client.get("/api/v1/activities/", {"format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert '\'=HYPERLINK("http://evil")' in values
    assert "country=XHA, role=host; country=XGU, role=participant" in values


@pytest.mark.django_db
def test_errors_stay_json_when_a_spreadsheet_was_asked_for(read_client) -> None:
    response = read_client.get("/api/v1/activities/999999/", {"format": "csv"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


# --- Query counts do not grow with the page size -----------------------------------------
def _make_rows(n: int) -> None:
    region = RegionFactory.create()
    for i in range(n):
        country = CountryFactory.create(field_region=region)
        activity = ActivityFactory.create(host_country=country, region=region, kind=ActivityKind.MISSION)
        ActivityCountryFactory.create(activity=activity, country=country)
        ParticipationFactory.create(activity=activity)
        OutcomeDocumentFactory.create(activity=activity)
        organisation = OrganisationFactory.create(country=country)
        ActivityOrganisationFactory.create(activity=activity, organisation=organisation)
        instrument = InstrumentFactory.create()
        RatificationFactory.create(country=country, instrument=instrument)
        LegislationEventFactory.create(
            country=country, activity=activity, assisted_by_office=True
        ).instruments.add(instrument)
        ToolFactory.create().countries.add(country)
        ActionPlanFactory.create(mission=activity, country=country)
        FollowUpRequestFactory.create(mission=activity, country=country, fulfilled_by=activity)
        PartnershipFactory.create(organisation=organisation).activities.add(activity)
        donor = DonorFactory.create(country=country)
        ContributionFactory.create(donor=donor, earmark_region=region, earmark_activity=activity)
        RegularBudgetAllocationFactory.create(year=2050 + i)
        indicator = IndicatorDefinitionFactory.create()
        IndicatorValueFactory.create(  # open: the read token has no confidential scope
            indicator=indicator, scope_country=country, scope_key=f"country:{i}", audience="open"
        )
        ReportScheduleFactory.create(scope_country=country)
        report = ReportFactory.create(scope_region=region)
        ReportFile.objects.create(
            report=report, format="html", file=f"reports/t{i}.html", sha256="0" * 64, size=1
        )
        PublishedFigure.objects.create(
            figure_id=f"T-{i}", indicator=indicator, meaning="test", value=1, unit="countries", paragraph="29"
        )


# Queries per list request with a token whose last use was just recorded: token (1),
# the user's permissions (1: tracker.security), the page (1), one per prefetched relation.
QUERIES = {
    "regions": 3,
    "countries": 3,
    "instruments": 3,
    "ratifications": 3,
    "legislation-events": 6,  # + the caller's regions and the activities they see (activity ids shown)
    "activities": 9,  # + the caller's regions (missions.visibility) + the data version (list cache)
    "action-plans": 4,  # + the caller's regions (missions.visibility)
    "follow-up-requests": 5,  # + the caller's regions, + the activities they see (fulfilled_by shown)
    "tools": 4,
    "organisations": 3,
    "partnerships": 5,  # + the caller's regions (missions.visibility), for the activity ids it lists
    "donors": 3,
    "contributions": 4,  # + the caller's regions (missions.visibility), for the earmarked activity
    "budget-allocations": 3,
    "indicators": 3,
    "indicator-values": 3,
    "published-figures": 3,
    "report-schedules": 5,  # + the caller's regions (missions.visibility)
    "reports": 5,  # + the caller's regions (missions.visibility)
}


@pytest.mark.django_db
@pytest.mark.parametrize("size", [10, 100])
def test_activity_list_costs_nine_queries_at_any_page_size_and_four_from_the_cache(
    read_client, django_assert_num_queries, size
) -> None:  # type: ignore[no-untyped-def]
    _make_rows(3)
    read_client.get("/api/v1/regions/")
    # token, user permissions, the user's regions (missions.visibility), the data version
    # (tracker.api.list_cache), the page, countries, participations, outcomes, organisations
    with django_assert_num_queries(9):
        built = read_client.get("/api/v1/activities/", {"page_size": size})
    assert built.status_code == 200
    assert built["X-List-Cache"] == "miss"
    # The same request again: the page comes from the cache, after the same checks.
    with django_assert_num_queries(4):
        cached = read_client.get("/api/v1/activities/", {"page_size": size})
    assert cached["X-List-Cache"] == "hit"
    assert cached.content == built.content
    assert cached["Content-Type"] == built["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_list_query_counts_do_not_grow_with_page_size(read_client) -> None:
    _make_rows(6)
    read_client.get("/api/v1/regions/")  # records the token's last use, so later requests do not
    counts = {}
    for resource in QUERIES:
        per_size = []
        for size in (2, 6):
            with CaptureQueriesContext(connection) as queries:
                response = read_client.get(f"/api/v1/{resource}/", {"page_size": size})
            assert response.status_code == 200
            assert len(response.json()["results"]) == size, resource
            per_size.append(len(queries))
        counts[resource] = per_size
    assert counts == {resource: [n, n] for resource, n in QUERIES.items()}
