"""Bounded imports: files over IMPORT_MAX_BYTES or IMPORT_MAX_ROWS are refused at every door,
naming the limit, with nothing written; a streamed file still reports every bad row by line
and column, and writes nothing when any row fails."""

import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from missions.models import Activity, Country, LegislationEvent, Ratification
from missions.services import legal_import
from missions.services.legal_import import RowError, import_legislation, import_ratifications
from tests.factories import ActivityFactory, InstrumentFactory

pytestmark = pytest.mark.django_db

HEADER = "instrument,iso3,action,deposit_date,source\n"
LEGISLATION_HEADER = "iso3,kind,title,date,assisted,activity_reference\n"
BYTES_REFUSAL = (
    "The file is {size} bytes; an import may be at most {limit} bytes (IMPORT_MAX_BYTES). "
    "Split it into smaller files."
)


def rows_refusal(line: int, limit: int) -> str:
    return (
        f"The file has more than {limit} rows, the most an import may have (IMPORT_MAX_ROWS); "
        f"reading stopped at line {line}. Split it into smaller files."
    )


@pytest.fixture
def convention(db):  # type: ignore[no-untyped-def]
    return InstrumentFactory.create(code="LIMIT_CONV")


def iso3s(n: int) -> list[str]:
    return list(Country.objects.order_by("iso3").values_list("iso3", flat=True)[:n])


def deposits(n: int) -> bytes:
    """n valid rows: a deposit of LIMIT_CONV by each of n countries."""
    return (HEADER + "".join(f"LIMIT_CONV,{iso3},accession,2010-01-01,list\n" for iso3 in iso3s(n))).encode()


def xlsx(text: bytes) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    for line in text.decode().splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def stored() -> int:
    return Ratification.objects.filter(instrument__code="LIMIT_CONV").count()


# --- the service -------------------------------------------------------------------------------
def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(settings, convention) -> None:  # type: ignore[no-untyped-def]
    # Not UTF-8 from its first row: had it been read, the report would say so.
    data = HEADER.encode() + b"LIMIT_CONV,FRA,accession,2010-01-01,caf\xe9\n" * 10
    settings.IMPORT_MAX_BYTES = len(data) - 1

    report = import_ratifications(io.BytesIO(data), actor=None, reason="t", filename="big.csv")

    assert report.errors == [
        RowError(1, "file", BYTES_REFUSAL.format(size=len(data), limit=len(data) - 1)),
    ]
    assert report.summary() == "ratifications: 1 error(s); nothing was changed."
    assert stored() == 0


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_file_over_the_row_limit_is_refused_at_the_first_row_past_it(settings, convention, form) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MAX_ROWS = 3
    data = deposits(5)
    if form == "csv":
        # After the limit, 100 kB of rows and a byte that is not UTF-8: reading stops before them.
        filler = b"LIMIT_CONV,ZZZ,accession,2010-01-01,x\n" * 3_000
        data += filler + b"caf\xe9\n"
    else:
        data = xlsx(data)

    report = import_ratifications(data, actor=None, reason="t", filename=f"list.{form}")

    assert report.errors == [RowError(5, "file", rows_refusal(5, 3))]
    assert stored() == 0


def test_a_file_at_the_limits_is_imported(settings, convention) -> None:  # type: ignore[no-untyped-def]
    data = deposits(3)
    settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_BYTES = 3, len(data)
    report = import_ratifications(data, actor=None, reason="t")
    assert report.ok, report.as_text()
    assert stored() == 3


def test_legislation_files_have_the_same_limits(settings) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MAX_ROWS = 1
    data = (
        LEGISLATION_HEADER + "FRA,new_law,Law 1,2008-01-01,no,\nFRA,new_law,Law 2,2008-01-02,no,\n"
    ).encode()
    report = import_legislation(data, actor=None, reason="t")
    assert report.errors == [RowError(3, "file", rows_refusal(3, 1))]
    settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_BYTES = 10, 20
    report = import_legislation(data, actor=None, reason="t")
    assert report.errors == [RowError(1, "file", BYTES_REFUSAL.format(size=len(data), limit=20))]
    assert LegislationEvent.objects.count() == 0


# --- streamed reading: every error, by line and column; nothing written -----------------------
def test_a_streamed_file_reports_every_bad_row_across_batches_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, convention: Any
) -> None:
    monkeypatch.setattr(legal_import, "BATCH_SIZE", 2)  # seven rows: four batches
    good = iso3s(5)
    data = (
        HEADER
        + f"LIMIT_CONV,{good[0]},accession,2010-01-01,x\n"  # 2
        + "LIMIT_CONV,ZZZ,accession,2010-01-01,x\n"  # 3: unknown country
        + f"LIMIT_CONV,{good[1]},accession,2010-01-01,x\n"  # 4
        + f"LIMIT_CONV,{good[2]},ratified,2010-01-01,x\n"  # 5: unknown action
        + f"LIMIT_CONV,{good[3]},accession,2010-01-01,x\n"  # 6
        + f"LIMIT_CONV,{good[4]},accession,2010-01-01,a\x00b\n"  # 7: NUL in a cell
        + f"LIMIT_CONV,{good[0]},accession,2011-01-01,x\n"  # 8: conflicts with line 2
    ).encode()

    report = import_ratifications(data, actor=None, reason="t")

    assert report.errors == [
        RowError(3, "iso3", "unknown country code 'ZZZ'"),
        RowError(
            5, "action", "'ratified' is not one of acceptance, accession, approval, ratification, succession"
        ),
        RowError(7, "source", "line 7: the cell contains a NUL character"),
        RowError(8, "iso3", f"conflicts with line 2 ({good[0]}/LIMIT_CONV)"),
    ]
    assert (report.rows, report.counts["created"]) == ([], 0)
    assert stored() == 0


def test_a_valid_file_is_written_batch_by_batch(monkeypatch: pytest.MonkeyPatch, convention: Any) -> None:
    monkeypatch.setattr(legal_import, "BATCH_SIZE", 2)
    seen: list[tuple[int, int]] = []

    report = import_ratifications(
        deposits(5), actor=None, reason="t", progress=lambda read, written: seen.append((read, written))
    )

    assert report.counts == {"created": 5, "updated": 0, "unchanged": 0, "kept": 0, "skipped": 0}
    assert (report.rows_read, report.rows_written) == (5, 5)
    # Validation reads the file (rows read), then the second pass writes it (rows written).
    assert seen == [(2, 0), (4, 0), (5, 0), (5, 2), (5, 4), (5, 5)]
    assert stored() == 5


def test_only_the_first_errors_are_listed_and_all_are_counted(settings, convention) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MAX_LISTED = 2
    data = (HEADER + "".join(f"LIMIT_CONV,ZZ{n},accession,2010-01-01,x\n" for n in range(4))).encode()

    report = import_ratifications(data, actor=None, reason="t")

    assert report.errors == [
        RowError(2, "iso3", "unknown country code 'ZZ0'"),
        RowError(3, "iso3", "unknown country code 'ZZ1'"),
    ]
    assert report.error_count == 4
    assert report.as_text().splitlines() == [
        "ratifications: 4 error(s); nothing was changed.",
        "  ERROR line 2, iso3: unknown country code 'ZZ0'",
        "  ERROR line 3, iso3: unknown country code 'ZZ1'",
        "  ... and 2 more error(s), not listed",
    ]


def test_a_byte_that_is_not_utf8_far_into_the_file_is_named_by_its_line(convention) -> None:  # type: ignore[no-untyped-def]
    skipped = "CPPNM_AMDT_2005,EURATOM,ratification,2015-12-16,x\n"  # valid, skipped rows
    data = (HEADER + skipped * 4_000).encode() + b"LIMIT_CONV,FRA,accession,2010-01-01,caf\xe9\n"
    assert len(data) > 150_000  # past the first chunks the text wrapper decodes

    report = import_ratifications(data, actor=None, reason="t")

    assert report.errors == [
        RowError(
            4_002,
            "file",
            "The file is not UTF-8 text: line 4002 has the byte 0xE9, which is not UTF-8 (invalid "
            'continuation byte). Save the file as "CSV UTF-8" and import it again.',
        )
    ]
    assert stored() == 0


def test_records_changed_between_the_check_and_the_write_leave_nothing_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second pass checks every row again: an activity deleted meanwhile makes its row bad,
    and the rows already written in that pass are rolled back."""
    monkeypatch.setattr(legal_import, "BATCH_SIZE", 1)
    ActivityFactory.create(reference="DA-LIMIT")
    data = (
        LEGISLATION_HEADER
        + "FRA,new_law,Law 1,2008-01-01,no,\n"
        + "AFG,new_law,Anti-Terrorism Law,2008-07-01,yes,DA-LIMIT\n"
    ).encode()
    calls: list[tuple[int, int]] = []

    def progress(read: int, written: int) -> None:
        calls.append((read, written))
        if len(calls) == 2:  # the check has read both rows; the write has not begun
            Activity.objects.filter(reference="DA-LIMIT").delete()

    report = import_legislation(data, actor=None, reason="t", progress=progress)

    assert report.errors == [RowError(3, "activity_reference", "no activity has the reference 'DA-LIMIT'")]
    assert (report.rows_written, report.counts["created"]) == (0, 0)
    assert LegislationEvent.objects.count() == 0


# --- the doors: admin import pages and management commands -------------------------------------
IMPORT_PAGES = [
    ("admin:missions_ratification_import", HEADER + "LIMIT_CONV,FRA,accession,2010-01-01,x\n"),
    ("admin:missions_legislationevent_import", LEGISLATION_HEADER + "FRA,new_law,Law 1,2008-01-01,no,\n"),
]


def counts() -> tuple[int, int]:
    return stored(), LegislationEvent.objects.count()


@pytest.mark.parametrize(("page", "body"), IMPORT_PAGES, ids=["ratifications", "legislation"])
def test_the_admin_refuses_a_file_over_the_byte_limit_on_the_form(
    settings: Any, officer_client: Any, convention: Any, page: str, body: str
) -> None:
    settings.IMPORT_MAX_BYTES = len(body) - 1
    upload = SimpleUploadedFile("big.csv", body.encode(), content_type="text/csv")

    response = officer_client.post(reverse(page), {"reason": "x", "file": upload})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "file": [BYTES_REFUSAL.format(size=len(body), limit=len(body) - 1)]
    }
    assert counts() == (0, 0)


@pytest.mark.parametrize(("page", "body"), IMPORT_PAGES, ids=["ratifications", "legislation"])
def test_the_admin_refuses_a_file_over_the_row_limit_naming_the_line(
    settings: Any, officer_client: Any, convention: Any, page: str, body: str
) -> None:
    settings.IMPORT_MAX_ROWS = 1
    body += body.splitlines()[1].replace("FRA", "DEU") + "\n"
    upload = SimpleUploadedFile("long.csv", body.encode(), content_type="text/csv")

    response = officer_client.post(reverse(page), {"reason": "x", "file": upload})

    assert response.status_code == 200
    assert response.context["report"].errors == [RowError(3, "file", rows_refusal(3, 1))]
    assert rows_refusal(3, 1) in response.content.decode()
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    ("command", "body"),
    [("import_ratifications", IMPORT_PAGES[0][1]), ("import_legislation", IMPORT_PAGES[1][1])],
    ids=["ratifications", "legislation"],
)
def test_the_commands_refuse_files_over_either_limit(settings, tmp_path, convention, command, body) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "list.csv"
    path.write_text(body + body.splitlines()[1].replace("FRA", "DEU") + "\n")
    size = path.stat().st_size

    settings.IMPORT_MAX_BYTES = size - 1
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"1 error\(s\): the file was not imported"):
        call_command(command, str(path), stdout=out)
    assert f"line 1, file: {BYTES_REFUSAL.format(size=size, limit=size - 1)}" in out.getvalue()

    settings.IMPORT_MAX_BYTES, settings.IMPORT_MAX_ROWS = size, 1
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"1 error\(s\): the file was not imported"):
        call_command(command, str(path), stdout=out)
    assert f"line 3, file: {rows_refusal(3, 1)}" in out.getvalue()
    assert counts() == (0, 0)
