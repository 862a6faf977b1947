"""Importers of ratifications and legislation events from CSV or XLSX files.

Every row is validated first; a file with any error changes nothing and yields a report that
names each bad row's line, field and reason. A valid file is applied in one transaction: new
rows are created, changed rows are updated through ``save()`` (their old values stay in their
history, with the import's reason), identical rows are left alone, so a re-import of the same
file changes nothing. ``dry_run`` validates and computes the same report without writing.

Columns of a ratification file are those of ``fixtures/reference/ct_ratifications.csv``:
``instrument, iso3, m49, participant_source_name, signature_date, action, deposit_date,
raw_consent, source`` (only ``instrument`` and ``iso3`` are required; ``entry_into_force_date``,
``reservations`` and ``retrieved_on`` are optional extras). A column absent from the file
leaves that field of existing rows untouched.

Rules (documented in README "Legal status data"):
- Instrument codes are ours (``Instrument.code``); ``CPPNM_AMDT_2005``, the code used by
  ``ct_ratifications.csv``, is read as ``CPPNM_AMEND_2005`` (INSTRUMENT_CODE_ALIASES).
- A participant that is not a state (``EURATOM`` by default, ``skip_participants``) is
  skipped and listed in the report; any other unknown code is an error.
- A row with a signature and no deposit is stored as a Ratification with an empty action and
  no deposit date (it never counts as a deposit).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from tracker.history import change_context

from ..choices import DatePrecision, LegislationKind, RatificationAction
from ..models import Activity, Country, Instrument, LegislationEvent, Ratification
from .legal import event_author, linkable_activities

INSTRUMENT_CODE_ALIASES = {"CPPNM_AMDT_2005": "CPPNM_AMEND_2005"}
DEFAULT_SKIPPED_PARTICIPANTS = ("EURATOM",)

RATIFICATION_COLUMNS = (
    "instrument",
    "iso3",
    "m49",
    "participant_source_name",
    "signature_date",
    "action",
    "deposit_date",
    "raw_consent",
    "source",
)
LEGISLATION_COLUMNS = (
    "iso3",
    "kind",
    "title",
    "date",
    "date_precision",
    "assisted",
    "activity_reference",
    "instruments",
    "source",
    "notes",
)
_TRUE = {"yes", "y", "true", "1", "x"}
_FALSE = {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.reason}"


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    @property
    def old_text(self) -> str:
        return _show(self.old)

    @property
    def new_text(self) -> str:
        return _show(self.new)

    def __str__(self) -> str:
        return f"{self.field}: {self.old_text} -> {self.new_text}"


@dataclass
class RowOutcome:
    line: int
    key: str
    status: str  # created / updated / unchanged / kept / skipped
    changes: list[FieldChange] = field(default_factory=list)
    note: str = ""


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    rows: list[RowOutcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in ("created", "updated", "unchanged", "kept", "skipped")}

    def summary(self) -> str:
        if not self.ok:
            return f"{self.kind}: {len(self.errors)} error(s); nothing was changed."
        counts = ", ".join(f"{n} {s}" for s, n in self.counts.items() if n or s != "kept")
        prefix = "dry run, nothing written: " if self.dry_run else ""
        return f"{self.kind}: {prefix}{counts}."

    def as_text(self) -> str:
        lines = [self.summary()]
        lines += [f"  ERROR {error}" for error in self.errors]
        for row in self.rows:
            if row.status == "updated":
                lines.append(f"  line {row.line} {row.key} updated: " + "; ".join(map(str, row.changes)))
            elif row.status == "skipped":
                lines.append(f"  line {row.line} {row.key} skipped: {row.note}")
        return "\n".join(lines)


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# --- reading -----------------------------------------------------------------------------
# C0 control characters other than tab, line feed and carriage return: PostgreSQL refuses NUL
# in text, and none of them belongs in a name, a date or a note.
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


class TableError(ValidationError):
    """A file that cannot be read as a table, with the line and column at fault (line 1 is the
    header; the column is "file" when the fault is not in one cell)."""

    def __init__(self, message: str, *, line: int = 1, column: str = "file") -> None:
        super().__init__({column: message})
        self.line = line
        self.column = column


def _file_error(exc: ValidationError) -> RowError:
    return RowError(getattr(exc, "line", 1), getattr(exc, "column", "file"), "; ".join(exc.messages))


def _control_name(value: str) -> str | None:
    bad = next((c for c in value if c in _CONTROL), None)
    if bad is None:
        return None
    return "a NUL character" if bad == "\x00" else f"the control character U+{ord(bad):04X}"


def _check_cells(line: int, row: dict[str, str]) -> None:
    if (name := _control_name("".join(row))) is not None:
        raise TableError(f"line {line}: the header contains {name}", line=1)
    for column, value in row.items():
        if (name := _control_name(value)) is not None:
            raise TableError(f"line {line}: the cell contains {name}", line=line, column=column)


def read_table(
    data: bytes | str | Path | IO[bytes], *, filename: str = ""
) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV or XLSX file as (line number, {column: text}); line 1 is the header."""
    if isinstance(data, Path):
        filename = filename or data.name
        data = data.read_bytes()
    elif isinstance(data, str):
        data = data.encode("utf-8")
    elif not isinstance(data, bytes):
        data = data.read()
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        return _read_xlsx(data)
    return _read_csv(data)


def _read_csv(data: bytes) -> list[tuple[int, dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TableError(
            f"The file is not UTF-8 text: line {line} has the byte 0x{data[exc.start]:02X}, which is not "
            f'UTF-8 ({exc.reason}). Save the file as "CSV UTF-8" and import it again.',
            line=line,
        ) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        for record in reader:
            if None in record:
                raise TableError(
                    f"Line {reader.line_num} has more cells than the header.", line=reader.line_num
                )
            row = {(k or "").strip(): (v or "").strip() for k, v in record.items()}
            _check_cells(reader.line_num, row)
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise TableError(f"Line {reader.line_num} is not valid CSV ({exc}).", line=reader.line_num) from exc
    _check_header(reader.fieldnames)
    _check_cells(1, dict.fromkeys(reader.fieldnames or [], ""))
    return rows


def _read_xlsx(data: bytes) -> list[tuple[int, dict[str, str]]]:
    import openpyxl  # imported here: only XLSX uploads need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 -- openpyxl raises many kinds for a bad file; all mean "not XLSX"
        raise ValidationError({"file": f"The file is not a readable XLSX workbook ({exc})."}) from exc
    sheet = book.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows_iter, ())]
    _check_header(header)
    rows = []
    for number, values in enumerate(rows_iter, start=2):
        cells = [_cell_text(v) for v in values]
        if not any(cells):
            continue
        row = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
        _check_cells(number, row)
        rows.append((number, row))
    book.close()
    return rows


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _check_header(header: Sequence[str] | None) -> None:
    if not header:
        raise ValidationError({"file": "The file is empty: it has no header row."})


def _require_columns(
    rows: list[tuple[int, dict[str, str]]], required: Iterable[str], errors: list[RowError]
) -> set[str]:
    present = set(rows[0][1]) if rows else set()
    for column in required:
        if rows and column not in present:
            errors.append(RowError(1, column, "required column is missing from the header"))
    return present


def _parse_date(value: str, line: int, name: str, errors: list[RowError]) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        errors.append(RowError(line, name, f"{value!r} is not a date in the form YYYY-MM-DD"))
        return None


# --- ratifications -----------------------------------------------------------------------


def import_ratifications(
    data: bytes | str | Path | IO[bytes],
    *,
    actor: Any,
    reason: str,
    filename: str = "",
    dry_run: bool = False,
    update_existing: bool = True,
    skip_participants: Sequence[str] = DEFAULT_SKIPPED_PARTICIPANTS,
    default_source: str = "",
    retrieved_on: datetime.date | None = None,
) -> ImportReport:
    """Validate a whole ratification file, then apply it all or nothing (see module docstring).

    ``update_existing=False`` only creates missing rows and keeps existing ones as they are
    (the shipped-data loader uses it so that it never undoes an officer's correction).
    """
    report = ImportReport(kind="ratifications", dry_run=dry_run)
    try:
        rows = read_table(data, filename=filename)
    except ValidationError as exc:
        report.errors.append(_file_error(exc))
        return report
    present = _require_columns(rows, ("instrument", "iso3"), report.errors)
    if report.errors:
        return report

    instruments = {i.code: i for i in Instrument.objects.all()}
    countries = {c.iso3: c for c in Country.objects.all()}
    existing = {(r.country_id, r.instrument_id): r for r in Ratification.objects.all()}
    skip = {code.upper() for code in skip_participants}
    actions = set(RatificationAction.values)
    seen: dict[tuple[int, int], tuple[int, dict[str, Any]]] = {}
    planned: list[tuple[int, str, Ratification | None, Country, Instrument, dict[str, Any]]] = []

    for line, row in rows:
        errors: list[RowError] = []
        code = row.get("instrument", "")
        iso3 = row.get("iso3", "").upper()
        key = f"{iso3 or '?'}/{code or '?'}"
        if iso3 in skip:
            report.rows.append(
                RowOutcome(line, key, "skipped", note="not a state: skipped by the importer's rule")
            )
            continue
        instrument = instruments.get(INSTRUMENT_CODE_ALIASES.get(code, code))
        if instrument is None:
            errors.append(RowError(line, "instrument", f"unknown instrument code {code!r}"))
        country = countries.get(iso3)
        if country is None:
            errors.append(RowError(line, "iso3", f"unknown country code {iso3!r}"))
        elif row.get("m49") and row["m49"].zfill(3) != country.m49:
            errors.append(
                RowError(line, "m49", f"{row['m49']!r} is not the M49 code of {iso3} ({country.m49})")
            )
        action = row.get("action", "").lower()
        if action and action not in actions:
            errors.append(RowError(line, "action", f"{action!r} is not one of {', '.join(sorted(actions))}"))
        values: dict[str, Any] = {}
        for name in ("signature_date", "deposit_date", "entry_into_force_date", "retrieved_on"):
            if name in present:
                values[name] = _parse_date(row.get(name, ""), line, name, errors)
        if "action" in present:
            values["action"] = action
        if "reservations" in present:
            values["reservations"] = row.get("reservations", "")
        if "raw_consent" in present:
            values["source_reference"] = row.get("raw_consent", "")[:300]
        if row.get("source") or default_source:
            values["source"] = (row.get("source") or default_source)[:300]
        if "retrieved_on" not in present and retrieved_on is not None:
            values["retrieved_on"] = retrieved_on
        if not errors and instrument is not None and country is not None:
            errors += _check_ratification(line, values, instrument)
            pair = (country.pk, instrument.pk)
            if pair in seen:
                first_line, first_values = seen[pair]
                what = "duplicate of" if first_values == values else "conflicts with"
                errors.append(RowError(line, "iso3", f"{what} line {first_line} ({key})"))
            else:
                seen[pair] = (line, values)
        if errors or country is None or instrument is None:
            report.errors += errors
            continue
        planned.append((line, key, existing.get((country.pk, instrument.pk)), country, instrument, values))

    if report.errors:
        report.rows = []
        return report

    creates: list[Ratification] = []
    updates: list[Ratification] = []
    for line, key, current, country, instrument, values in planned:
        if current is None:
            creates.append(Ratification(country=country, instrument=instrument, **values))
            report.rows.append(RowOutcome(line, key, "created"))
            continue
        changes = [
            FieldChange(name, getattr(current, name), value)
            for name, value in values.items()
            if getattr(current, name) != value
        ]
        if not changes:
            report.rows.append(RowOutcome(line, key, "unchanged"))
        elif not update_existing:
            report.rows.append(RowOutcome(line, key, "kept", changes, note="existing row kept"))
        else:
            for change in changes:
                setattr(current, change.field, change.new)
            updates.append(current)
            report.rows.append(RowOutcome(line, key, "updated", changes))
    report.rows.sort(key=lambda outcome: outcome.line)
    if not dry_run:
        _apply(Ratification, creates, updates, actor=actor, reason=reason)
    return report


def _check_ratification(line: int, values: dict[str, Any], instrument: Instrument) -> list[RowError]:
    errors = []
    action, deposit = values.get("action", ""), values.get("deposit_date")
    if bool(action) != bool(deposit):
        name = "deposit_date" if action else "action"
        errors.append(RowError(line, name, "a deposit needs both its kind of act (action) and its date"))
    if not deposit and not values.get("signature_date"):
        errors.append(RowError(line, "deposit_date", "the row has neither a deposit nor a signature"))
    for name in ("signature_date", "deposit_date"):
        value = values.get(name)
        if value and value < instrument.adoption_date:
            errors.append(
                RowError(
                    line,
                    name,
                    f"{value.isoformat()} is before {instrument.code} was adopted "
                    f"({instrument.adoption_date.isoformat()})",
                )
            )
    in_force = values.get("entry_into_force_date")
    if in_force and deposit and in_force < deposit:
        errors.append(RowError(line, "entry_into_force_date", "is before the date of deposit"))
    return errors


def _apply(model: Any, creates: list[Any], updates: list[Any], *, actor: Any, reason: str) -> None:
    user = actor if getattr(actor, "pk", None) else None
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        if creates:
            bulk_create_with_history(creates, model, default_user=user, default_change_reason=reason[:100])
        for obj in updates:
            obj.save()


# --- legislation events ------------------------------------------------------------------


def import_legislation(
    data: bytes | str | Path | IO[bytes],
    *,
    actor: Any,
    reason: str,
    filename: str = "",
    dry_run: bool = False,
) -> ImportReport:
    """Validate a whole legislation-event file, then apply it all or nothing.

    Columns: ``iso3, kind, date`` (required), ``title`` and ``date_precision, assisted,
    activity_reference, instruments`` (instrument codes separated by ``;``), ``source, notes``.
    An event is identified by country, kind, date and title; the other columns present in the
    file are updated (a column absent from the file leaves that field untouched).
    """
    report = ImportReport(kind="legislation events", dry_run=dry_run)
    try:
        rows = read_table(data, filename=filename)
    except ValidationError as exc:
        report.errors.append(_file_error(exc))
        return report
    present = _require_columns(rows, ("iso3", "kind", "date"), report.errors)
    if report.errors:
        return report

    countries = {c.iso3: c for c in Country.objects.all()}
    instruments = {i.code: i for i in Instrument.objects.all()}
    refs = {r.strip() for _, row in rows for r in [row.get("activity_reference", "")] if r.strip()}
    # Only activities the importer may see can be named (legal.linkable_activities, as in the
    # admin and the API); another region's reference reads as unknown, like a missing one.
    activities = {
        a.reference: a for a in linkable_activities(actor, Activity.objects.filter(reference__in=refs))
    }
    existing = {
        (e.country_id, e.kind, e.date, e.title): e
        for e in LegislationEvent.objects.prefetch_related("instruments")
    }
    kinds = set(LegislationKind.values)
    precisions = set(DatePrecision.values)
    seen: dict[tuple[Any, ...], tuple[int, dict[str, Any]]] = {}
    planned: list[tuple[int, str, LegislationEvent | None, dict[str, Any], set[int] | None]] = []

    for line, row in rows:
        errors: list[RowError] = []
        iso3 = row.get("iso3", "").upper()
        country = countries.get(iso3)
        if country is None:
            errors.append(RowError(line, "iso3", f"unknown country code {iso3!r}"))
        kind = row.get("kind", "").lower()
        if kind not in kinds:
            errors.append(RowError(line, "kind", f"{kind!r} is not one of {', '.join(sorted(kinds))}"))
        date = _parse_date(row.get("date", ""), line, "date", errors)
        if date is None and row.get("date", "") == "":
            errors.append(RowError(line, "date", "is required"))
        title = row.get("title", "")[:400]
        values: dict[str, Any] = {}
        if "source" in present:
            values["source"] = row.get("source", "")[:300]
        if "notes" in present:
            values["notes"] = row.get("notes", "")
        if "date_precision" in present:
            precision = row.get("date_precision", "").lower() or DatePrecision.DAY
            if precision not in precisions:
                errors.append(RowError(line, "date_precision", f"{precision!r} is not day, month or year"))
            values["date_precision"] = precision
        reference = row.get("activity_reference", "").strip()
        activity = activities.get(reference) if reference else None
        if reference and activity is None:
            errors.append(
                RowError(line, "activity_reference", f"no activity has the reference {reference!r}")
            )
        if "activity_reference" in present:
            values["activity"] = activity
        if "assisted" in present:
            assisted_text = row.get("assisted", "").lower()
            if assisted_text not in _TRUE | _FALSE:
                errors.append(RowError(line, "assisted", f"{assisted_text!r} is not yes or no"))
            values["assisted_by_office"] = assisted_text in _TRUE
        elif activity is not None:
            values["assisted_by_office"] = True  # an activity reference says the office assisted
        if activity is not None and not values.get("assisted_by_office"):
            errors.append(
                RowError(line, "assisted", "an event linked to an activity was assisted by the office")
            )
        instrument_ids: set[int] | None = None
        if "instruments" in present:
            instrument_ids = set()
            for code in filter(None, (c.strip() for c in row.get("instruments", "").split(";"))):
                found = instruments.get(INSTRUMENT_CODE_ALIASES.get(code, code))
                if found is None:
                    errors.append(RowError(line, "instruments", f"unknown instrument code {code!r}"))
                else:
                    instrument_ids.add(found.pk)
        if not errors and country is not None:
            natural = (country.pk, kind, date, title)
            if natural in seen:
                first_line, first_values = seen[natural]
                what = "duplicate of" if first_values == values else "conflicts with"
                errors.append(RowError(line, "title", f"{what} line {first_line}"))
            else:
                seen[natural] = (line, values)
        if errors or country is None or date is None:
            report.errors += errors
            continue
        values.update(country=country, kind=kind, date=date, title=title)
        key = f"{iso3}/{kind}/{date.isoformat()}/{title or '(untitled)'}"
        planned.append((line, key, existing.get((country.pk, kind, date, title)), values, instrument_ids))

    if report.errors:
        return report

    creates: list[tuple[LegislationEvent, set[int] | None]] = []
    updates: list[tuple[LegislationEvent, set[int] | None]] = []
    for line, key, current, values, instrument_ids in planned:
        if current is None:
            creates.append(
                (
                    LegislationEvent(created_by=event_author(actor), **values),
                    instrument_ids,
                )
            )
            report.rows.append(RowOutcome(line, key, "created"))
            continue
        changes = [
            FieldChange(name, getattr(current, name), value)
            for name, value in values.items()
            if getattr(current, name) != value
        ]
        old_ids = {i.pk for i in current.instruments.all()}
        if instrument_ids is not None and old_ids != instrument_ids:
            changes.append(FieldChange("instruments", _codes(old_ids), _codes(instrument_ids)))
        if not changes:
            report.rows.append(RowOutcome(line, key, "unchanged"))
            continue
        for change in changes:
            if change.field != "instruments":
                setattr(current, change.field, change.new)
        updates.append((current, instrument_ids))
        report.rows.append(RowOutcome(line, key, "updated", changes))
    if not dry_run:
        with transaction.atomic(), change_context(actor=actor, reason=reason):
            for event, ids in creates + updates:
                event.save()
                if ids is not None:
                    event.instruments.set(ids)
    return report


def _codes(ids: set[int]) -> str:
    return ";".join(sorted(Instrument.objects.filter(pk__in=ids).values_list("code", flat=True)))
