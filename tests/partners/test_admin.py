"""The partners admin for a logged-in officer: pages, the annex page and its downloads."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from missions.admin.activities import ACTIVITY_ADMINS
from missions.models import Activity
from partners.admin import ActivityOrganisationInline
from partners.choices import ContributionKind
from partners.models import Contribution, Donor, Organisation
from partners.services.report_2006 import load_funding_2006, load_organisations_2006, load_partners_2006
from tests.module_data import module_data

from .conftest import ensure_countries
from .test_annex import COLUMN_TOTALS, GRAND_TOTAL, PRINTED

MODELS = ["organisation", "partnership", "activityorganisation", "donor", "contribution"]
MODELS += ["regularbudgetallocation", "reportedfundingfigure"]


def _load_annex() -> None:
    ensure_countries()
    load_funding_2006()


_annex_2006 = module_data(_load_annex)


@pytest.fixture
def annex_loaded(db):  # type: ignore[no-untyped-def]
    """The annex's donors and contributions, loaded once for the module (``_annex_2006``)."""


@pytest.mark.parametrize("model", MODELS)
def test_changelist_and_add_pages_render_for_an_officer(officer_client, annex_loaded, model):
    assert officer_client.get(reverse(f"admin:partners_{model}_changelist")).status_code == 200
    assert officer_client.get(reverse(f"admin:partners_{model}_add")).status_code == 200


def test_organisation_page_shows_its_partnerships_activities_and_parts(officer_client, annex_loaded):
    osce = Organisation.objects.get(code="OSCE")
    response = officer_client.get(reverse("admin:partners_organisation_change", args=[osce.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Action against Terrorism Unit, OSCE" in content  # a part of the OSCE
    assert "activities (joint work)" in content.lower()


def test_organisation_search_and_kind_filter(officer_client, annex_loaded):
    url = reverse("admin:partners_organisation_changelist")
    response = officer_client.get(url, {"q": "SADC"})
    assert "Southern African Development Community" in response.content.decode()
    response = officer_client.get(url, {"kind__exact": "unodc_unit"})
    assert "Terrorism Prevention Branch" in response.content.decode()
    assert "Southern African Development Community" not in response.content.decode()


def test_every_activity_admin_has_the_joint_work_inline():
    for admin_class in ACTIVITY_ADMINS:
        assert ActivityOrganisationInline in admin_class.inlines, admin_class


def test_annex_page_shows_every_printed_figure(officer_client, annex_loaded):
    response = officer_client.get(reverse("admin:partners_contribution_annex"))
    assert response.status_code == 200
    content = response.content.decode()
    for total, _cells in PRINTED.values():
        assert f"{total:,}" in content
    for total in COLUMN_TOTALS.values():
        assert f"{total:,}" in content
    assert f'<td class="num" id="annex-grand-total">{GRAND_TOTAL:,}</td>' in content
    assert "878,141" in content
    assert "13,522 (2002); 294,985 (2002)" in content
    assert "Liechtenstein" in content
    assert "annex, rows of Liechtenstein and Turkey" in content


def test_annex_page_needs_a_login(client, annex_loaded):
    response = client.get(reverse("admin:partners_contribution_annex"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("admin:login"))


def test_annex_csv_holds_the_same_figures(officer_client, annex_loaded):
    response = officer_client.get(reverse("admin:partners_contribution_annex_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:8] == [
        "Row",
        "Donor",
        "Total paid and pledged as at 31 December 2006",
        "Pre-2002",
        "2003",
        "2004",
        "2005",
        "2006",
    ]
    donors = {row[1]: row for row in rows[1:20]}
    assert {name: int(row[2]) for name, row in donors.items()} == {
        name: t for name, (t, _) in PRINTED.items()
    }
    assert donors["Austria"][3:8] == ["308507", "730689", "", "242366", "10823"]
    total = rows[20]
    assert total[1:8] == ["Total", str(GRAND_TOTAL), *(str(v) for v in COLUMN_TOTALS.values())]
    assert rows[21][2] == "878141"


def test_annex_xlsx_holds_the_same_figures_as_numbers(officer_client, annex_loaded):
    response = officer_client.get(reverse("admin:partners_contribution_annex_xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0].startswith("Contributions to the United Nations Crime Prevention")  # type: ignore[union-attr]
    donors = {row[1]: row for row in rows[2:21]}
    assert {name: row[2] for name, row in donors.items()} == {name: t for name, (t, _) in PRINTED.items()}
    assert donors["Turkey"][3:8] == (45170, None, 50000, None, 25000)
    assert rows[21][1:8] == ("Total", GRAND_TOTAL, *COLUMN_TOTALS.values())
    assert rows[22][2] == 878141


def test_downloads_neutralise_text_a_spreadsheet_would_run(officer_client, annex_loaded):
    Donor.objects.filter(name="Monaco").update(name="=HYPERLINK(1)")  # past the service, on purpose
    csv_text = officer_client.get(reverse("admin:partners_contribution_annex_csv")).content.decode()
    assert "'=HYPERLINK(1)" in csv_text
    xlsx = officer_client.get(reverse("admin:partners_contribution_annex_xlsx")).content
    names = [row[1] for row in load_workbook(io.BytesIO(xlsx)).worksheets[0].iter_rows(values_only=True)]
    assert "'=HYPERLINK(1)" in names


def _contribution_form(**values: object) -> dict[str, object]:
    form: dict[str, object] = {
        "kind": ContributionKind.PLEDGE,
        "currency": "USD",
        "date": "",
        "pledge": "",
        "earmark": "",
        "earmark_region": "",
        "earmark_activity": "",
        "reference": "",
        "source": "",
        "notes": "",
    }
    form.update(values)
    return form


def test_an_officer_records_a_pledge_and_its_payment_and_the_annex_changes(
    officer, officer_client, annex_loaded
):
    denmark = Donor.objects.get(name="Denmark")
    add = reverse("admin:partners_contribution_add")
    response = officer_client.post(add, _contribution_form(donor=denmark.pk, amount="250000", year="2006"))
    assert response.status_code == 302, response.content.decode()[:3000]
    pledge = Contribution.objects.get(kind=ContributionKind.PLEDGE)
    assert pledge.history.get().history_user == officer
    annex = officer_client.get(reverse("admin:partners_contribution_annex")).content.decode()
    assert f"{GRAND_TOTAL + 250000:,}" in annex
    assert f"{COLUMN_TOTALS['2006'] + 250000:,}" in annex
    assert f"{1317249 + 250000:,}" in annex
    assert "USD 250,000." in annex  # unpaid, derived

    response = officer_client.post(
        add,
        _contribution_form(
            donor=denmark.pk, kind=ContributionKind.PAYMENT, amount="300000", year="2006", pledge=pledge.pk
        ),
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("50,000.00 more than pledged" in m for m in messages), messages
    annex = officer_client.get(reverse("admin:partners_contribution_annex")).content.decode()
    assert f"{GRAND_TOTAL + 300000:,}" in annex
    assert "USD 0." in annex


def test_the_admin_form_names_the_field_of_a_bad_contribution(officer_client, annex_loaded):
    denmark = Donor.objects.get(name="Denmark")
    response = officer_client.post(
        reverse("admin:partners_contribution_add"),
        _contribution_form(donor=denmark.pk, amount="-5", year="2006", currency="ABC"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["amount"] == ["The amount cannot be negative."]
    assert errors["currency"] == ["Unknown currency 'ABC': not an ISO 4217 code (e.g. USD, EUR)."]
    assert Contribution.objects.filter(amount__lt=Decimal("0")).count() == 0


@pytest.mark.parametrize(
    "model", ["contribution", "organisation", "partnership", "donor", "activityorganisation"]
)
def test_changelist_query_count_does_not_grow_with_rows(officer_client, activities_2006, model):
    url = reverse(f"admin:partners_{model}_changelist")
    load_organisations_2006()
    with CaptureQueriesContext(connection) as few:
        assert officer_client.get(url).status_code == 200
    load_partners_2006()
    with CaptureQueriesContext(connection) as many:
        assert officer_client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_activity_page_shows_the_joint_work_inline(officer_client, activities_2006):
    load_partners_2006()
    workshop = Activity.objects.get(reference="W-j")
    response = officer_client.get(reverse("admin:missions_workshop_change", args=[workshop.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "organisation_roles-TOTAL_FORMS" in content
    assert "Southern African Development Community" in content


def test_contribution_changelist_links_to_the_annex(officer_client, db):
    response = officer_client.get(reverse("admin:partners_contribution_changelist"))
    assert reverse("admin:partners_contribution_annex") in response.content.decode()
