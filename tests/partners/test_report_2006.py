"""Loading the 2006 report's organisations, partnerships and joint work."""

import csv
import datetime

import pytest

from missions.models import Activity
from partners.choices import OrganisationKind, OrganisationRole, PartnershipKind
from partners.models import ActivityOrganisation, Organisation, Partnership
from partners.services.report_2006 import FIXTURES, load_joint_work_2006, load_partners_2006
from tests.module_data import module_data

from .conftest import activity_references, ensure_activities, ensure_countries


def _load_partners() -> None:
    ensure_countries()
    ensure_activities()
    load_partners_2006()


_partners_2006 = module_data(_load_partners)


@pytest.fixture
def partners_loaded(db):  # type: ignore[no-untyped-def]
    """The report's organisations and joint work, loaded once for the module (``_partners_2006``)."""


def roles_of(reference: str) -> set[tuple[str, str]]:
    return set(
        ActivityOrganisation.objects.filter(activity__reference=reference).values_list(
            "organisation__code", "role"
        )
    )


def test_every_organisation_of_the_report_and_every_unodc_unit_is_loaded(partners_loaded):
    with (FIXTURES / "partners.csv").open(encoding="utf-8") as f:
        partners = {row["org_id"] for row in csv.DictReader(f)}
    with (FIXTURES / "unodc_units.csv").open(encoding="utf-8") as f:
        units = {row["unit_id"] for row in csv.DictReader(f)}
    codes = set(Organisation.objects.values_list("code", flat=True))
    assert codes == partners | units | {"OAS"}
    assert Organisation.objects.filter(kind=OrganisationKind.UNODC_UNIT).count() == len(units)


def test_organisations_have_their_kind_parent_and_chinese_name(partners_loaded):
    cted = Organisation.objects.get(code="CTED")
    assert cted.kind == OrganisationKind.SECURITY_COUNCIL_BODY
    assert cted.parent is not None
    assert cted.parent.code == "CTC"
    cicte = Organisation.objects.get(code="OAS-CICTE")
    assert cicte.parent is not None
    assert cicte.parent.code == "OAS"
    assert Organisation.objects.get(code="EUROPOL").parent == Organisation.objects.get(code="EU")
    assert Organisation.objects.get(code="SADC").kind == OrganisationKind.REGIONAL
    assert Organisation.objects.get(code="SARMA").kind == OrganisationKind.PROFESSIONAL_ASSOCIATION
    assert Organisation.objects.get(code="INTERPOL").kind == OrganisationKind.INTERGOVERNMENTAL
    assert Organisation.objects.get(code="SADC").name_zh == "南部非洲发展共同体（南共体）"
    spain = Organisation.objects.get(code="ES-GOV")
    assert spain.kind == OrganisationKind.GOVERNMENT
    assert spain.country is not None
    assert spain.country.iso3 == "ESP"


def test_partnerships_have_the_kinds_and_dates_the_report_gives(partners_loaded):
    def only(code: str) -> Partnership:
        return Partnership.objects.get(organisation__code=code)

    sadc = only("SADC")
    assert (sadc.kind, sadc.took_effect_on, sadc.date_precision) == (
        PartnershipKind.EXCHANGE_OF_LETTERS,
        datetime.date(2006, 9, 1),
        "month",
    )
    assert list(sadc.activities.values_list("reference", flat=True)) == ["W-j"]
    igad = only("IGAD")
    assert (igad.kind, igad.took_effect_on) == (PartnershipKind.FORMAL_AGREEMENT, None)
    oic = only("OIC")
    assert (oic.took_effect_on, oic.date_precision) == (datetime.date(2004, 7, 1), "month")
    assert only("COMSEC").took_effect_on is None
    assert set(only("COMSEC").activities.values_list("reference", flat=True)) == {"W-i", "W-j"}
    assert only("CTED").activities.count() == 9
    # The five partnership arrangements of para 35 are all there.
    assert {"COMSEC", "SADC", "IGAD", "SARMA", "PIFS"} <= set(
        Partnership.objects.values_list("organisation__code", flat=True)
    )


def test_workshops_have_their_co_organisers_and_other_participants(partners_loaded):
    co = OrganisationRole.CO_ORGANISER
    participant = OrganisationRole.PARTICIPANT
    assert roles_of("W-a") == {("OIF", co), ("EG-GOV", co)}
    assert roles_of("W-b") == {("COMESA", co), ("DJ-MOJ", co), ("DJ-CB", co)}
    assert roles_of("W-c") == {
        ("OAS-CICTE", co),
        ("IMO", participant),
        ("OHCHR", participant),
        ("IMF", participant),
    }
    assert roles_of("W-d") == {("ES-GOV", co), ("OAS-CICTE", co), ("CO-AG", co)}
    assert roles_of("W-e") == {
        ("ES-GOV", co),
        ("OHCHR", participant),
        ("WB", participant),
        ("IMF", participant),
    }
    assert roles_of("W-f") == {("ECOWAS", co), ("ECCAS", participant), ("CEMAC", participant)}
    assert roles_of("W-g") == {("OSCE", co), ("IAEA", OrganisationRole.CONTRIBUTOR)}
    assert roles_of("W-h") == set()
    assert roles_of("W-i") == {("SARMA", co), ("COMSEC", co)}
    assert roles_of("W-j") == {("SADC", co), ("COMSEC", co)}


def test_trainings_and_events_have_the_organisations_the_facts_name(partners_loaded):
    contributor = OrganisationRole.CONTRIBUTOR
    participant = OrganisationRole.PARTICIPANT
    assert roles_of("TR-1") == {("INTERPOL", contributor), ("OHCHR", participant), ("EUROPOL", participant)}
    assert roles_of("TR-3") == {("EUROJUST", contributor)}
    assert roles_of("EV-09") == {("IMO", OrganisationRole.HOST), ("ROWCA", participant)}
    assert roles_of("EV-16") == {("OSCE", OrganisationRole.HOST), ("COE", OrganisationRole.HOST)}
    assert roles_of("EV-19") == {("OIC", OrganisationRole.ASSISTED)}
    assert roles_of("EV-21") == set()  # organiser not stated (para 58)
    assert roles_of("CTED-2006-DZA") == {("CTED", OrganisationRole.CO_ORGANISER)}


def test_every_organisation_other_events_names_has_a_role_in_its_event(partners_loaded):
    with (FIXTURES / "other_events.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            named = {
                code
                for code in row["related_id"].split(";")
                if Organisation.objects.filter(code=code).exists()
            }
            assert named <= {code for code, _ in roles_of(row["event_id"])} or row["event_id"] == "EV-21", row


def test_second_load_changes_nothing(partners_loaded):
    def state() -> tuple[int, ...]:
        return (
            Organisation.history.count(),
            Partnership.history.count(),
            ActivityOrganisation.history.count(),
            ActivityOrganisation.objects.count(),
        )

    before = state()
    summary = load_partners_2006()
    assert state() == before
    assert "created" not in summary
    assert "updated" not in summary


def test_joint_work_load_names_the_missing_activities(countries_2006):
    Activity.objects.filter(reference__in=activity_references()).delete()
    with pytest.raises(LookupError, match=r"Activities missing .*W-a.*load_missions_2006"):
        load_joint_work_2006()
