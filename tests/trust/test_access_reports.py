"""Reports and schedules: their scope lies within their creator's regions, lists of them never
leak another region's, and a regional report holds only its region's data."""

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from missions.models import OfficerAssignment
from missions.visibility import visible
from reports.choices import Frequency, ScopeKind
from reports.models import ReportSchedule
from reports.scope import Scope
from reports.services.schedules import request_report, save_schedule
from tests.factories import ActivityFactory, CountryFactory, RegionFactory, ReportScheduleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    wca = RegionFactory.create(name="West Africa (test)")
    sea = RegionFactory.create(name="South-East Asia (test)")
    mali = CountryFactory.create(iso3="QML", iso2="Q7", m49="971", field_region=wca)
    laos = CountryFactory.create(iso3="QLA", iso2="Q8", m49="972", field_region=sea)
    officer = UserFactory.create(username="wca-officer")
    OfficerAssignment.objects.create(user=officer, region=wca)
    return {"wca": wca, "sea": sea, "mali": mali, "laos": laos, "officer": officer}


def _schedule(**fields: Any) -> ReportSchedule:
    return ReportSchedule(
        name="Quarterly",
        frequency=Frequency.QUARTERLY,
        formats=["html"],
        next_run_at=timezone.now(),
        **fields,
    )


def test_a_schedule_outside_its_creators_regions_is_refused_naming_scope_region(world: Any) -> None:
    with pytest.raises(ValidationError) as error:
        save_schedule(
            actor=world["officer"], schedule=_schedule(scope_kind=ScopeKind.REGION, scope_region=world["sea"])
        )
    assert "scope_region" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        save_schedule(actor=world["officer"], schedule=_schedule(scope_kind=ScopeKind.GLOBAL))
    assert "scope_region" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        save_schedule(
            actor=world["officer"],
            schedule=_schedule(scope_kind=ScopeKind.COUNTRY, scope_country=world["laos"]),
        )
    assert "scope_country" in error.value.message_dict
    assert not ReportSchedule.objects.exists()
    saved = save_schedule(
        actor=world["officer"], schedule=_schedule(scope_kind=ScopeKind.REGION, scope_region=world["wca"])
    )
    assert saved.created_by == world["officer"]


def test_a_report_requested_outside_ones_regions_is_refused(world: Any) -> None:
    with pytest.raises(ValidationError) as error:
        request_report(
            actor=world["officer"],
            title="Asia",
            period_start=datetime.date(2006, 1, 1),
            period_end=datetime.date(2006, 12, 31),
            formats=["html"],
            scope_kind=ScopeKind.REGION,
            scope_region=world["sea"],
        )
    assert "scope_region" in error.value.message_dict


def test_schedule_lists_show_only_the_readers_regions(world: Any) -> None:
    ours = ReportScheduleFactory.create(scope_kind=ScopeKind.REGION, scope_region=world["wca"])
    ReportScheduleFactory.create(scope_kind=ScopeKind.REGION, scope_region=world["sea"])
    ReportScheduleFactory.create(scope_kind=ScopeKind.GLOBAL)
    assert list(visible(world["officer"], ReportSchedule.objects.all())) == [ours]
    hq = UserFactory.create(username="hq", is_superuser=True)
    assert visible(hq, ReportSchedule.objects.all()).count() == 3


def test_a_regional_report_holds_only_its_regions_activities(world: Any) -> None:
    in_mali = ActivityFactory.create(title="Mission to Mali", host_country=world["mali"])
    ActivityFactory.create(title="Mission to Lao PDR", host_country=world["laos"], region=world["sea"])
    tagged = ActivityFactory.create(title="Regional workshop", region=world["wca"])
    scope = Scope.for_region(world["wca"])
    assert set(scope.activities()) <= {in_mali, tagged}
    assert "Mission to Lao PDR" not in set(scope.activities().values_list("title", flat=True))
    assert world["laos"] not in set(scope.countries())
