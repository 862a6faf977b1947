"""Loads the reference data every database holds: regions, countries, instruments and the
shipped ratifications (fixtures/reference/, see its PROVENANCE.md).

``ensure_reference_data()`` runs after every ``migrate`` and every test-database flush (the
post_migrate hook in missions/apps.py). It is a no-op costing one query when the data is
there. The loader only creates what is missing: it never overwrites a row an officer may have
corrected (``update=True``, from the ``load_reference_data --update`` command, re-applies the
shipped values to regions, countries and instruments, through history).
"""

from __future__ import annotations

import csv
import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from tracker.history import change_context

from ..choices import Coverage, InstrumentGroup, RegionKind
from ..models import Country, Instrument, Ratification, Region
from .legal_import import ImportReport, import_ratifications

REFERENCE_DIR = Path(settings.BASE_DIR) / "fixtures" / "reference"
REPORT_DIR = Path(settings.BASE_DIR) / "fixtures" / "report_2006"
SHIPPED_RATIFICATIONS = REFERENCE_DIR / "ct_ratifications.csv"
SHIPPED_RETRIEVED_ON = None  # the scrapes' own dates are in PROVENANCE.md; no single retrieval date

# Numbers of rows the shipped files give (pinned by tests/missions/test_reference_data.py):
# the fast "already loaded" check compares against them.
EXPECTED_REGIONS = 40  # 5 field + 6 mentor + 5 M49 regions + 17 sub-regions + 7 intermediate
EXPECTED_COUNTRIES = 249
EXPECTED_INSTRUMENTS = 19

COUNTRY_CODES_SOURCE = "datasets/country-codes@caa72d1 (data/country-codes.csv, ODC-PDDL-1.0)"
MEMBERS_SOURCE = "un.org member states, via onofreicl/ethos@f5c6f67"
REPORT_SOURCE = "E/CN.15/2007/9"
# (our field suffix, UNTERM column language, suffix of the UNSD official_name_* column)
LANGUAGES = (
    ("en", "English", "en"),
    ("fr", "French", "fr"),
    ("es", "Spanish", "es"),
    ("ru", "Russian", "ru"),
    ("zh", "Chinese", "cn"),
    ("ar", "Arabic", "ar"),
)
_FOOTNOTE = re.compile(r"\s*\*+$")


@dataclass(frozen=True)
class LoadResult:
    regions: int
    countries: int
    instruments: int
    ratifications: ImportReport

    def __str__(self) -> str:
        return (
            f"reference data: {self.regions} regions, {self.countries} countries, "
            f"{self.instruments} instruments created; {self.ratifications.summary()}"
        )


def is_loaded() -> bool:
    """Are the shipped regions, countries, instruments and ratifications there? (4 small queries)"""
    return (
        Instrument.objects.count() >= EXPECTED_INSTRUMENTS
        and Region.objects.count() >= EXPECTED_REGIONS
        and Country.objects.count() >= EXPECTED_COUNTRIES
        and Ratification.objects.exists()
    )


def ensure_reference_data() -> str:
    """Load the reference data unless it is already there (fast no-op then)."""
    if is_loaded():
        return "reference data already loaded"
    return str(load_reference_data(actor=None))


def load_reference_data(*, actor: Any, update: bool = False) -> LoadResult:
    """Create the missing regions, countries, instruments and shipped ratifications."""
    reason = "Shipped reference data (fixtures/reference)"
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        regions = _load_regions(actor=actor, reason=reason, update=update)
        countries = _load_countries(actor=actor, reason=reason, update=update)
        instruments = _load_instruments(actor=actor, reason=reason, update=update)
        ratifications = import_ratifications(
            SHIPPED_RATIFICATIONS,
            actor=actor,
            reason="Shipped ratification data (fixtures/reference/ct_ratifications.csv)",
            update_existing=False,
        )
        if not ratifications.ok:
            raise RuntimeError("the shipped ratification file does not import:\n" + ratifications.as_text())
    return LoadResult(regions, countries, instruments, ratifications)


# --- reading the shipped files -----------------------------------------------------------


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _m49(code: str) -> str:
    return code.zfill(3) if code else ""


def region_rows() -> list[dict[str, Any]]:
    """Region rows in creation order (a parent before its children)."""
    rows: list[dict[str, Any]] = []
    for entry in _read(REPORT_DIR / "field_presence.csv"):
        is_field = entry["programme"].startswith("TPB")
        kind = RegionKind.FIELD if is_field else RegionKind.MENTOR
        prefix = "FIELD" if is_field else "MENTOR"
        rows.append(
            {
                "code": f"{prefix}-{entry['list_position']}",
                "name": entry["region_en"],
                "kind": kind,
                "m49_code": "",
                "parent": None,
                "source": f"{REPORT_SOURCE} para {entry['source_para']} (report_2006/field_presence.csv)",
            }
        )
    seen: set[str] = set()
    levels = (
        ("Region Code", "Region Name", RegionKind.M49_REGION, None),
        ("Sub-region Code", "Sub-region Name", RegionKind.M49_SUBREGION, "Region Code"),
        (
            "Intermediate Region Code",
            "Intermediate Region Name",
            RegionKind.M49_INTERMEDIATE,
            "Sub-region Code",
        ),
    )
    countries = _read(REFERENCE_DIR / "country-codes.csv")
    for code_col, name_col, kind, parent_col in levels:
        for entry in countries:
            code = _m49(entry[code_col])
            if not code or code in seen:
                continue
            seen.add(code)
            rows.append(
                {
                    "code": f"M49-{code}",
                    "name": entry[name_col],
                    "kind": kind,
                    "m49_code": code,
                    "parent": f"M49-{_m49(entry[parent_col])}" if parent_col else None,
                    "source": COUNTRY_CODES_SOURCE,
                }
            )
    return rows


def _name(entry: dict[str, str], language: str, column: str) -> str:
    """UNTERM short name (footnote asterisks dropped), else the UNSD M49 name."""
    return _FOOTNOTE.sub("", entry[f"UNTERM {language} Short"]) or entry[f"official_name_{column}"]


def country_rows() -> list[dict[str, Any]]:
    members = {m["iso3"]: m for m in _read(REFERENCE_DIR / "un_member_states.csv")}
    rows = []
    for entry in _read(REFERENCE_DIR / "country-codes.csv"):
        iso3, m49 = entry["ISO3166-1-Alpha-3"], _m49(entry["M49"])
        if not iso3 or not m49:
            continue
        member = members.get(iso3)
        row: dict[str, Any] = {
            "iso3": iso3,
            "iso2": entry["ISO3166-1-Alpha-2"],
            "m49": m49,
            "formal_name_en": _FOOTNOTE.sub("", entry["UNTERM English Formal"]),
            "is_un_member": member is not None,
            "un_admission_date": datetime.date.fromisoformat(member["admission_date"]) if member else None,
            "m49_region": f"M49-{_m49(entry['Region Code'])}" if entry["Region Code"] else None,
            "m49_subregion": f"M49-{_m49(entry['Sub-region Code'])}" if entry["Sub-region Code"] else None,
            "m49_intermediate_region": (
                f"M49-{_m49(entry['Intermediate Region Code'])}"
                if entry["Intermediate Region Code"]
                else None
            ),
            "source": COUNTRY_CODES_SOURCE + (f"; membership: {MEMBERS_SOURCE}" if member else ""),
        }
        for field, language, column in LANGUAGES:
            row[f"name_{field}"] = _name(entry, language, column)
        rows.append(row)
    return rows


def instrument_rows() -> list[dict[str, Any]]:
    """The 16 instruments of the report plus the 3 later ones, with their status coverage."""
    coverage = {c["code"]: c for c in _read(REFERENCE_DIR / "instrument_status_coverage.csv")}
    rows = []
    report = _read(REPORT_DIR / "instruments.csv")
    later = _read(REFERENCE_DIR / "instruments_later.csv")
    for entry in report + later:
        cover = coverage[entry["code"]]
        rows.append(
            {
                "code": entry["code"],
                "seq": int(entry["seq"]),
                "group": InstrumentGroup(entry["group"]),
                "short_title": entry["short_title"],
                "title_en": entry["title_en"],
                "title_zh": entry.get("title_zh_as_printed", ""),
                "adoption_place": entry["adoption_place"],
                "adoption_date": datetime.date.fromisoformat(entry["adoption_date"]),
                "depositary": entry["depositary"],
                "adopted_by": entry.get("adopted_by_or_document", ""),
                "data_source": entry["data_source"],
                "status_coverage": Coverage(cover["status_coverage"]),
                "status_covered_until": (
                    datetime.date.fromisoformat(cover["status_covered_until"])
                    if cover["status_covered_until"]
                    else None
                ),
                "status_source": cover["status_source"],
            }
        )
    return rows


# --- writing -----------------------------------------------------------------------------


def _sync(model: Any, key: str, rows: list[dict[str, Any]], *, actor: Any, reason: str, update: bool) -> int:
    """Create the rows whose key is missing; with ``update``, re-apply shipped values by save()."""
    existing = {getattr(obj, key): obj for obj in model.objects.all()}
    creates = []
    for row in rows:
        current = existing.get(row[key])
        if current is None:
            creates.append(model(**row))
        elif update:
            changed = [name for name, value in row.items() if getattr(current, name) != value]
            if changed:
                for name in changed:
                    setattr(current, name, row[name])
                current.save()
    if creates:
        user = actor if getattr(actor, "pk", None) else None
        bulk_create_with_history(creates, model, default_user=user, default_change_reason=reason[:100])
    return len(creates)


def _load_regions(*, actor: Any, reason: str, update: bool) -> int:
    created = 0
    rows = region_rows()
    # One level at a time so that each parent exists before its children.
    for level in (None, RegionKind.M49_REGION, RegionKind.M49_SUBREGION):
        by_code = {r.code: r for r in Region.objects.all()}
        batch = [
            {**row, "parent": by_code[row["parent"]] if row["parent"] else None}
            for row in rows
            if (row["parent"] is None and level is None)
            or (row["parent"] and row["parent"] in by_code and by_code[row["parent"]].kind == level)
        ]
        created += _sync(Region, "code", batch, actor=actor, reason=reason, update=update)
    return created


def _load_countries(*, actor: Any, reason: str, update: bool) -> int:
    regions = {r.code: r for r in Region.objects.all()}
    rows = [
        {
            **row,
            **{
                name: regions[row[name]] if row[name] else None
                for name in ("m49_region", "m49_subregion", "m49_intermediate_region")
            },
        }
        for row in country_rows()
    ]
    return _sync(Country, "iso3", rows, actor=actor, reason=reason, update=update)


def _load_instruments(*, actor: Any, reason: str, update: bool) -> int:
    return _sync(Instrument, "code", instrument_rows(), actor=actor, reason=reason, update=update)
