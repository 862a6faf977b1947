"""Loads the 2006 report's partners, joint work and funding from fixtures/report_2006/.

Three loaders, each idempotent (a second run writes nothing, so no history either), and
``load_partners_2006`` running them in order:
- ``load_organisations_2006``: partners.csv and unodc_units.csv, plus the OAS (see ADDED);
- ``load_funding_2006``: the annex (donor_contributions.csv), its footnote, and the regular
  budget of para 69. Needs the countries and the OSCE only, not the activities, so the annex
  can be loaded and tested on its own;
- ``load_joint_work_2006``: partnerships and ActivityOrganisation rows. Needs the activities
  created by missions.services.report_2006.load_missions_2006 (looked up by reference).

The free text of the facts (workshop co-organisers, participants, fact types) is mapped to
organisation codes and roles by the explicit tables below; a text they do not know stops the
load with an error naming it, so new facts are never silently dropped.

Roles: co_organiser = organised the activity with the office (co-sponsors included, noted);
host = the partner's own event or body in which the office took part; participant = took part
in (or was briefed at) the office's activity; contributor = gave experts or substantial help
to it; assisted = the activity was run for the organisation's own staff.
"""

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction

from missions.choices import DatePrecision
from missions.models import Activity, Country
from tracker.history import change_context

from ..choices import ContributionKind, DonorKind, OrganisationKind, PartnershipKind, ReportedFigureKind
from ..choices import OrganisationRole as Role
from ..models import (
    ActivityOrganisation,
    Contribution,
    Donor,
    Organisation,
    Partnership,
    RegularBudgetAllocation,
    ReportedFundingFigure,
)
from .annex import FIRST_COLUMN_KEY, column_key

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "report_2006"
REPORT = "E/CN.15/2007/9"
REASON = "load_partners_2006"


M = TypeVar("M", bound=models.Model)


def upsert(model: type[M], *, lookup: dict[str, Any], values: dict[str, Any]) -> tuple[M, str]:
    """Create or update one row found by ``lookup``; save (and write history) only on a change.

    ``values`` use field names (a foreign key takes an instance or None). Returns the row and
    "created", "updated" or "unchanged". Validates with full_clean(). The loader's own plumbing:
    it runs as the system, inside the loaders' change_context.
    """
    instance = model._default_manager.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
        status = "created"
    else:
        changed = False
        for name, value in values.items():
            attname = getattr(model._meta.get_field(name), "attname", name)
            current = getattr(instance, attname)
            wanted = value.pk if isinstance(value, models.Model) else value
            if current != wanted:
                setattr(instance, name, value)
                changed = True
        if not changed:
            return instance, "unchanged"
        status = "updated"
    instance.full_clean()
    instance.save()
    return instance, status


# --- organisations ----------------------------------------------------------------------------

KINDS = {
    "UN entity": OrganisationKind.UN_ENTITY,
    "Security Council body": OrganisationKind.SECURITY_COUNCIL_BODY,
    "regional organization": OrganisationKind.REGIONAL,
    "intergovernmental": OrganisationKind.INTERGOVERNMENTAL,
    "professional association": OrganisationKind.PROFESSIONAL_ASSOCIATION,
    "other": OrganisationKind.OTHER,
}
# partners.csv files national bodies under "other"; their names say whose government they are.
GOVERNMENT_BODIES = {
    "ES-GOV": "ESP",
    "EG-GOV": "EGY",
    "DJ-MOJ": "DJI",
    "DJ-CB": "DJI",
    "CO-AG": "COL",
    "OPDAT": "USA",
}
# The OAS is named (inside OAS/CICTE's printed name) but has no row of its own: added so that
# CICTE has its parent, with the Chinese name as printed in CICTE's name.
ADDED = (
    {
        "code": "OAS",
        "name_en": "Organization of American States",
        "acronym": "OAS",
        "name_zh": "美洲国家组织（美洲组织）",
        "kind": OrganisationKind.REGIONAL,
        "subkind": "",
        "notes": "Not a row of partners.csv: named within the printed name of OAS/CICTE "
        "(paras 21(c), 35, 53).",
        "source_paragraph": "21(c); 35; 53",
    },
)
EXTRA_PARENTS = {"OAS-CICTE": "OAS"}


def _read(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _country(iso3: str, *, why: str) -> Country:
    try:
        return Country.objects.get(iso3=iso3)
    except Country.DoesNotExist:
        raise LookupError(
            f"Country {iso3} ({why}) is not in the database: load the reference data first."
        ) from None


class _Tally:
    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, what: str, status: str) -> None:
        self.counts[what][status] += 1

    def __str__(self) -> str:
        parts = []
        for what, statuses in self.counts.items():
            total = sum(statuses.values())
            changed = ", ".join(f"{n} {s}" for s, n in statuses.items() if s != "unchanged" and n)
            parts.append(f"{total} {what}" + (f" ({changed})" if changed else " (unchanged)"))
        return "; ".join(parts)


def _organisation_notes(row: dict[str, str]) -> str:
    notes = [row["cooperation_summary"]]
    if row["in_para35_partnership_list"] == "yes":
        notes.append("para 35: partnership arrangement concluded or strengthened in 2006")
    if row["in_para35_cooperation_list"] == "yes":
        notes.append("para 35: cooperation strengthened in 2006")
    return "; ".join(n for n in notes if n)


def _load_organisations(tally: _Tally) -> None:
    rows = _read("partners.csv")
    parents = {row["org_id"]: row["parent_org_id"] for row in rows if row["parent_org_id"]} | EXTRA_PARENTS
    for added in ADDED:
        _, status = upsert(
            Organisation,
            lookup={"code": added["code"]},
            values={k: v for k, v in added.items() if k != "code"},
        )
        tally.add("organisations", status)
    for row in rows:
        if row["kind"] not in KINDS:
            raise ValueError(f"partners.csv {row['org_id']}: unknown kind {row['kind']!r}")
        kind = KINDS[row["kind"]]
        country = None
        if row["org_id"] in GOVERNMENT_BODIES:
            kind = OrganisationKind.GOVERNMENT
            country = _country(GOVERNMENT_BODIES[row["org_id"]], why=row["name_en"])
        _, status = upsert(
            Organisation,
            lookup={"code": row["org_id"]},
            values={
                "name_en": row["name_en"],
                "acronym": row["acronym"],
                "name_zh": row["name_zh_as_printed"],
                "kind": kind,
                "subkind": row["subkind"],
                "country": country,
                "notes": _organisation_notes(row),
                "source_paragraph": row["source_para"],
            },
        )
        tally.add("organisations", status)
    for row in _read("unodc_units.csv"):
        _, status = upsert(
            Organisation,
            lookup={"code": row["unit_id"]},
            values={
                "name_en": row["name_en"],
                "acronym": row["acronym"],
                "name_zh": row["name_zh_as_printed"],
                "kind": OrganisationKind.UNODC_UNIT,
                "notes": row["role_in_report"],
                "source_paragraph": row["source_para"],
            },
        )
        tally.add("organisations", status)
    by_code = {o.code: o for o in Organisation.objects.filter(code__in=set(parents) | set(parents.values()))}
    for code, parent in parents.items():
        _, status = upsert(Organisation, lookup={"code": code}, values={"parent": by_code[parent]})
        if status != "unchanged":
            tally.add("parent links", status)


def load_organisations_2006() -> str:
    tally = _Tally()
    with transaction.atomic(), change_context(actor=None, reason=REASON):
        _load_organisations(tally)
    return str(tally)


# --- funding ----------------------------------------------------------------------------------

ANNEX_SOURCE = f"{REPORT}, annex"
FOOTNOTE_CODE = f"{REPORT}-annex-footnote"
BUDGET_SOURCE = (
    f"{REPORT}, para 69: since 2003 the regular-budget allocation has stayed at about USD 1 million a year"
)
BUDGET_YEARS = range(2003, 2007)


def _money(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _check_annex(rows: list[dict[str, str]]) -> None:
    """The fixture's cells must add up to its printed totals (the annex prints both)."""
    cells = [r for r in rows if r["row_type"] == "cell"]
    by_donor: dict[str, Decimal] = defaultdict(Decimal)
    by_column: dict[str, Decimal] = defaultdict(Decimal)
    for cell in cells:
        by_donor[cell["printed_row"]] += _money(cell["amount_usd"])
        by_column[cell["column_label"]] += _money(cell["amount_usd"])
    problems = []
    for row in rows:
        printed = _money(row["amount_usd"])
        if row["row_type"] == "donor_total" and by_donor[row["printed_row"]] != printed:
            problems.append(
                f"row {row['printed_row']} {row['donor_en']}: "
                f"cells {by_donor[row['printed_row']]}, printed {printed}"
            )
        if row["row_type"] == "column_total" and by_column[row["column_label"]] != printed:
            problems.append(
                f"column {row['column_label']}: cells {by_column[row['column_label']]}, printed {printed}"
            )
        if row["row_type"] == "grand_total" and sum(by_donor.values()) != printed:
            problems.append(f"grand total: cells {sum(by_donor.values())}, printed {printed}")
    if problems:
        raise ValueError("donor_contributions.csv does not add up: " + "; ".join(problems))


def _cell_year(cell: dict[str, str]) -> int:
    if cell["column_label"] == "Pre-2002":
        if not cell["year_note"]:
            raise ValueError(f"row {cell['printed_row']}: a Pre-2002 cell without its year note")
        return int(cell["year_note"])
    return int(cell["column_label"])


def _load_funding(tally: _Tally) -> None:
    rows = _read("donor_contributions.csv")
    _check_annex(rows)
    donors: dict[str, Donor] = {}
    for row in (r for r in rows if r["row_type"] == "donor_total"):
        values: dict[str, Any] = {"name": row["donor_en"], "annex_row": int(row["printed_row"])}
        if row["donor_kind"] == "State":
            values |= {"kind": DonorKind.STATE, "organisation": None}
            lookup: dict[str, Any] = {
                "country": _country(row["donor_iso3"], why=f"annex donor {row['donor_en']}")
            }
        else:
            values |= {"kind": DonorKind.ORGANISATION, "country": None}
            lookup = {"organisation": Organisation.objects.get(code="OSCE")}
        donor, status = upsert(Donor, lookup=lookup, values=values)
        donors[row["printed_row"]] = donor
        tally.add("donors", status)
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for cell in (r for r in rows if r["row_type"] == "cell"):
        year = _cell_year(cell)
        column = column_key(year)
        seen[(cell["printed_row"], column)] += 1
        reference = (
            f"{REPORT}-annex-r{int(cell['printed_row']):02d}-{column}-{seen[(cell['printed_row'], column)]}"
        )
        if column == FIRST_COLUMN_KEY:
            notes = f"Printed in the column Pre-2002 with the year note ({year})."
        else:
            notes = f"Printed in the column {year}; placement by {cell['placement_basis']}."
        _, status = upsert(
            Contribution,
            lookup={"reference": reference},
            values={
                "donor": donors[cell["printed_row"]],
                "kind": ContributionKind.PAID_OR_PLEDGED,
                "amount": _money(cell["amount_usd"]),
                "currency": "USD",
                "year": year,
                "source": ANNEX_SOURCE,
                "notes": notes,
            },
        )
        tally.add("annex contributions", status)
    (footnote,) = (r for r in rows if r["row_type"] == "footnote")
    _, status = upsert(
        ReportedFundingFigure,
        lookup={"code": FOOTNOTE_CODE},
        values={
            "kind": ReportedFigureKind.UNPAID_PLEDGES,
            "amount": _money(footnote["amount_usd"]),
            "currency": "USD",
            "as_of": date(2006, 12, 31),
            "label": "Including unpaid pledges of USD 878,141 (包括未收认捐款 878 141 美元)",
            "source": f"{ANNEX_SOURCE}, footnote *",
            "notes": "The annex does not say whose pledges are unpaid, "
            "so the figure is attributed to no donor.",
        },
    )
    tally.add("reported figures", status)
    for year in BUDGET_YEARS:
        _, status = upsert(
            RegularBudgetAllocation,
            lookup={"year": year},
            values={
                "amount": Decimal("1000000"),
                "currency": "USD",
                "is_approximate": True,
                "source": BUDGET_SOURCE,
            },
        )
        tally.add("regular-budget years", status)


def load_funding_2006() -> str:
    """The annex's donors and contributions, its footnote and the regular budget (organisations first)."""
    tally = _Tally()
    with transaction.atomic(), change_context(actor=None, reason=REASON):
        _load_organisations(tally)
        _load_funding(tally)
    return str(tally)


# --- partnerships and joint work -------------------------------------------------------------


@dataclass(frozen=True)
class _Role:
    code: str
    role: str
    note: str = ""


# Workshops (workshops_2006.csv): each ";"-separated text of co_organizers (role co_organiser
# unless said) and of other_participants_reported (role participant unless said).
WORKSHOP_CO_ORGANISERS: dict[tuple[str, str], tuple[_Role, ...]] = {
    ("W-a", "International Organization of la Francophonie (OIF)"): (_Role("OIF", Role.CO_ORGANISER),),
    ("W-a", "Government of Egypt"): (_Role("EG-GOV", Role.CO_ORGANISER),),
    ("W-b", "COMESA"): (_Role("COMESA", Role.CO_ORGANISER),),
    ("W-b", "Ministry of Justice of Djibouti"): (_Role("DJ-MOJ", Role.CO_ORGANISER),),
    ("W-b", "Central Bank of Djibouti"): (_Role("DJ-CB", Role.CO_ORGANISER),),
    (
        "W-c",
        "Inter-American Committee against Terrorism of the Organization of American States (OAS/CICTE)",
    ): (_Role("OAS-CICTE", Role.CO_ORGANISER),),
    ("W-d", "Government of Spain"): (_Role("ES-GOV", Role.CO_ORGANISER, "co-sponsor"),),
    ("W-d", "OAS/CICTE (co-sponsors)"): (_Role("OAS-CICTE", Role.CO_ORGANISER, "co-sponsor"),),
    ("W-d", "Office of the Attorney-General of Colombia (assisted)"): (
        _Role("CO-AG", Role.CO_ORGANISER, "assisted in organising (协办)"),
    ),
    ("W-e", "Government of Spain"): (_Role("ES-GOV", Role.CO_ORGANISER),),
    ("W-f", "ECOWAS Executive Secretariat"): (
        _Role("ECOWAS", Role.CO_ORGANISER, "its Executive Secretariat"),
    ),
    ("W-g", "UNODC and the Organization for Security and Co-operation in Europe (OSCE) (joint organizers)"): (
        _Role("OSCE", Role.CO_ORGANISER),
    ),
    ("W-h", "held under the Regular Programme of Technical Cooperation (no co-organizer named)"): (),
    (
        "W-i",
        "Southern African Regional Magistrates' Association (literal rendering of 南部非洲地区治安法官协会)",
    ): (_Role("SARMA", Role.CO_ORGANISER),),
    ("W-i", "Commonwealth Secretariat"): (_Role("COMSEC", Role.CO_ORGANISER),),
    ("W-j", "Southern African Development Community (SADC)"): (_Role("SADC", Role.CO_ORGANISER),),
    ("W-j", "Commonwealth Secretariat"): (_Role("COMSEC", Role.CO_ORGANISER),),
}
WORKSHOP_OTHERS: dict[tuple[str, str], tuple[_Role, ...]] = {
    ("W-c", "IMO (para 43)"): (_Role("IMO", Role.PARTICIPANT),),
    ("W-c", "OHCHR (para 45)"): (_Role("OHCHR", Role.PARTICIPANT),),
    ("W-c", "IMF (para 46)"): (_Role("IMF", Role.PARTICIPANT),),
    # Experts from countries, not organisations: the activities loader records the countries.
    ("W-d", "senior judges and prosecutors from France, Italy, Spain and the United States of America"): (),
    ("W-e", "OHCHR (para 45)"): (_Role("OHCHR", Role.PARTICIPANT),),
    ("W-e", "World Bank (para 46)"): (_Role("WB", Role.PARTICIPANT),),
    ("W-e", "IMF (para 46)"): (_Role("IMF", Role.PARTICIPANT),),
    (
        "W-f",
        "Economic Community of Central African States (ECCAS) and Economic and Monetary Community of Central "
        "Africa (CEMAC) (para 56)",
    ): (_Role("ECCAS", Role.PARTICIPANT), _Role("CEMAC", Role.PARTICIPANT)),
    ("W-g", "IAEA representative presented a case-study paper on nuclear terrorism (para 47)"): (
        _Role("IAEA", Role.CONTRIBUTOR, "presented a case-study paper on nuclear terrorism"),
    ),
}
# Trainings (trainings_2006.csv, contributing_orgs).
TRAINING_CONTRIBUTORS = {"Eurojust": "EUROJUST"}

# partner_cooperation.csv: the role a fact type gives the organisation in its related activity.
FACT_TYPE_ROLES = {
    "joint event": Role.CO_ORGANISER,
    "planned joint event": Role.CO_ORGANISER,
    "working meeting": Role.CO_ORGANISER,
    "joint visits": Role.CO_ORGANISER,
    "partner participation in UNODC event": Role.PARTICIPANT,
    "briefing": Role.PARTICIPANT,
    "meeting": Role.PARTICIPANT,
    "consultation": Role.PARTICIPANT,
    "UNODC participation in partner event": Role.HOST,
    "advisory": Role.HOST,
    "training support": Role.CONTRIBUTOR,
}
# Facts whose text says more than their fact type.
FACT_OVERRIDES: dict[str, _Role | None] = {
    # TPB's workshop for the OIC General Secretariat's staff (para 57).
    "PC-081": _Role("OIC", Role.ASSISTED, "workshop for its General Secretariat staff and the Group of 13"),
    # ASEAN's own workshop, which TPB substantially supported (para 59).
    "PC-085": _Role("ASEAN", Role.HOST, "ASEAN workshop; TPB gave substantial support"),
    # The IAEA's representative presented a paper at the Bucharest meeting (para 47).
    "PC-024": _Role("IAEA", Role.CONTRIBUTOR, "presented a case-study paper on nuclear terrorism"),
    # The Tunis conference's organiser is not stated (para 58): no role for the AIMC.
    "PC-084": None,
}
# Related ids that are not activities (tools, documents, instruments): no joint-work row.
NOT_ACTIVITIES = re.compile(r"^(TOOL-\d+|DOC-.+|ICSANT_2005)$")
ACTIVITY_REFERENCE = re.compile(r"^(W-[a-j](-FU)?|TR-\d+|EV-\d+)$")
CTED_VISITS = "cted_joint_visits_2006.csv"
# other_events.csv names these bodies for an event without a partner_cooperation.csv row.
EVENT_EXTRAS: dict[str, tuple[_Role, ...]] = {
    "EV-05": (_Role("CTED", Role.PARTICIPANT, "briefed with the CTC"),),
    "EV-07": (_Role("MONTEAM", Role.PARTICIPANT, "briefed with the Committee"),),
    "EV-09": (_Role("ROWCA", Role.PARTICIPANT, "the UNODC Regional Office took part (para 43)"),),
    "EV-17": (_Role("ACSRT", Role.PARTICIPANT, "partnership discussions (para 54)"),),
}
# Known gap: ACSRT took part in "a" specialized course (para 54) without saying which of
# TR-1 and TR-2, so it gets no row on either; Eurojust may also be meant by "the latter" of
# para 52: only Europol, the grammatical reading, is recorded.
SKIPPED_FACTS = {"PC-074": "course not identified (TR-1 or TR-2)"}


@dataclass(frozen=True)
class _Partnership:
    code: str
    kind: str
    title: str
    source: str
    took_effect_on: date | None = None
    date_precision: str = DatePrecision.DAY
    areas: str = ""
    activities: tuple[str, ...] = ()
    notes: str = ""


def _cted_visits() -> tuple[str, ...]:
    return tuple(f"CTED-2006-{row['country_iso3']}" for row in _read(CTED_VISITS))


def _partnerships() -> tuple[_Partnership, ...]:
    working = PartnershipKind.WORKING_ARRANGEMENT
    para35 = "Para 35: partnership arrangement concluded or strengthened in 2006"
    return (
        _Partnership(
            code="COMSEC",
            kind=working,
            title="Joint activities and partnerships with the Commonwealth Secretariat",
            areas="joint activities and partnerships to the greatest possible extent; joint TA and "
            "training workshops, especially in Central and Southern Africa",
            activities=("W-i", "W-j"),
            source="35; 49",
            notes=f"{para35}; form and date not stated.",
        ),
        _Partnership(
            code="SADC",
            kind=PartnershipKind.EXCHANGE_OF_LETTERS,
            title="Partnership agreement (exchange of letters between the UNODC Executive Director and "
            "the SADC Executive Secretary)",
            took_effect_on=date(2006, 9, 1),
            date_precision=DatePrecision.MONTH,
            areas="political support and expertise for TPB's activities in the region; detailed workplan "
            "of national and subregional workshops and TA activities",
            activities=("W-j",),
            source="35; 55",
            notes="Entered into force in September 2006 (day not stated).",
        ),
        _Partnership(
            code="IGAD",
            kind=PartnershipKind.FORMAL_AGREEMENT,
            title="Formal partnership agreement",
            source="35; 56",
            notes="Date not stated in the report.",
        ),
        _Partnership(
            code="SARMA",
            kind=working,
            title="Partnership with the Southern African Regional Magistrates' Association",
            areas="close cooperation in Southern Africa",
            activities=("W-i",),
            source="21(i); 35; 55",
            notes=f"{para35}; form and date not stated.",
        ),
        _Partnership(
            code="PIFS",
            kind=working,
            title="Cooperation with the Pacific Islands Forum Secretariat",
            areas="CT technical assistance to Pacific island States; peer review of the PIF model CT law",
            activities=("EV-24",),
            source="35; 60",
            notes=f"{para35}; para 60: cooperation begun, closer partnership being built. "
            "Form and date not stated.",
        ),
        _Partnership(
            code="OIC",
            kind=working,
            title="Agreement of July 2004 to strengthen cooperation",
            took_effect_on=date(2004, 7, 1),
            date_precision=DatePrecision.MONTH,
            areas="technical assistance; capacity-building and training for the OIC General Secretariat; "
            "OIC representatives invited to all relevant TPB national and subregional activities",
            activities=("EV-19",),
            source="35; 57",
            notes="Para 57: the two sides agreed in July 2004 (day not stated). The report does not say "
            "the agreement is formal, so it is recorded as a working arrangement.",
        ),
        _Partnership(
            code="OAS-CICTE",
            kind=working,
            title="Permanent operational partnership",
            areas="joint training seminars, workshops, ministerial conferences and TA missions, incl. "
            "specialized courses for judges and prosecutors and joint national legislative assistance "
            "missions",
            activities=("W-c", "W-d"),
            source="35; 53",
            notes="Date not stated.",
        ),
        _Partnership(
            code="EU",
            kind=working,
            title="Strategic partnership on legislative frameworks for international cooperation",
            areas="legislative frameworks to strengthen international cooperation under SC resolutions and "
            "the universal instruments; exchange of information on national and regional TA",
            source="35; 52",
            notes="Date not stated.",
        ),
        _Partnership(
            code="EUROJUST",
            kind=working,
            title="Partnership with Eurojust",
            source="52",
            notes="Date not stated.",
        ),
        _Partnership(
            code="EUROPOL",
            kind=working,
            title="Partnership with Europol",
            source="52",
            notes="Date not stated.",
        ),
        _Partnership(
            code="CTED",
            kind=working,
            title="Cooperation with the CTC and its Executive Directorate",
            areas="UNODC takes part in CTED country visits; CTC/CTED experts take part in UNODC activities; "
            "UNODC consults CTC/CTED when planning; TPB shares mission reports and TA schedules",
            activities=_cted_visits(),
            source="37; 38",
            notes="Para 38(a) cites Security Council resolution 1535 (2004) of 26 March 2004 as the basis "
            "of the joint visits; the report does not date the arrangement itself.",
        ),
    )


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def joint_work_facts() -> dict[tuple[str, str, str], list[str]]:
    """Every (activity reference, organisation code, role) the facts give, with notes."""
    roles: dict[tuple[str, str, str], list[str]] = defaultdict(list)

    def add(reference: str, role: _Role, source: str) -> None:
        notes = roles[(reference, role.code, role.role)]
        for note in (role.note, source):
            if note and note not in notes:
                notes.append(note)

    for row in _read("workshops_2006.csv"):
        for column, table in (
            ("co_organizers", WORKSHOP_CO_ORGANISERS),
            ("other_participants_reported", WORKSHOP_OTHERS),
        ):
            for text in _split(row[column]):
                key = (row["workshop_id"], text)
                if key not in table:
                    raise ValueError(
                        f"workshops_2006.csv {row['workshop_id']} {column}: no mapping for {text!r}"
                    )
                for role in table[key]:
                    add(row["workshop_id"], role, f"para {row['source_para']}")
    for row in _read("trainings_2006.csv"):
        for text in _split(row["contributing_orgs"]):
            if text not in TRAINING_CONTRIBUTORS:
                raise ValueError(
                    f"trainings_2006.csv {row['training_id']} contributing_orgs: no mapping for {text!r}"
                )
            add(
                row["training_id"],
                _Role(TRAINING_CONTRIBUTORS[text], Role.CONTRIBUTOR),
                f"para {row['source_para']}",
            )
    for row in _read("partner_cooperation.csv"):
        fact = row["fact_id"]
        if not row["related_id"] or fact in SKIPPED_FACTS:
            continue
        if fact in FACT_OVERRIDES:
            override = FACT_OVERRIDES[fact]
            if override is None:
                continue
            role = override
        elif row["fact_type"] in FACT_TYPE_ROLES:
            role = _Role(row["org_id"], FACT_TYPE_ROLES[row["fact_type"]])
        elif all(NOT_ACTIVITIES.match(r) for r in _split(row["related_id"])):
            continue
        else:
            raise ValueError(f"partner_cooperation.csv {fact}: no role for fact type {row['fact_type']!r}")
        cted = row["related_id"] == CTED_VISITS
        references = list(_cted_visits()) if cted else _split(row["related_id"])
        for reference in references:
            if NOT_ACTIVITIES.match(reference):
                continue
            if not (ACTIVITY_REFERENCE.match(reference) or reference.startswith("CTED-2006-")):
                raise ValueError(f"partner_cooperation.csv {fact}: unknown related id {reference!r}")
            add(reference, role, f"para {row['source_para']} ({fact})")
    for reference, extras in EVENT_EXTRAS.items():
        for role in extras:
            add(reference, role, "other_events.csv")
    return roles


def _activities(references: set[str]) -> dict[str, Activity]:
    found = {a.reference: a for a in Activity.objects.filter(reference__in=references) if a.reference}
    missing = sorted(references - set(found))
    if missing:
        raise LookupError(
            f"Activities missing for the joint work of the 2006 report: {', '.join(missing)}. "
            "Load them first (missions.services.report_2006.load_missions_2006)."
        )
    return found


def _load_joint_work(tally: _Tally) -> None:
    facts = joint_work_facts()
    partnerships = _partnerships()
    references = {ref for ref, _, _ in facts} | {ref for p in partnerships for ref in p.activities}
    activities = _activities(references)
    codes = {code for _, code, _ in facts} | {p.code for p in partnerships}
    organisations = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    if missing := sorted(codes - set(organisations)):
        raise LookupError(f"Organisations missing: {', '.join(missing)}")
    for p in partnerships:
        partnership, status = upsert(
            Partnership,
            lookup={"organisation": organisations[p.code], "title": p.title},
            values={
                "kind": p.kind,
                "took_effect_on": p.took_effect_on,
                "date_precision": p.date_precision,
                "areas": p.areas,
                "source_paragraph": p.source,
                "notes": p.notes,
            },
        )
        wanted = {activities[ref].pk for ref in p.activities}
        if set(partnership.activities.values_list("pk", flat=True)) != wanted:
            partnership.activities.set(wanted)
            status = "updated" if status == "unchanged" else status
        tally.add("partnerships", status)
    for (reference, code, role), notes in sorted(facts.items()):
        _, status = upsert(
            ActivityOrganisation,
            lookup={"activity": activities[reference], "organisation": organisations[code], "role": role},
            values={"notes": "; ".join(notes)[:300]},
        )
        tally.add("activity roles", status)


def load_joint_work_2006() -> str:
    tally = _Tally()
    with transaction.atomic(), change_context(actor=None, reason=REASON):
        _load_joint_work(tally)
    return str(tally)


def load_partners_2006() -> str:
    """Organisations, the annex and budget, then partnerships and joint work (activities must exist)."""
    tally = _Tally()
    with transaction.atomic(), change_context(actor=None, reason=REASON):
        _load_organisations(tally)
        _load_funding(tally)
        _load_joint_work(tally)
    return str(tally)
