"""The 2006 report's activities and tools, loaded from fixtures/report_2006/, match what the report prints."""

import csv
import datetime

import pytest

from missions.choices import (
    DIRECT_ASSISTANCE_KINDS,
    ActivityKind,
    ActivityLevel,
    ActivityStatus,
    CountryRole,
    DatePrecision,
    Qualifier,
)
from missions.models import Activity, ActivityCountry, Country, OutcomeDocument, Participation, Tool
from missions.models.activities import ActivityQuerySet
from missions.services.report_2006 import FIXTURES, FixtureError, load_missions_2006
from tests.factories import CountryFactory

pytestmark = pytest.mark.django_db

AUDITED = (Activity, ActivityCountry, Participation, OutcomeDocument, Tool)


@pytest.fixture
def report_countries(db):  # type: ignore[no-untyped-def]
    """Every country the report names, from the reference data when it is loaded, else made up here."""
    with (FIXTURES / "countries.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    existing = set(Country.objects.values_list("iso3", flat=True))
    for position, row in enumerate(rows):
        if row["country_iso3"] not in existing:
            # Lower-case second letter and a letter in the M49 code: never a real code.
            CountryFactory.create(
                iso3=row["country_iso3"],
                iso2=f"{chr(65 + position // 26)}{chr(97 + position % 26)}",
                m49=f"z{position:02d}",
                name_en=row["un_name_2007"],
            )


def _history_rows() -> list[int]:
    return [model.history.count() for model in AUDITED]  # type: ignore[attr-defined]  # simple-history manager


def _held_2006() -> ActivityQuerySet:
    return Activity.objects.held().in_period(datetime.date(2006, 1, 1), datetime.date(2006, 12, 31))


def _assert_report_counts() -> None:
    direct = (
        ActivityCountry.objects.filter(
            activity__in=_held_2006().of_kind(*DIRECT_ASSISTANCE_KINDS), role=CountryRole.BENEFICIARY
        )
        .values("country")
        .distinct()
        .count()
    )
    assert direct == 54
    held = _held_2006()
    assert held.of_kind(ActivityKind.VIDEO_CONFERENCE).count() == 11
    assert held.of_kind(ActivityKind.CTC_REPORT_SUPPORT).count() == 4
    assert held.of_kind(ActivityKind.DELEGATION_VISIT).count() == 4
    assert held.of_kind(ActivityKind.CTED_JOINT_VISIT).count() == 9
    assert held.of_kind(ActivityKind.TRAINING_COURSE).count() == 4
    assert (
        held.of_kind(ActivityKind.WORKSHOP)
        .filter(level__in=[ActivityLevel.SUBREGIONAL, ActivityLevel.REGIONAL])
        .count()
        == 10
    )
    assert Activity.objects.filter(reference__startswith="EV-").count() == 23  # EV-18 is W-a-FU
    assert Tool.objects.count() == 16
    assert Tool.objects.filter(counts_as_office_tool=True).count() == 7
    assert Activity.objects.exclude(source_document="E/CN.15/2007/9").count() == 0
    assert Activity.objects.filter(source_paragraph="").count() == 0


def test_loading_the_report_gives_the_printed_counts(report_countries):
    summary = load_missions_2006()

    _assert_report_counts()
    assert summary.startswith(
        "54 countries with direct assistance, 11 video conferences, 4 CTC-report supports, "
        "4 delegation visits, 9 CTED joint visits, 4 trainings, 10 workshops (+1 planned follow-up), "
        "23 other events, 16 tools; 120 activities and 16 tools new"
    )


def test_second_load_of_report_changes_nothing(report_countries):
    load_missions_2006()
    rows = _history_rows()
    stamps = list(Activity.objects.order_by("pk").values_list("pk", "updated_at"))

    summary = load_missions_2006()

    assert _history_rows() == rows
    assert list(Activity.objects.order_by("pk").values_list("pk", "updated_at")) == stamps
    assert "0 activities and 0 tools new" in summary
    _assert_report_counts()


def test_history_of_the_load_names_its_reason(report_countries):
    load_missions_2006()
    reasons = set(Activity.history.values_list("history_change_reason", flat=True))  # type: ignore[attr-defined]  # simple-history manager
    assert reasons == {"Loaded from the 2006 report E/CN.15/2007/9 (fixtures/report_2006)"}


def test_a_changed_fact_is_updated_in_place(report_countries):
    load_missions_2006()
    Activity.objects.filter(reference="W-i").update(participant_count=1)  # simulate a stale row

    load_missions_2006()

    workshop = Activity.objects.get(reference="W-i")
    assert (workshop.participant_count, workshop.participant_count_qualifier) == (230, Qualifier.MORE_THAN)
    assert workshop.history.count() == 2  # type: ignore[attr-defined]  # simple-history manager


def test_workshop_a_with_its_declaration_and_planned_follow_up(report_countries):
    load_missions_2006()
    workshop = Activity.objects.get(reference="W-a")
    assert (workshop.city, workshop.host_country.iso3 if workshop.host_country else None) == (
        "Sharm el-Sheikh",
        "EGY",
    )
    assert (workshop.start_date, workshop.end_date) == (datetime.date(2006, 2, 7), datetime.date(2006, 2, 9))
    assert (workshop.stated_country_count, workshop.stated_country_count_qualifier) == (27, Qualifier.EXACT)
    assert [(o.kind, o.title, o.symbol) for o in workshop.outcomes.all()] == [
        ("declaration", "Sharm el-Sheikh Declaration", "A/60/845")
    ]
    follow_up = Activity.objects.get(reference="W-a-FU")
    assert (follow_up.follow_up_of, follow_up.status, follow_up.kind) == (
        workshop,
        ActivityStatus.PLANNED,
        ActivityKind.MINISTERIAL_MEETING,
    )
    assert (follow_up.start_date, follow_up.end_date, follow_up.host_country.iso3) == (  # type: ignore[union-attr]  # set by the loader
        datetime.date(2007, 3, 20),
        datetime.date(2007, 3, 22),
        "BFA",
    )
    assert (
        Activity.objects.get(reference="W-i").participant_count,
        Activity.objects.get(reference="W-i").participant_count_qualifier,
    ) == (230, Qualifier.MORE_THAN)
    assert OutcomeDocument.objects.filter(symbol__startswith="A/").count() == 4


def test_mexican_trainings_record_roles_contributors_and_more_than_30(report_countries):
    load_missions_2006()
    course = Activity.objects.get(reference="TR-3")
    assert (course.participant_count, course.participant_count_qualifier, course.city) == (
        30,
        Qualifier.MORE_THAN,
        "San José",
    )
    assert sorted(course.participations.values_list("role", flat=True)) == [
        "judges",
        "judicial_police",
        "prosecutors",
    ]
    roles = sorted(course.country_roles.values_list("country__iso3", "role"))
    assert roles == [
        ("ARG", "contributor"),
        ("CAN", "contributor"),
        ("COL", "contributor"),
        ("ESP", "contributor"),
        ("ITA", "contributor"),
        ("MEX", "beneficiary"),
        ("USA", "contributor"),
    ]
    assert sorted(
        Activity.objects.get(reference="TR-2").country_roles.values_list("country__iso3", flat=True)
    ) == [
        "EGY",
        "MAR",
    ]


def test_country_lists_are_year_precision_records(report_countries):
    load_missions_2006()
    visit = Activity.objects.get(reference="CTED-2006-MKD")
    assert (visit.kind, visit.start_date, visit.date_precision, visit.source_paragraph) == (
        ActivityKind.CTED_JOINT_VISIT,
        datetime.date(2006, 1, 1),
        DatePrecision.YEAR,
        "38(e)",
    )
    event = Activity.objects.get(reference="EV-01")
    assert (event.start_date, event.date_precision, event.end_date) == (
        datetime.date(2006, 11, 1),
        DatePrecision.MONTH,
        None,
    )
    assert Activity.objects.get(reference="EV-03").status == ActivityStatus.PLANNED


def test_tools_with_status_dates_and_countries(report_countries):
    load_missions_2006()
    model_law = Tool.objects.get(code="TOOL-10")
    assert (model_law.status_date, model_law.status_date_precision, model_law.counts_as_office_tool) == (
        datetime.date(2006, 3, 1),
        DatePrecision.MONTH,
        False,
    )
    study = Tool.objects.get(code="TOOL-05")
    assert study.status_date is None
    assert sorted(study.countries.values_list("iso3", flat=True)) == [
        "IDN",
        "KHM",
        "LAO",
        "MYS",
        "PHL",
        "TLS",
        "VNM",
    ]


def test_a_missing_country_fails_loudly_naming_it(report_countries):
    Country.objects.filter(iso3="TLS").update(iso3="XTL")  # as if the reference data lacked it
    with pytest.raises(FixtureError, match="Countries missing from the database: TLS"):
        load_missions_2006()
    assert Activity.objects.count() == 0
