"""Loads the 2006 report's activities and tools (E/CN.15/2007/9) from fixtures/report_2006/.

Every record gets the reference INTERFACES.md names (``DA-2006-<ISO3>``, ``TR-1``, ``W-a``,
``EV-01``, ``TOOL-01`` ...), ``source_document`` and ``source_paragraph``; a second run finds
each record by its reference and, through the services, writes only what differs (nothing,
when the fixtures have not changed), so it adds no history rows.

Readings of the facts where the report's text allows more than one, decided here once:
- The per-country lists of paras 15-18 and 38(e) give the year only: start_date 2006-01-01
  with date_precision "year", no end date. Para 15's 54 countries are recorded as direct
  assistance of unstated form (kind direct_assistance, role beneficiary); the video
  conferences, CTC-report support and delegation visits of paras 16-18 are separate records
  of their own kinds for the same countries, so the 54 stay 54 when counted by country.
- Para 19's "one course ... two held" is read as two courses (TR-1, TR-2). Para 20's "more
  than 30" prosecutors, judges and judicial police is the participant count of each Mexican
  course (qualifier more_than); the split between the three roles is not printed.
- Para 21's ten events are all of kind workshop (the report counts them as its ten
  "subregional and regional workshops", ministerial conferences included). Where the text
  does not state the level, "regional" is recorded and the notes say it was not stated.
- The follow-up of W-a (W-a-FU) and other_events.csv EV-18 are the same planned event; it
  is loaded once, as W-a-FU.
- other_events.csv kinds map to activity kinds as ``_EVENT_KINDS`` below: briefing ->
  briefing; expert group meeting, expert working group, expert workshop -> expert_meeting;
  regional workshop (EV-15, Antalya, February 2007) -> workshop; every other kind
  (consultations, meetings, conferences, forums, seminars, workshops run by partners) ->
  other_event, its printed kind kept in the notes. Month-precision dates are stored as the
  1st of the month with date_precision "month". Where the level is not printed, the notes
  say so (the field holds its default, national).
- Tools: counts_as_office_tool only for the TPB-owned tools TOOL-01..07 (paras 22-26;
  paras 26-28 and 65 also describe tools of other UNODC units and of CTITF); the printed
  status is kept in the notes.
Organisations and co-organisers are loaded by partners.services.report_2006 (it looks the
activities up by reference); co-organisers as printed stay in the notes here.
"""

import csv
import datetime
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from ..choices import (
    ActivityKind,
    ActivityLevel,
    ActivityStatus,
    CountryRole,
    DatePrecision,
    OutcomeKind,
    ParticipantRole,
    Qualifier,
    ToolStatus,
)
from ..models import Activity, Country, Tool
from .activities import create_activity, update_activity
from .tools import create_tool, update_tool

__all__ = ["FIXTURES", "SOURCE_DOCUMENT", "load_missions_2006"]

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "report_2006"
SOURCE_DOCUMENT = "E/CN.15/2007/9"
REASON = "Loaded from the 2006 report E/CN.15/2007/9 (fixtures/report_2006)"
YEAR_2006 = datetime.date(2006, 1, 1)

# (file, reference prefix, kind, title pattern, columns whose text goes into the notes)
_COUNTRY_LISTS = (
    (
        "countries_direct_assistance_2006.csv",
        "DA",
        ActivityKind.DIRECT_ASSISTANCE,
        "Direct technical assistance to {name} (2006)",
        ("assistance_kind", "notes"),
    ),
    (
        "video_conferences_2006.csv",
        "VC",
        ActivityKind.VIDEO_CONFERENCE,
        "Video conference with {name} (2006)",
        ("purpose_general",),
    ),
    (
        "ctc_report_support_2006.csv",
        "CTC",
        ActivityKind.CTC_REPORT_SUPPORT,
        "Support for the report of {name} to the Counter-Terrorism Committee (2006)",
        ("support_kind",),
    ),
    (
        "delegation_visits_2006.csv",
        "DV",
        ActivityKind.DELEGATION_VISIT,
        "Visit of a delegation of {name} to TPB (2006)",
        ("visit_kind", "services_during_visit"),
    ),
    (
        "cted_joint_visits_2006.csv",
        "CTED",
        ActivityKind.CTED_JOINT_VISIT,
        "Joint visit with CTED to {name} (2006)",
        ("visit_kind", "legal_basis", "notes"),
    ),
)

_QUALIFIERS = {"": Qualifier.EXACT, "exact": Qualifier.EXACT, "more than": Qualifier.MORE_THAN}

_TRAINING_ROLES = {
    "criminal justice officials (course aims at judges and prosecutors)": (
        ParticipantRole.CRIMINAL_JUSTICE_OFFICIALS,
    ),
    "prosecutors, judges and judicial police (senior judicial professionals)": (
        ParticipantRole.PROSECUTORS,
        ParticipantRole.JUDGES,
        ParticipantRole.JUDICIAL_POLICE,
    ),
}

_EVENT_KINDS = {
    "briefing": ActivityKind.BRIEFING,
    "expert group meeting": ActivityKind.EXPERT_MEETING,
    "expert working group": ActivityKind.EXPERT_MEETING,
    "expert workshop": ActivityKind.EXPERT_MEETING,
    "ministerial conference": ActivityKind.MINISTERIAL_MEETING,
    "regional workshop": ActivityKind.WORKSHOP,
    # consultations, meetings, conferences, forums, seminars, workshops run by others ...
}
_EVENT_LEVELS = {
    "regional workshop": ActivityLevel.REGIONAL,
    "international conference": ActivityLevel.INTERNATIONAL,
}
_SAME_AS_FOLLOW_UP_OF_W_A = "EV-18"

_TOOL_STATUSES = {
    "completed": ToolStatus.COMPLETED,
    "completed (drafted)": ToolStatus.COMPLETED,
    "existing (UNODC contributed)": ToolStatus.COMPLETED,
    "operational": ToolStatus.COMPLETED,
    "operational (maintained, updated regularly)": ToolStatus.UPDATED,
    "in development": ToolStatus.IN_DEVELOPMENT,
    "in progress": ToolStatus.IN_DEVELOPMENT,
    "preliminary work": ToolStatus.IN_PREPARATION,
}


class FixtureError(RuntimeError):
    """The fixtures say something the loader cannot record without guessing."""


def _rows(name: str) -> Iterator[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _codes(cell: str) -> list[str]:
    return [code.strip() for code in cell.split(";") if code.strip()]


def _notes(row: Mapping[str, str], columns: Iterable[str]) -> str:
    return "\n".join(f"{column.replace('_', ' ')}: {row[column]}" for column in columns if row.get(column))


def _date(value: str) -> tuple[datetime.date | None, str]:
    """An ISO date (YYYY-MM-DD, or YYYY-MM as the 1st with month precision)."""
    if not value:
        return None, str(DatePrecision.DAY)
    if len(value) == 7:
        return datetime.date.fromisoformat(f"{value}-01"), str(DatePrecision.MONTH)
    return datetime.date.fromisoformat(value), str(DatePrecision.DAY)


def _lookup(mapping: Mapping[str, Any], key: str, what: str) -> Any:
    try:
        return mapping[key]
    except KeyError:
        raise FixtureError(f"No mapping for {what} '{key}': extend the loader rather than guess.") from None


class _Loader:
    def __init__(self) -> None:
        self.countries = self._countries()
        self.created = 0
        self.seen = 0

    @staticmethod
    def _countries() -> dict[str, Country]:
        needed: set[str] = set()
        for name, *_ in _COUNTRY_LISTS:
            needed.update(row["country_iso3"] for row in _rows(name))
        for row in _rows("trainings_2006.csv"):
            for column in ("venue_country_iso3", "beneficiary_countries_iso3", "contributing_countries_iso3"):
                needed.update(_codes(row[column]))
        for row in _rows("workshops_2006.csv"):
            for column in ("host_country_iso3", "expert_countries_iso3", "follow_up_country_iso3"):
                needed.update(_codes(row[column]))
        for row in _rows("other_events.csv"):
            needed.update(_codes(row["country_iso3"]))
        for row in _rows("tools.csv"):
            needed.update(_codes(row["countries_covered_iso3"]))
        found = {country.iso3: country for country in Country.objects.filter(iso3__in=needed)}
        missing = sorted(needed - set(found))
        if missing:
            raise FixtureError(
                f"Countries missing from the database: {', '.join(missing)}. "
                "Load the reference data (missions' post_migrate hook) before the 2006 report."
            )
        return found

    def upsert(self, reference: str, *, kind: str, **values: Any) -> Activity:
        self.seen += 1
        fields = {
            "source_document": SOURCE_DOCUMENT,
            "status": ActivityStatus.HELD,
            "level": ActivityLevel.NATIONAL,
            "date_precision": DatePrecision.DAY,
            **values,
        }
        existing = Activity.objects.filter(reference=reference).first()
        if existing is None:
            self.created += 1
            return create_activity(actor=None, reason=REASON, kind=kind, reference=reference, **fields)
        return update_activity(actor=None, reason=REASON, activity=existing, kind=kind, **fields)

    # --- paras 15-18 and 38(e) ------------------------------------------------------------
    def country_lists(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name, prefix, kind, title, note_columns in _COUNTRY_LISTS:
            counts[prefix] = 0
            for row in _rows(name):
                if row["year"] != "2006":
                    raise FixtureError(f"{name}: row for {row['country_iso3']} is not of 2006.")
                country = self.countries[row["country_iso3"]]
                self.upsert(
                    f"{prefix}-2006-{country.iso3}",
                    kind=kind,
                    title=title.format(name=row["country_name_un"]),
                    start_date=YEAR_2006,
                    end_date=None,
                    date_precision=DatePrecision.YEAR,
                    countries=[(country, CountryRole.BENEFICIARY)],
                    notes=_notes(row, note_columns),
                    source_paragraph=row["source_para"],
                )
                counts[prefix] += 1
        return counts

    # --- paras 19-20 ------------------------------------------------------------------------
    def trainings(self) -> int:
        count = 0
        for row in _rows("trainings_2006.csv"):
            roles = _lookup(_TRAINING_ROLES, row["participant_kinds"], "participant kinds")
            shared = " (together; the split between roles is not printed)" if len(roles) > 1 else ""
            participant_count = int(row["participant_count"]) if row["participant_count"] else None
            self.upsert(
                row["training_id"],
                kind=ActivityKind.TRAINING_COURSE,
                title=row["title_en"],
                start_date=datetime.date.fromisoformat(row["start_date"]),
                end_date=datetime.date.fromisoformat(row["end_date"]),
                city=row["city"],
                host_country=self.countries.get(row["venue_country_iso3"]),
                target_group=row["participant_kinds"],
                topics=row["topics_or_aim"],
                participant_count=participant_count,
                participant_count_qualifier=_lookup(
                    _QUALIFIERS, row["participant_count_qualifier"], "qualifier"
                ),
                countries=[
                    *(
                        (self.countries[c], CountryRole.BENEFICIARY)
                        for c in _codes(row["beneficiary_countries_iso3"])
                    ),
                    *(
                        (self.countries[c], CountryRole.CONTRIBUTOR)
                        for c in _codes(row["contributing_countries_iso3"])
                    ),
                ],
                participations=[
                    {
                        "role": role,
                        "notes": f"{row['participant_kinds']}{shared}"
                        + (
                            f": {row['participant_count_qualifier']} {participant_count}"
                            if participant_count
                            else ""
                        ),
                    }
                    for role in roles
                ],
                notes=_notes(
                    row,
                    (
                        "kind",
                        "venue_note",
                        "organizer",
                        "cooperating_bodies",
                        "contributing_orgs",
                        "contributors_note",
                        "other_participation_note",
                        "notes",
                    ),
                ),
                source_paragraph=row["source_para"],
            )
            count += 1
        return count

    # --- para 21 ----------------------------------------------------------------------------
    @staticmethod
    def _outcome(row: Mapping[str, str]) -> list[dict[str, Any]]:
        title = row["outcome_document"]
        if not title:
            return []
        lowered = title.lower()
        if "declaration" in lowered:
            kind = OutcomeKind.DECLARATION
        elif "plan of action" in lowered:
            kind = OutcomeKind.PLAN_OF_ACTION
        elif "recommendations" in lowered:
            kind = OutcomeKind.RECOMMENDATIONS
        else:
            raise FixtureError(f"{row['workshop_id']}: no outcome kind for '{title}'.")
        printed = row["outcome_document_symbol"]
        symbol = printed.split(",")[0].strip()
        summary = f"Printed reference: {printed}." if printed and printed != symbol else ""
        return [{"kind": kind, "title": title[0].upper() + title[1:], "symbol": symbol, "summary": summary}]

    def workshops(self) -> int:
        count = 0
        for row in _rows("workshops_2006.csv"):
            stated_level = row["level_as_stated"]
            level = ActivityLevel(stated_level) if stated_level else ActivityLevel.REGIONAL
            level_note = (
                ""
                if stated_level
                else "level: not stated (para 21 lists it among the subregional and regional workshops)"
            )
            participant_count = row["participant_count"]
            workshop = self.upsert(
                row["workshop_id"],
                kind=ActivityKind.WORKSHOP,
                title=row["title_en"],
                start_date=datetime.date.fromisoformat(row["start_date"]),
                end_date=datetime.date.fromisoformat(row["end_date"]),
                level=level,
                city=row["city"],
                host_country=self.countries[row["host_country_iso3"]],
                target_group=row["target_group"],
                topics=row["content_or_outcome_summary"],
                stated_country_count=int(row["participating_countries"]),
                stated_country_count_qualifier=_lookup(
                    _QUALIFIERS, row["participating_countries_qualifier"], "qualifier"
                ),
                participant_count=int(participant_count) if participant_count else None,
                participant_count_qualifier=_lookup(
                    _QUALIFIERS, row["participant_count_qualifier"], "qualifier"
                ),
                countries=[
                    (self.countries[c], CountryRole.CONTRIBUTOR) for c in _codes(row["expert_countries_iso3"])
                ],
                outcomes=self._outcome(row),
                notes="\n".join(
                    part
                    for part in (
                        _notes(row, ("kind", "co_organizers", "other_participants_reported", "notes")),
                        level_note,
                    )
                    if part
                ),
                source_paragraph=row["source_para"],
            )
            count += 1
            if row["follow_up_event"]:
                self.upsert(
                    f"{row['workshop_id']}-FU",
                    kind=ActivityKind.MINISTERIAL_MEETING,
                    title=row["follow_up_event"],
                    start_date=datetime.date.fromisoformat(row["follow_up_start_date"]),
                    end_date=datetime.date.fromisoformat(row["follow_up_end_date"]),
                    status=ActivityStatus.PLANNED,
                    level=level,
                    host_country=self.countries[row["follow_up_country_iso3"]],
                    follow_up_of=workshop,
                    notes=f"Planned follow-up of {row['workshop_id']}; the same event as other_events.csv "
                    f"{_SAME_AS_FOLLOW_UP_OF_W_A}, loaded once.\n{level_note}".strip(),
                    source_paragraph=row["source_para"],
                )
        return count

    # --- paras 6-60: other dated events -------------------------------------------------------
    def other_events(self) -> int:
        count = 0
        for row in _rows("other_events.csv"):
            if row["event_id"] == _SAME_AS_FOLLOW_UP_OF_W_A:
                if "W-a" not in row["related_id"]:
                    raise FixtureError(f"{_SAME_AS_FOLLOW_UP_OF_W_A} is no longer the follow-up of W-a.")
                continue
            start, precision = _date(row["date_start"])
            end, _ = _date(row["date_end"])
            if start is None:
                raise FixtureError(f"{row['event_id']}: no start date.")
            if precision != row["date_precision"]:
                raise FixtureError(
                    f"{row['event_id']}: date_precision {row['date_precision']} disagrees with the date."
                )
            status_text = row["status"]
            status = ActivityStatus.PLANNED if status_text == "planned" else ActivityStatus.HELD
            if status == ActivityStatus.HELD and not status_text.startswith("held"):
                raise FixtureError(f"{row['event_id']}: unknown status '{status_text}'.")
            extra = {"status as printed": status_text} if status_text not in ("held", "planned") else {}
            level = _EVENT_LEVELS.get(row["kind"])
            if level is None:
                extra["level"] = "not stated (recorded with the default, national)"
            self.upsert(
                row["event_id"],
                kind=_EVENT_KINDS.get(row["kind"], ActivityKind.OTHER_EVENT),
                title=row["description"],
                start_date=start,
                end_date=end,
                date_precision=precision,
                status=status,
                level=level or ActivityLevel.NATIONAL,
                city=row["city"],
                host_country=self.countries[row["country_iso3"]] if row["country_iso3"] else None,
                notes=_notes(
                    {**row, **extra}, ("kind", "organizer", "related_id", "status as printed", "level")
                ),
                source_paragraph=row["source_para"],
            )
            count += 1
        return count

    # --- paras 22-28, 65: tools ------------------------------------------------------------------
    def tools(self) -> tuple[int, int]:
        count = created = 0
        for row in _rows("tools.csv"):
            status_date: datetime.date | None = None
            precision = str(DatePrecision.DAY)
            if row["status_date"] and row["status_date"][0].isdigit():
                status_date, precision = _date(row["status_date"])
            printed = {"status as printed": row["status"]}
            if row["status_date"] and status_date is None:
                printed["status date as printed"] = row["status_date"]
            fields = {
                "name_en": row["name_en"],
                "name_zh": row["name_zh_as_printed"],
                "kind": row["kind"],
                "owner_unit": row["owner_unit"],
                "partners": row["partners"],
                "status": _lookup(_TOOL_STATUSES, row["status"], "tool status"),
                "status_date": status_date,
                "status_date_precision": precision,
                "availability": row["availability"],
                "legal_system": row["legal_system"],
                "counts_as_office_tool": row["owner_unit"] == "TPB",
                "source_paragraph": row["source_para"],
                "notes": _notes(
                    {**row, **printed}, ("notes", "milestones", "status as printed", "status date as printed")
                ),
            }
            countries = [self.countries[c] for c in _codes(row["countries_covered_iso3"])]
            existing = Tool.objects.filter(code=row["tool_id"]).first()
            if existing is None:
                create_tool(actor=None, reason=REASON, code=row["tool_id"], countries=countries, **fields)
                created += 1
            else:
                update_tool(actor=None, reason=REASON, tool=existing, countries=countries, **fields)
            count += 1
        return count, created


def load_missions_2006() -> str:
    """Create or update every activity and tool of the 2006 report; returns a one-line summary."""
    with transaction.atomic():
        loader = _Loader()
        lists = loader.country_lists()
        trainings = loader.trainings()
        workshops = loader.workshops()
        events = loader.other_events()
        tools, new_tools = loader.tools()
    return (
        f"{lists['DA']} countries with direct assistance, {lists['VC']} video conferences, "
        f"{lists['CTC']} CTC-report supports, {lists['DV']} delegation visits, "
        f"{lists['CTED']} CTED joint visits, "
        f"{trainings} trainings, {workshops} workshops (+1 planned follow-up), {events} other events, "
        f"{tools} tools; {loader.created} activities and {new_tools} tools new, "
        f"{loader.seen - loader.created} activities already there (changed only where the fixtures differ)."
    )
