"""Fixtures of the partners tests: the countries and activities the 2006 loaders look up."""

import csv
from pathlib import Path

import pytest
from django.conf import settings

from missions.models import Country
from missions.services.report_2006 import load_missions_2006
from tests.factories import CountryFactory

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "report_2006"
# Donors of the annex and the governments of partners.csv.
COUNTRIES_2006 = {
    row["donor_iso3"]: row["donor_en"]
    for row in csv.DictReader((FIXTURES / "donor_contributions.csv").open(encoding="utf-8"))
    if row["row_type"] == "donor_total" and row["donor_iso3"]
} | {"EGY": "Egypt", "DJI": "Djibouti", "COL": "Colombia"}


def ensure_countries() -> None:
    """Create the countries the loaders need unless the reference data already holds them."""
    present = set(Country.objects.filter(iso3__in=COUNTRIES_2006).values_list("iso3", flat=True))
    for iso3, name in COUNTRIES_2006.items():
        if iso3 not in present:
            CountryFactory.create(iso3=iso3, name_en=name)


def activity_references() -> list[str]:
    def ids(name: str, column: str) -> list[str]:
        return [row[column] for row in csv.DictReader((FIXTURES / name).open(encoding="utf-8"))]

    cted = [f"CTED-2006-{iso3}" for iso3 in ids("cted_joint_visits_2006.csv", "country_iso3")]
    return (
        ids("workshops_2006.csv", "workshop_id")
        + ids("trainings_2006.csv", "training_id")
        + ids("other_events.csv", "event_id")
        + cted
    )


def ensure_activities() -> None:
    """The 2006 activities, created by the activities helper's loader (idempotent)."""
    load_missions_2006()


@pytest.fixture
def countries_2006(db):  # type: ignore[no-untyped-def]
    ensure_countries()


@pytest.fixture
def activities_2006(countries_2006):  # type: ignore[no-untyped-def]
    ensure_activities()
