"""Admin of the reference data and the legal status: pages render, import works, history shows."""

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from missions.models import Country, Instrument, LegislationEvent, Ratification, Region
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HEADER = "instrument,iso3,m49,participant_source_name,signature_date,action,deposit_date,raw_consent,source\n"


@pytest.mark.parametrize(
    ("model", "query"),
    [
        (Country, ""),
        (Country, "?is_un_member__exact=1&m49=M49-011"),
        (Country, "?field_region=none&q=Niger"),
        (Region, "?kind=m49_subregion"),
        (Instrument, ""),
        (Ratification, ""),
        (Ratification, "?deposit_date__year=2006&m49=M49-002"),
        (Ratification, "?year=2006&q=BOMBINGS"),
        (LegislationEvent, ""),
    ],
)
def test_changelists_render(officer_client, model, query):
    url = reverse(f"admin:missions_{model._meta.model_name}_changelist") + query
    response = officer_client.get(url)
    assert response.status_code == 200


def test_changelist_queries_do_not_grow_with_the_page(officer_client, django_assert_max_num_queries):
    # 100 countries and 100 ratifications per page: a fixed handful of queries.
    with django_assert_max_num_queries(12):
        assert officer_client.get(reverse("admin:missions_country_changelist")).status_code == 200
    with django_assert_max_num_queries(14):
        assert officer_client.get(reverse("admin:missions_ratification_changelist")).status_code == 200


def test_ratification_changelist_shows_the_coverage_caveat(officer_client):
    response = officer_client.get(reverse("admin:missions_ratification_changelist"))
    content = response.content.decode()
    assert "based on 5 of the first 12 instruments (status data to 2014)" in content
    assert "Tokyo Convention" in content


def test_instrument_changelist_shows_coverage(officer_client):
    content = officer_client.get(reverse("admin:missions_instrument_changelist")).content.decode()
    assert "no status data" in content
    assert "Missing" in content


def test_country_autocomplete_by_name_in_any_language_and_code(officer_client):
    url = reverse("admin:autocomplete")
    params = {"app_label": "missions", "model_name": "activity", "field_name": "host_country"}
    for term in ("Nigeria", "Nigéria", "NGA"):
        response = officer_client.get(url, {**params, "term": term})
        assert response.status_code == 200
        texts = [r["text"] for r in response.json()["results"]]
        assert "Nigeria" in texts


def test_legal_status_page(officer_client):
    country = Country.objects.get(iso3="AFG")
    response = officer_client.get(reverse("admin:missions_country_legal_status", args=[country.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Legal status of Afghanistan" in content
    assert "based on 5 of the first 12 instruments (status data to 2014)" in content
    assert "Unknown: no status data" in content  # e.g. the Tokyo Convention
    assert "2003-09-24" in content  # Terrorist Bombings Convention, accession


def test_country_page_links_to_its_legal_status_and_history(officer_client):
    country = Country.objects.get(iso3="AFG")
    response = officer_client.get(reverse("admin:missions_country_change", args=[country.pk]))
    assert reverse("admin:missions_country_legal_status", args=[country.pk]) in response.content.decode()
    response = officer_client.get(reverse("admin:missions_country_history", args=[country.pk]))
    assert response.status_code == 200


def test_import_page_dry_run_then_import(officer_client, officer):
    url = reverse("admin:missions_ratification_import")
    assert officer_client.get(url).status_code == 200
    body = HEADER + "BOMBINGS_1997,AFG,004,Afghanistan,,accession,2003-09-25,25 Sep 2003 a,list\n"

    def post(dry_run):
        data: dict[str, Any] = {"reason": "Depositary list", "skip_participants": "EURATOM", "source": ""}
        if dry_run:
            data["dry_run"] = "on"
        data["file"] = SimpleUploadedFile("list.csv", body.encode(), content_type="text/csv")
        return officer_client.post(url, data)

    response = post(dry_run=True)
    content = response.content.decode()
    assert "dry run, nothing written: 0 created, 1 updated, 0 unchanged, 0 skipped." in content
    assert "2003-09-24" in content
    row = Ratification.objects.get(country__iso3="AFG", instrument__code="BOMBINGS_1997")
    assert row.deposit_date == datetime.date(2003, 9, 24)

    response = post(dry_run=False)
    assert "0 created, 1 updated, 0 unchanged, 0 skipped." in response.content.decode()
    row.refresh_from_db()
    assert row.deposit_date == datetime.date(2003, 9, 25)
    latest = row.history.first()
    assert latest is not None
    assert (latest.history_user, latest.history_change_reason) == (officer, "Depositary list")
    history = officer_client.get(reverse("admin:missions_ratification_history", args=[row.pk]))
    assert history.status_code == 200


def test_import_page_lists_every_bad_row(officer_client):
    body = HEADER + "BOMBINGS_1997,ZZZ,,,,accession,2003-09-25,,\n"
    response = officer_client.post(
        reverse("admin:missions_ratification_import"),
        {"reason": "x", "file": SimpleUploadedFile("bad.csv", body.encode())},
    )
    content = response.content.decode()
    assert "1 error(s); nothing was changed." in content
    assert "unknown country code &#x27;ZZZ&#x27;" in content


def test_legislation_import_page(officer_client):
    body = "iso3,kind,title,date,assisted,source\nAFG,drafting,Draft CT law,2006-05-01,no,report\n"
    response = officer_client.post(
        reverse("admin:missions_legislationevent_import"),
        {"reason": "x", "file": SimpleUploadedFile("laws.csv", body.encode())},
    )
    assert "1 created" in response.content.decode()
    assert LegislationEvent.objects.filter(country__iso3="AFG", title="Draft CT law").exists()


def test_import_needs_add_and_change_permission(client):
    viewer = UserFactory.create(username="viewer", is_staff=True)
    client.force_login(viewer)
    response = client.get(reverse("admin:missions_ratification_import"))
    assert response.status_code == 403
