"""Reading an import file (CSV or XLSX) as a stream of rows, within the configured limits.

A file is never held in memory whole: CSV is decoded through a text wrapper over the upload,
XLSX is read with openpyxl's read-only mode, one row at a time. The limits are settings
(README "Configuration", docs/reliability.md "Bounded imports"):

- ``IMPORT_MAX_BYTES``: a larger file is refused before it is opened;
- ``IMPORT_MAX_ROWS``: reading stops at the first row past it, and the file is refused;
- ``IMPORT_MAX_LISTED``: at most this many errors (and changed or skipped rows) are listed in
  a report; the rest are counted.

An ``ImportFile`` can be read more than once (the importers validate the whole file, then read
it again to write), whatever it came from: bytes, a path, an uploaded file or a file of
Django's storage.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError

ImportData = bytes | str | Path | IO[bytes]

# C0 control characters other than tab, line feed and carriage return: PostgreSQL refuses NUL
# in text, and none of them belongs in a name, a date or a note.
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.reason}"


class TableError(ValidationError):
    """A file that cannot be read (further) as a table, with the line and column at fault (line 1
    is the header; the column is "file" when the fault is not in one cell)."""

    def __init__(self, message: str, *, line: int = 1, column: str = "file") -> None:
        super().__init__({column: message})
        self.line = line
        self.column = column

    def as_row_error(self) -> RowError:
        return RowError(self.line, self.column, "; ".join(self.messages))


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int
    max_rows: int
    max_listed: int

    @classmethod
    def from_settings(cls) -> ImportLimits:
        return cls(
            max_bytes=int(settings.IMPORT_MAX_BYTES),
            max_rows=int(settings.IMPORT_MAX_ROWS),
            max_listed=int(settings.IMPORT_MAX_LISTED),
        )


def size_text(size: int) -> str:
    """ "300 bytes", "1.5 MB (1,572,864 bytes)"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB ({size:,} bytes)"
    if size >= 1024:
        return f"{size / 1024:.0f} kB ({size:,} bytes)"
    return f"{size} bytes"


def check_size(size: int, limits: ImportLimits | None = None) -> None:
    """Refuse a file over IMPORT_MAX_BYTES, naming the limit (every door calls this first)."""
    limits = limits or ImportLimits.from_settings()
    if size > limits.max_bytes:
        raise TableError(
            f"The file is {size_text(size)}; an import may be at most {size_text(limits.max_bytes)} "
            "(IMPORT_MAX_BYTES). Split it into smaller files."
        )


class ImportFile:
    """An import's file, read as often as needed: each ``open()`` gives a stream at its start."""

    def __init__(self, data: ImportData, *, filename: str = "") -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._data = data
        if isinstance(data, Path):
            self.filename = filename or data.name
            self.size = data.stat().st_size
        elif isinstance(data, bytes):
            self.filename = filename
            self.size = len(data)
        else:
            self.filename = filename or str(getattr(data, "name", "") or "")
            size = getattr(data, "size", None)  # Django's File and UploadedFile know theirs
            if size is None:
                data.seek(0, io.SEEK_END)
                size = data.tell()
            self.size = int(size)

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        data = self._data
        if isinstance(data, Path):
            with data.open("rb") as handle:
                yield handle
        elif isinstance(data, bytes):
            yield io.BytesIO(data)
        else:
            data.seek(0)  # the caller owns the stream and closes it
            yield data

    def is_xlsx(self) -> bool:
        if self.filename.lower().endswith((".xlsx", ".xlsm")):
            return True
        with self.open() as stream:
            return stream.read(2) == b"PK"


@dataclass(frozen=True)
class TableRow:
    """One data row: its line, its cells by column, and the fault that makes it unusable."""

    line: int
    cells: dict[str, str]
    error: RowError | None = None


class Table:
    """The header and the rows of an open file (``read_table``)."""

    def __init__(self, header: Sequence[str], rows: Iterator[TableRow]) -> None:
        self.header = list(header)
        self.rows = rows


@contextmanager
def read_table(file: ImportFile, *, max_rows: int) -> Iterator[Table]:
    """Open ``file`` as a table; line 1 is the header. Iterating its rows raises TableError at a
    fault that stops the reading (a byte that is not UTF-8, broken CSV, more than ``max_rows``
    rows); a fault confined to one row comes as that row's ``error``."""
    reader = _xlsx_table if file.is_xlsx() else _csv_table
    with reader(file, max_rows) as table:
        yield table


def _control_name(value: str) -> str | None:
    bad = next((c for c in value if c in _CONTROL), None)
    if bad is None:
        return None
    return "a NUL character" if bad == "\x00" else f"the control character U+{ord(bad):04X}"


def _cell_error(line: int, row: dict[str, str]) -> RowError | None:
    for column, value in row.items():
        if (name := _control_name(value)) is not None:
            return RowError(line, column, f"line {line}: the cell contains {name}")
    return None


def _check_header(header: Sequence[str] | None) -> None:
    if not header:
        raise TableError("The file is empty: it has no header row.")
    if (name := _control_name("".join(header))) is not None:
        raise TableError(f"line 1: the header contains {name}")


def _too_many_rows(line: int, max_rows: int) -> TableError:
    return TableError(
        f"The file has more than {max_rows:,} rows, the most an import may have "
        f"(IMPORT_MAX_ROWS); reading stopped at line {line:,}. Split it into smaller files.",
        line=line,
    )


class SeenKeys:
    """The natural keys read so far in a pass, each with the line and a digest of the values of
    its first row: the duplicate check of an import.

    Kept in a private temporary SQLite database (Python's own sqlite3: on disk, with a small page
    cache, deleted when closed) rather than in a dict, whose entries cost about 250 bytes each:
    100 MB for a file of 400,000 distinct records. Keys and digests are signed 64-bit integers."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": a private temporary database
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE seen (key INTEGER PRIMARY KEY, line INTEGER NOT NULL, digest INTEGER)")

    def __enter__(self) -> SeenKeys:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    def first(self, key: int, line: int, digest: int) -> tuple[int, int] | None:
        """None when ``key`` is new (it is recorded with ``line`` and ``digest``); else the line
        and the digest of the first row that had it."""
        if self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", (key, line, digest)).rowcount == 1:
            return None
        found = self._db.execute("SELECT line, digest FROM seen WHERE key = ?", (key,)).fetchone()
        return (int(found[0]), int(found[1])) if found else None


# --- CSV -----------------------------------------------------------------------------------
@contextmanager
def _csv_table(file: ImportFile, max_rows: int) -> Iterator[Table]:
    with file.open() as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        try:
            reader = csv.DictReader(text)
            try:
                header = [name.strip() for name in reader.fieldnames or []]
            except UnicodeDecodeError as exc:
                raise _not_utf8(file) from exc
            except csv.Error as exc:
                raise TableError(f"Line 1 is not valid CSV ({exc}).") from exc
            _check_header(header)
            yield Table(header, _csv_rows(file, reader, max_rows))
        finally:
            text.detach()  # leaves the stream to its owner (an upload, a storage file)


def _csv_rows(file: ImportFile, reader: csv.DictReader[str], max_rows: int) -> Iterator[TableRow]:
    count = 0
    try:
        for record in reader:
            line = reader.line_num
            count += 1
            if count > max_rows:
                raise _too_many_rows(line, max_rows)
            if None in record:
                extra = RowError(line, "file", f"Line {line} has more cells than the header.")
                yield TableRow(line, {}, extra)
                continue
            row = {(k or "").strip(): (v or "").strip() for k, v in record.items()}
            yield TableRow(line, row, _cell_error(line, row))
    except UnicodeDecodeError as exc:
        raise _not_utf8(file) from exc
    except csv.Error as exc:
        raise TableError(f"Line {reader.line_num} is not valid CSV ({exc}).", line=reader.line_num) from exc


def _not_utf8(file: ImportFile) -> TableError:
    """The error naming the line of the first byte that is not UTF-8 (the text wrapper decodes
    ahead in chunks, so the file is scanned again to find it)."""
    with file.open() as stream:
        lines_before, pending = 0, b""
        while True:
            chunk = stream.read(_CHUNK)
            data = pending + chunk
            try:
                _, consumed = codecs.utf_8_decode(data, "strict", not chunk)
            except UnicodeDecodeError as exc:
                line = lines_before + data[: exc.start].count(b"\n") + 1
                return TableError(
                    f"The file is not UTF-8 text: line {line} has the byte 0x{data[exc.start]:02X}, which "
                    f'is not UTF-8 ({exc.reason}). Save the file as "CSV UTF-8" and import it again.',
                    line=line,
                )
            lines_before += data[:consumed].count(b"\n")
            pending = data[consumed:]
            if not chunk:
                return TableError("The file is not UTF-8 text.")


# --- XLSX ----------------------------------------------------------------------------------
@contextmanager
def _xlsx_table(file: ImportFile, max_rows: int) -> Iterator[Table]:
    import openpyxl  # imported here: only XLSX uploads need it

    with file.open() as stream:
        try:
            book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 -- openpyxl raises many kinds for a bad file; all mean "not XLSX"
            raise TableError(f"The file is not a readable XLSX workbook ({exc}).") from exc
        try:
            rows = book.worksheets[0].iter_rows(values_only=True)
            header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
            _check_header(header)
            yield Table(header, _xlsx_rows(header, rows, max_rows))
        finally:
            book.close()


def _xlsx_rows(header: list[str], rows: Iterator[tuple[Any, ...]], max_rows: int) -> Iterator[TableRow]:
    count = 0
    for line, values in enumerate(rows, start=2):
        cells = [_cell_text(v) for v in values]
        if not any(cells):
            continue
        count += 1
        if count > max_rows:
            raise _too_many_rows(line, max_rows)
        row = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}
        yield TableRow(line, row, _cell_error(line, row))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()
