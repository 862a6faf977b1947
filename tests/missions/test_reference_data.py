"""The shipped reference data is in every database, loaded by the post_migrate hook."""

import datetime

import pytest
from django.core.management import call_command

from missions.choices import Coverage, InstrumentGroup, RegionKind
from missions.models import Country, Instrument, Ratification, Region
from missions.services import reference
from missions.services.reference import (
    EXPECTED_COUNTRIES,
    EXPECTED_INSTRUMENTS,
    EXPECTED_REGIONS,
    ensure_reference_data,
    is_loaded,
    load_reference_data,
)

pytestmark = pytest.mark.django_db


def test_expected_counts_match_the_shipped_files():
    assert len(reference.region_rows()) == EXPECTED_REGIONS
    assert len(reference.country_rows()) == EXPECTED_COUNTRIES
    assert len(reference.instrument_rows()) == EXPECTED_INSTRUMENTS


def test_every_test_database_has_the_reference_data():
    assert is_loaded()
    assert Region.objects.count() == EXPECTED_REGIONS
    assert Country.objects.count() == EXPECTED_COUNTRIES
    assert Instrument.objects.count() == EXPECTED_INSTRUMENTS
    # 1,150 rows in ct_ratifications.csv minus the 2 EURATOM rows (skipped: not a state).
    assert Ratification.objects.count() == 1148


def test_region_kinds_and_hierarchy():
    counts = {kind: Region.objects.filter(kind=kind).count() for kind in RegionKind.values}
    assert counts == {
        "field": 5,
        "mentor": 6,
        "m49_region": 5,
        "m49_subregion": 17,
        "m49_intermediate": 7,
    }
    western_africa = Region.objects.get(code="M49-011")
    assert western_africa.kind == RegionKind.M49_INTERMEDIATE
    assert western_africa.parent is not None
    assert western_africa.parent.code == "M49-202"
    assert western_africa.parent.parent is not None
    assert western_africa.parent.parent.name == "Africa"
    assert Region.objects.get(code="FIELD-4").name == "West and Central Africa"


def test_countries_codes_membership_and_six_names():
    afg = Country.objects.get(iso3="AFG")
    assert (afg.iso2, afg.m49, afg.is_un_member, afg.un_admission_date) == (
        "AF",
        "004",
        True,
        datetime.date(1946, 11, 19),
    )
    assert (afg.name_en, afg.name_fr, afg.name_es) == ("Afghanistan", "Afghanistan (l')", "Afganistán (el)")
    assert (afg.name_ru, afg.name_zh, afg.name_ar) == ("Афганистан", "阿富汗", "أفغانستان")
    assert Country.objects.filter(is_un_member=True).count() == 193
    # Non-members are kept, flagged, with the UNTERM footnote asterisk dropped.
    holy_see = Country.objects.get(iso3="VAT")
    assert (holy_see.is_un_member, holy_see.name_en) == (False, "Holy See (the)")
    # UNTERM is empty for Türkiye and Côte d'Ivoire: the UNSD M49 names are used.
    assert Country.objects.get(iso3="TUR").name_en == "Türkiye"
    assert Country.objects.get(iso3="CIV").name_fr == "Côte d’Ivoire"
    # Field regions have no source: left empty (see README "Legal status data").
    assert not Country.objects.filter(field_region__isnull=False).exists()


def test_in_region_for_every_kind_of_region():
    africa = Region.objects.get(code="M49-002")
    western_africa = Region.objects.get(code="M49-011")
    field = Region.objects.get(code="FIELD-4")
    assert Country.objects.in_region(western_africa).filter(iso3="NGA").exists()
    assert Country.objects.in_region(africa).filter(iso3="NGA").exists()
    assert not Country.objects.in_region(field).exists()
    nga = Country.objects.get(iso3="NGA")
    nga.field_region = field
    nga.save()
    assert list(Country.objects.in_region(field)) == [nga]


def test_instruments_with_groups_and_coverage():
    assert Instrument.objects.filter(group=InstrumentGroup.FIRST_12).count() == 12
    assert Instrument.objects.filter(group=InstrumentGroup.ADOPTED_2005).count() == 4
    later = Instrument.objects.filter(group=InstrumentGroup.LATER)
    assert [(i.code, i.adoption_date) for i in later] == [
        ("BEIJING_CONV_2010", datetime.date(2010, 9, 10)),
        ("BEIJING_PROT_2010", datetime.date(2010, 9, 10)),
        ("MONTREAL_PROT_2014", datetime.date(2014, 4, 4)),
    ]
    covered = Instrument.objects.exclude(status_coverage=Coverage.MISSING)
    assert sorted(covered.values_list("code", flat=True)) == [
        "BOMBINGS_1997",
        "CPPNM_1980",
        "CPPNM_AMEND_2005",
        "FINANCING_1999",
        "HOSTAGES_1979",
        "ICSANT_2005",
        "IPP_1973",
    ]


def test_shipped_ratifications_keep_source_and_raw_cell():
    row = Ratification.objects.get(country__iso3="AFG", instrument__code="BOMBINGS_1997")
    assert (row.action, row.deposit_date) == ("accession", datetime.date(2003, 9, 24))
    assert row.source == "zmjones/untreaties treaties/18-9.csv (UNTC XVIII-9)"
    assert row.source_reference == "24 Sep 2003 a"
    # CPPNM_AMDT_2005 in the file is our CPPNM_AMEND_2005.
    assert Ratification.objects.filter(instrument__code="CPPNM_AMEND_2005").count() == 137
    history = row.history.get()
    assert history.history_change_reason.startswith("Shipped ratification data")


def test_loader_is_idempotent_and_keeps_officers_corrections():
    row = Ratification.objects.get(country__iso3="AFG", instrument__code="BOMBINGS_1997")
    row.source = "corrected by an officer"
    row.save()
    result = load_reference_data(actor=None)
    assert (result.regions, result.countries, result.instruments) == (0, 0, 0)
    assert result.ratifications.counts["created"] == 0
    assert result.ratifications.counts["kept"] == 1
    row.refresh_from_db()
    assert row.source == "corrected by an officer"


def test_ensure_is_a_fast_no_op_when_loaded(django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert ensure_reference_data() == "reference data already loaded"


def test_loader_restores_missing_rows():
    Ratification.objects.filter(instrument__code="IPP_1973").delete()
    Ratification.objects.all().delete()
    assert not is_loaded()
    ensure_reference_data()
    assert Ratification.objects.count() == 1148


@pytest.mark.django_db(transaction=True)
def test_flushed_transactional_database_gets_the_data_back():
    call_command("flush", interactive=False, verbosity=0)
    assert Country.objects.count() == EXPECTED_COUNTRIES
    assert Ratification.objects.count() == 1148
