"""Importers of ratifications and legislation events from CSV or XLSX files.

Every row is validated first; a file with any error changes nothing and yields a report that
names each bad row's line, field and reason. A valid file is applied in one transaction: new
rows are created, changed rows are updated through ``save()`` (their old values stay in their
history, with the import's reason), identical rows are left alone, so a re-import of the same
file changes nothing. ``dry_run`` validates and computes the same report without writing.

Bounded (docs/reliability.md "Bounded imports"): a file over IMPORT_MAX_BYTES or
IMPORT_MAX_ROWS is refused with an error naming the limit. The file is read as a stream
(``import_files``) in batches of ``BATCH_SIZE`` rows, twice: once to validate it (and count
what would change), then, if no row failed and it is not a dry run, once more to write it, batch
by batch inside one transaction. Nothing holds the whole file: what stays in memory is the
reference tables and the report, which lists at most IMPORT_MAX_LISTED errors and changed rows
and counts the rest (the duplicate check keeps its keys on disk: ``import_files.SeenKeys``).

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

import datetime
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from tracker.history import change_context

from ..choices import DatePrecision, LegislationKind, RatificationAction
from ..models import Activity, Country, Instrument, LegislationEvent, Ratification
from .import_files import (
    ImportData,
    ImportFile,
    ImportLimits,
    RowError,
    SeenKeys,
    TableError,
    TableRow,
    check_size,
    read_table,
)
from .legal import event_author, linkable_activities

__all__ = [
    "DEFAULT_SKIPPED_PARTICIPANTS",
    "FieldChange",
    "ImportReport",
    "Progress",
    "RowError",
    "RowOutcome",
    "import_legislation",
    "import_ratifications",
]

INSTRUMENT_CODE_ALIASES = {"CPPNM_AMDT_2005": "CPPNM_AMEND_2005"}
DEFAULT_SKIPPED_PARTICIPANTS = ("EURATOM",)
BATCH_SIZE = 2_000  # rows validated, looked up and written together

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
STATUSES = ("created", "updated", "unchanged", "kept", "skipped")
_LISTED = {"updated", "kept", "skipped"}  # the outcomes a report shows row by row

# Called after each batch with the rows read so far (the whole file, once validated) and the
# rows written so far: the import jobs record it as their progress.
Progress = Callable[[int, int], None]


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
    """What an import did (or would do): counts of every outcome, and the errors and the changed
    or skipped rows, each listed up to ``max_listed`` (the rest are counted)."""

    kind: str
    dry_run: bool
    rows: list[RowOutcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    max_listed: int = 1_000
    error_count: int = 0
    rows_read: int = 0
    rows_written: int = 0
    tally: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < self.max_listed:
            self.errors.append(error)

    def add(self, outcome: RowOutcome) -> None:
        self.tally[outcome.status] += 1
        if outcome.status in _LISTED and len(self.rows) < self.max_listed:
            self.rows.append(outcome)

    def clear_outcomes(self) -> None:
        self.rows = []
        self.tally = dict.fromkeys(STATUSES, 0)

    def count(self, status: str) -> int:
        return self.tally[status]

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.tally)

    def summary(self) -> str:
        if not self.ok:
            return f"{self.kind}: {self.error_count} error(s); nothing was changed."
        counts = ", ".join(f"{n} {s}" for s, n in self.counts.items() if n or s != "kept")
        prefix = "dry run, nothing written: " if self.dry_run else ""
        return f"{self.kind}: {prefix}{counts}."

    @property
    def unlisted_errors(self) -> int:
        return self.error_count - len(self.errors)

    @property
    def unlisted_rows(self) -> int:
        return sum(self.tally[s] for s in _LISTED) - len(self.rows)

    def as_text(self) -> str:
        lines = [self.summary()]
        lines += [f"  ERROR {error}" for error in self.errors]
        if self.unlisted_errors:
            lines.append(f"  ... and {self.unlisted_errors} more error(s), not listed")
        for row in self.rows:
            if row.status == "updated":
                lines.append(f"  line {row.line} {row.key} updated: " + "; ".join(map(str, row.changes)))
            elif row.status == "skipped":
                lines.append(f"  line {row.line} {row.key} skipped: {row.note}")
        if self.unlisted_rows:
            lines.append(f"  ... and {self.unlisted_rows} more changed or skipped row(s), not listed")
        return "\n".join(lines)


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _parse_date(value: str, line: int, name: str, errors: list[RowError]) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        errors.append(RowError(line, name, f"{value!r} is not a date in the form YYYY-MM-DD"))
        return None


def _digest(value: Any) -> int:
    """64 bits standing for a natural key in the duplicate check (a collision is one chance in
    about 10**19 per pair of rows); the key itself, a long title say, is not kept."""
    return int.from_bytes(hashlib.blake2b(repr(value).encode(), digest_size=8).digest(), "big", signed=True)


def _values_digest(values: dict[str, Any]) -> int:
    """Tells "duplicate of" (the same values) from "conflicts with" (other values)."""
    return hash(tuple(sorted(values.items())))


# --- the two passes, shared by both importers ---------------------------------------------
class _Rules(Protocol):
    required: tuple[str, ...]

    def start_pass(self, seen: SeenKeys) -> None:
        """Start a pass over the file, with an empty duplicate check."""

    def check(self, batch: list[TableRow], present: set[str], report: ImportReport) -> list[Any]:
        """Validate a batch: record its errors and skipped rows; return its rows to compare."""

    def compare(self, planned: list[Any], report: ImportReport) -> tuple[list[Any], list[Any]]:
        """Look up the batch's stored records, record each row's outcome; return what to
        create and what to update."""

    def write(self, creates: list[Any], updates: list[Any]) -> None:
        """Write one batch (inside the import's transaction)."""


class _Abandoned(Exception):  # noqa: N818 -- a signal to roll back, not an error to report
    pass


def _batches(rows: Iterator[TableRow], size: int) -> Iterator[list[TableRow]]:
    batch: list[TableRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _read(
    file: ImportFile,
    rules: _Rules,
    report: ImportReport,
    limits: ImportLimits,
    *,
    write: bool,
    progress: Callable[[ImportReport], None],
) -> None:
    """One pass over the file; errors go to the report (a fault that stops the reading too)."""
    try:
        with SeenKeys() as seen, read_table(file, max_rows=limits.max_rows) as table:
            rules.start_pass(seen)
            present = set(table.header) - {""}
            for column in rules.required:
                if column not in present:
                    report.add_error(RowError(1, column, "required column is missing from the header"))
            if not report.ok:
                return
            for batch in _batches(table.rows, BATCH_SIZE):
                report.rows_read += len(batch)
                planned = rules.check(batch, present, report)
                if report.ok:  # after the first error, outcomes no longer matter: no look-ups
                    creates, updates = rules.compare(planned, report)
                    if write:
                        rules.write(creates, updates)
                        report.rows_written += len(creates) + len(updates)
                progress(report)
    except TableError as exc:
        report.add_error(exc.as_row_error())


def _run(
    data: ImportData,
    rules: _Rules,
    *,
    kind: str,
    filename: str,
    dry_run: bool,
    actor: Any,
    reason: str,
    progress: Progress | None,
) -> ImportReport:
    limits = ImportLimits.from_settings()
    report = ImportReport(kind=kind, dry_run=dry_run, max_listed=limits.max_listed)
    file = ImportFile(data, filename=filename)
    try:
        check_size(file.size, limits)
    except TableError as exc:
        report.add_error(exc.as_row_error())
        return report

    def validating(current: ImportReport) -> None:
        if progress is not None:
            progress(current.rows_read, 0)

    _read(file, rules, report, limits, write=False, progress=validating)
    if not report.ok:
        report.clear_outcomes()
        return report
    if dry_run:
        return report

    rows_read = report.rows_read

    def writing(current: ImportReport) -> None:
        if progress is not None:
            progress(rows_read, current.rows_written)

    written = ImportReport(kind=kind, dry_run=False, max_listed=limits.max_listed)
    try:
        with transaction.atomic(), change_context(actor=actor, reason=reason):
            _read(file, rules, written, limits, write=True, progress=writing)
            if not written.ok:  # the records changed since the validation: write nothing
                raise _Abandoned
    except _Abandoned:
        written.clear_outcomes()
        written.rows_written = 0
    return written


def _planned(
    batch: list[TableRow], report: ImportReport, check_row: Callable[[int, dict[str, str]], Any]
) -> list[Any]:
    """The plan of each readable row of ``batch``, in order (``check_row`` gives None for a row
    it refused, having reported why); a row the reader could not read is reported as it is."""
    planned = []
    for table_row in batch:
        if table_row.error is not None:
            report.add_error(table_row.error)
            continue
        item = check_row(table_row.line, table_row.cells)
        if item is not None:
            planned.append(item)
    return planned


# --- ratifications -----------------------------------------------------------------------
@dataclass
class _PlannedRatification:
    line: int
    key: str
    country: Country
    instrument: Instrument
    values: dict[str, Any]


class _RatificationRules:
    required: tuple[str, ...] = ("instrument", "iso3")

    def __init__(
        self,
        *,
        actor: Any,
        reason: str,
        update_existing: bool,
        skip_participants: Sequence[str],
        default_source: str,
        retrieved_on: datetime.date | None,
    ) -> None:
        self.actor, self.reason = actor, reason
        self.update_existing = update_existing
        self.default_source = default_source
        self.retrieved_on = retrieved_on
        self.instruments = {i.code: i for i in Instrument.objects.all()}
        self.countries = {c.iso3: c for c in Country.objects.all()}
        self.skip = {code.upper() for code in skip_participants}
        self.actions = set(RatificationAction.values)
        self.seen: SeenKeys | None = None  # (country, instrument): the first line and its values

    def start_pass(self, seen: SeenKeys) -> None:
        self.seen = seen

    def check(self, batch: list[TableRow], present: set[str], report: ImportReport) -> list[Any]:
        return _planned(batch, report, lambda line, cells: self._check_row(line, cells, present, report))

    def _check_row(
        self, line: int, row: dict[str, str], present: set[str], report: ImportReport
    ) -> _PlannedRatification | RowOutcome | None:
        errors: list[RowError] = []
        code = row.get("instrument", "")
        iso3 = row.get("iso3", "").upper()
        key = f"{iso3 or '?'}/{code or '?'}"
        if iso3 in self.skip:  # reported in line order by compare()
            return RowOutcome(line, key, "skipped", note="not a state: skipped by the importer's rule")
        instrument = self.instruments.get(INSTRUMENT_CODE_ALIASES.get(code, code))
        if instrument is None:
            errors.append(RowError(line, "instrument", f"unknown instrument code {code!r}"))
        country = self.countries.get(iso3)
        if country is None:
            errors.append(RowError(line, "iso3", f"unknown country code {iso3!r}"))
        elif row.get("m49") and row["m49"].zfill(3) != country.m49:
            errors.append(
                RowError(line, "m49", f"{row['m49']!r} is not the M49 code of {iso3} ({country.m49})")
            )
        action = row.get("action", "").lower()
        if action and action not in self.actions:
            errors.append(
                RowError(line, "action", f"{action!r} is not one of {', '.join(sorted(self.actions))}")
            )
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
        if row.get("source") or self.default_source:
            values["source"] = (row.get("source") or self.default_source)[:300]
        if "retrieved_on" not in present and self.retrieved_on is not None:
            values["retrieved_on"] = self.retrieved_on
        if not errors and instrument is not None and country is not None:
            errors += _check_ratification(line, values, instrument)
            pair = (country.pk, instrument.pk)
            digest = _values_digest(values)
            assert self.seen is not None  # noqa: S101 -- start_pass comes first
            if (first := self.seen.first(_digest(pair), line, digest)) is not None:
                first_line, first_digest = first
                what = "duplicate of" if first_digest == digest else "conflicts with"
                errors.append(RowError(line, "iso3", f"{what} line {first_line} ({key})"))
        for error in errors:
            report.add_error(error)
        if errors or country is None or instrument is None:
            return None
        return _PlannedRatification(line, key, country, instrument, values)

    def compare(
        self, planned: list[_PlannedRatification | RowOutcome], report: ImportReport
    ) -> tuple[list[_PlannedRatification], list[Ratification]]:
        rows = [p for p in planned if isinstance(p, _PlannedRatification)]
        stored = {
            (r.country_id, r.instrument_id): r
            for r in Ratification.objects.filter(
                country__in={p.country.pk for p in rows}, instrument__in={p.instrument.pk for p in rows}
            )
        }
        creates: list[_PlannedRatification] = []
        updates: list[Ratification] = []
        for item in planned:
            if isinstance(item, RowOutcome):
                report.add(item)
                continue
            current = stored.get((item.country.pk, item.instrument.pk))
            if current is None:
                creates.append(item)
                report.add(RowOutcome(item.line, item.key, "created"))
                continue
            changes = [
                FieldChange(name, getattr(current, name), value)
                for name, value in item.values.items()
                if getattr(current, name) != value
            ]
            if not changes:
                report.add(RowOutcome(item.line, item.key, "unchanged"))
            elif not self.update_existing:
                report.add(RowOutcome(item.line, item.key, "kept", changes, note="existing row kept"))
            else:
                for change in changes:
                    setattr(current, change.field, change.new)
                updates.append(current)
                report.add(RowOutcome(item.line, item.key, "updated", changes))
        return creates, updates

    def write(self, creates: list[_PlannedRatification], updates: list[Ratification]) -> None:
        user = self.actor if getattr(self.actor, "pk", None) else None
        if creates:
            bulk_create_with_history(
                [Ratification(country=p.country, instrument=p.instrument, **p.values) for p in creates],
                Ratification,
                default_user=user,
                default_change_reason=self.reason[:100],
            )
        for obj in updates:
            obj.save()


def import_ratifications(
    data: ImportData,
    *,
    actor: Any,
    reason: str,
    filename: str = "",
    dry_run: bool = False,
    update_existing: bool = True,
    skip_participants: Sequence[str] = DEFAULT_SKIPPED_PARTICIPANTS,
    default_source: str = "",
    retrieved_on: datetime.date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate a whole ratification file, then apply it all or nothing (see module docstring).

    ``update_existing=False`` only creates missing rows and keeps existing ones as they are
    (the shipped-data loader uses it so that it never undoes an officer's correction).
    """
    rules = _RatificationRules(
        actor=actor,
        reason=reason,
        update_existing=update_existing,
        skip_participants=skip_participants,
        default_source=default_source,
        retrieved_on=retrieved_on,
    )
    return _run(
        data,
        rules,
        kind="ratifications",
        filename=filename,
        dry_run=dry_run,
        actor=actor,
        reason=reason,
        progress=progress,
    )


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


# --- legislation events ------------------------------------------------------------------
@dataclass
class _PlannedEvent:
    line: int
    key: str
    values: dict[str, Any]
    instrument_ids: set[int] | None


# The stored event (None: a new one) and the row that creates or changes it.
_EventWrite = tuple[LegislationEvent | None, _PlannedEvent]


class _LegislationRules:
    required: tuple[str, ...] = ("iso3", "kind", "date")

    def __init__(self, *, actor: Any) -> None:
        self.actor = actor
        self.countries = {c.iso3: c for c in Country.objects.all()}
        self.instruments = {i.code: i for i in Instrument.objects.all()}
        self.codes = {i.pk: i.code for i in self.instruments.values()}
        self.kinds = set(LegislationKind.values)
        self.precisions = set(DatePrecision.values)
        self.activities: dict[str, Activity] = {}  # the references found so far in this pass
        self.seen: SeenKeys | None = None  # (country, kind, date, title): the first line and its values

    def start_pass(self, seen: SeenKeys) -> None:
        self.seen, self.activities = seen, {}  # the write checks the references again

    def _look_up_activities(self, batch: list[TableRow]) -> None:
        refs = {r for row in batch if (r := row.cells.get("activity_reference", "").strip())}
        refs -= set(self.activities)
        if refs:
            # Only activities the importer may see can be named (legal.linkable_activities, as
            # in the admin and the API); another region's reference reads as unknown.
            found = linkable_activities(self.actor, Activity.objects.filter(reference__in=refs))
            self.activities.update((a.reference or "", a) for a in found)

    def check(self, batch: list[TableRow], present: set[str], report: ImportReport) -> list[Any]:
        self._look_up_activities(batch)
        return _planned(batch, report, lambda line, cells: self._check_row(line, cells, present, report))

    def _check_row(
        self, line: int, row: dict[str, str], present: set[str], report: ImportReport
    ) -> _PlannedEvent | None:
        errors: list[RowError] = []
        iso3 = row.get("iso3", "").upper()
        country = self.countries.get(iso3)
        if country is None:
            errors.append(RowError(line, "iso3", f"unknown country code {iso3!r}"))
        kind = row.get("kind", "").lower()
        if kind not in self.kinds:
            errors.append(RowError(line, "kind", f"{kind!r} is not one of {', '.join(sorted(self.kinds))}"))
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
            if precision not in self.precisions:
                errors.append(RowError(line, "date_precision", f"{precision!r} is not day, month or year"))
            values["date_precision"] = precision
        reference = row.get("activity_reference", "").strip()
        activity = self.activities.get(reference) if reference else None
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
                found = self.instruments.get(INSTRUMENT_CODE_ALIASES.get(code, code))
                if found is None:
                    errors.append(RowError(line, "instruments", f"unknown instrument code {code!r}"))
                else:
                    instrument_ids.add(found.pk)
        if not errors and country is not None:
            digest = _values_digest(values)
            assert self.seen is not None  # noqa: S101 -- start_pass comes first
            if (first := self.seen.first(_digest((country.pk, kind, date, title)), line, digest)) is not None:
                first_line, first_digest = first
                what = "duplicate of" if first_digest == digest else "conflicts with"
                errors.append(RowError(line, "title", f"{what} line {first_line}"))
        for error in errors:
            report.add_error(error)
        if errors or country is None or date is None:
            return None
        values.update(country=country, kind=kind, date=date, title=title)
        key = f"{iso3}/{kind}/{date.isoformat()}/{title or '(untitled)'}"
        return _PlannedEvent(line, key, values, instrument_ids)

    def compare(
        self, planned: list[_PlannedEvent], report: ImportReport
    ) -> tuple[list[_EventWrite], list[_EventWrite]]:
        stored = {
            (e.country_id, e.kind, e.date, e.title): e
            for e in LegislationEvent.objects.filter(
                country__in={p.values["country"].pk for p in planned},
                date__in={p.values["date"] for p in planned},
            ).prefetch_related("instruments")
        }
        creates: list[_EventWrite] = []
        updates: list[_EventWrite] = []
        for item in planned:
            values = item.values
            current = stored.get((values["country"].pk, values["kind"], values["date"], values["title"]))
            if current is None:
                creates.append((None, item))
                report.add(RowOutcome(item.line, item.key, "created"))
                continue
            changes = [
                FieldChange(name, getattr(current, name), value)
                for name, value in values.items()
                if getattr(current, name) != value
            ]
            old_ids = {i.pk for i in current.instruments.all()}
            if item.instrument_ids is not None and old_ids != item.instrument_ids:
                changes.append(
                    FieldChange("instruments", self._codes(old_ids), self._codes(item.instrument_ids))
                )
            if not changes:
                report.add(RowOutcome(item.line, item.key, "unchanged"))
                continue
            for change in changes:
                if change.field != "instruments":
                    setattr(current, change.field, change.new)
            updates.append((current, item))
            report.add(RowOutcome(item.line, item.key, "updated", changes))
        return creates, updates

    def write(self, creates: list[_EventWrite], updates: list[_EventWrite]) -> None:
        author = event_author(self.actor) if creates else None
        for current, item in creates + updates:
            event = current or LegislationEvent(created_by=author, **item.values)
            event.save()
            if item.instrument_ids is not None:
                event.instruments.set(item.instrument_ids)

    def _codes(self, ids: Iterable[int]) -> str:
        return ";".join(sorted(self.codes[pk] for pk in ids if pk in self.codes))


def import_legislation(
    data: ImportData,
    *,
    actor: Any,
    reason: str,
    filename: str = "",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate a whole legislation-event file, then apply it all or nothing.

    Columns: ``iso3, kind, date`` (required), ``title`` and ``date_precision, assisted,
    activity_reference, instruments`` (instrument codes separated by ``;``), ``source, notes``.
    An event is identified by country, kind, date and title; the other columns present in the
    file are updated (a column absent from the file leaves that field untouched).
    """
    return _run(
        data,
        _LegislationRules(actor=actor),
        kind="legislation events",
        filename=filename,
        dry_run=dry_run,
        actor=actor,
        reason=reason,
        progress=progress,
    )
