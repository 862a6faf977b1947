"""The ratification and legislation importers: all or nothing, error report, dry run, diffs."""

import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from missions.choices import LegislationKind
from missions.models import LegislationEvent, Ratification
from missions.services.legal_import import RowError, import_legislation, import_ratifications
from tests.factories import ActivityFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "instrument,iso3,m49,participant_source_name,signature_date,action,deposit_date,raw_consent,source\n"
D = datetime.date


def csv_bytes(*lines: str) -> bytes:
    return (HEADER + "".join(line + "\n" for line in lines)).encode()


def snapshot():
    return sorted(
        Ratification.objects.values_list(
            "country__iso3", "instrument__code", "action", "deposit_date", "source"
        )
    )


def test_a_broken_file_changes_nothing_and_reports_every_bad_row():
    before = snapshot()
    data = csv_bytes(
        "ICSANT_2005,FRA,250,France,,ratification,2013-10-11,11 Oct 2013,corrected list",  # 2: fine
        "NOPE_1999,FRA,250,France,,ratification,2001-01-01,,x",  # 3: unknown instrument
        "ICSANT_2005,ZZZ,,Nowhere,,ratification,2010-01-01,,x",  # 4: unknown country
        "ICSANT_2005,DEU,276,Germany,,ratification,2004-01-01,,x",  # 5: before adoption (2005-04-13)
        "ICSANT_2005,ITA,380,Italy,,ratification,2010-31-01,,x",  # 6: bad date
        "ICSANT_2005,ESP,724,Spain,,ratified,2010-01-01,,x",  # 7: unknown action
        "ICSANT_2005,PRT,620,Portugal,,ratification,,,x",  # 8: action without date
        "ICSANT_2005,FRA,250,France,,ratification,2013-10-12,,x",  # 9: conflicts with line 2
        "ICSANT_2005,BEL,999,Belgium,,accession,2010-01-01,,x",  # 10: wrong M49
    )
    report = import_ratifications(data, actor=None, reason="test", filename="broken.csv")
    assert not report.ok
    assert report.rows == []
    assert report.errors == [
        RowError(3, "instrument", "unknown instrument code 'NOPE_1999'"),
        RowError(4, "iso3", "unknown country code 'ZZZ'"),
        RowError(5, "deposit_date", "2004-01-01 is before ICSANT_2005 was adopted (2005-04-13)"),
        RowError(6, "deposit_date", "'2010-31-01' is not a date in the form YYYY-MM-DD"),
        RowError(
            7, "action", "'ratified' is not one of acceptance, accession, approval, ratification, succession"
        ),
        RowError(8, "deposit_date", "a deposit needs both its kind of act (action) and its date"),
        RowError(8, "deposit_date", "the row has neither a deposit nor a signature"),
        RowError(9, "iso3", "conflicts with line 2 (FRA/ICSANT_2005)"),
        RowError(10, "m49", "'999' is not the M49 code of BEL (056)"),
    ]
    assert report.summary() == "ratifications: 9 error(s); nothing was changed."
    assert snapshot() == before


def test_missing_required_column_is_reported_on_the_header_line():
    report = import_ratifications(b"iso3,action\nFRA,ratification\n", actor=None, reason="test")
    assert report.errors == [RowError(1, "instrument", "required column is missing from the header")]


def test_exact_duplicate_rows_are_an_error():
    line = "ICSANT_2005,XXX,,,,ratification,2010-01-01,,x"
    report = import_ratifications(
        csv_bytes(line.replace("XXX", "FRA"), line.replace("XXX", "FRA")), actor=None, reason="t"
    )
    assert report.errors == [RowError(3, "iso3", "duplicate of line 2 (FRA/ICSANT_2005)")]


def test_a_corrected_row_updates_with_history_and_a_reimport_changes_nothing():
    officer = UserFactory.create(username="legal-officer")
    current = Ratification.objects.get(country__iso3="AFG", instrument__code="BOMBINGS_1997")
    data = csv_bytes(
        "BOMBINGS_1997,AFG,004,Afghanistan,,accession,2003-09-25,25 Sep 2003 a,depositary list 2026",
        "ICSANT_2005,AGO,024,Angola,2005-09-15,,,,depositary list 2026",
        "CPPNM_AMDT_2005,EURATOM,,European Atomic Energy Community,,ratification,2015-12-16,,IEADB",
    )
    dry = import_ratifications(data, actor=officer, reason="Correction from the depositary", dry_run=True)
    assert dry.counts == {"created": 1, "updated": 1, "unchanged": 0, "kept": 0, "skipped": 1}
    assert Ratification.objects.get(pk=current.pk).deposit_date == D(2003, 9, 24)  # dry run wrote nothing

    report = import_ratifications(data, actor=officer, reason="Correction from the depositary")
    assert report.counts == {"created": 1, "updated": 1, "unchanged": 0, "kept": 0, "skipped": 1}
    updated = next(row for row in report.rows if row.status == "updated")
    assert [str(change) for change in updated.changes] == [
        "deposit_date: 2003-09-24 -> 2003-09-25",
        "source_reference: 24 Sep 2003 a -> 25 Sep 2003 a",
        "source: zmjones/untreaties treaties/18-9.csv (UNTC XVIII-9) -> depositary list 2026",
    ]
    assert report.as_text().splitlines() == [
        "ratifications: 1 created, 1 updated, 0 unchanged, 1 skipped.",
        "  line 2 AFG/BOMBINGS_1997 updated: deposit_date: 2003-09-24 -> 2003-09-25; "
        "source_reference: 24 Sep 2003 a -> 25 Sep 2003 a; "
        "source: zmjones/untreaties treaties/18-9.csv (UNTC XVIII-9) -> depositary list 2026",
        "  line 4 EURATOM/CPPNM_AMDT_2005 skipped: not a state: skipped by the importer's rule",
    ]
    current.refresh_from_db()
    assert current.deposit_date == D(2003, 9, 25)
    newest, previous = current.history.all()[:2]
    assert (newest.history_user, newest.history_change_reason) == (officer, "Correction from the depositary")
    assert previous.deposit_date == D(2003, 9, 24)
    signature = Ratification.objects.get(country__iso3="AGO", instrument__code="ICSANT_2005")
    assert (signature.action, signature.deposit_date, signature.signature_date) == ("", None, D(2005, 9, 15))

    again = import_ratifications(data, actor=officer, reason="again")
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 2, "kept": 0, "skipped": 1}
    assert current.history.count() == 2


def test_reimporting_the_shipped_file_changes_nothing():
    path = Path(__file__).resolve().parents[2] / "fixtures" / "reference" / "ct_ratifications.csv"
    before = Ratification.history.count()
    report = import_ratifications(path, actor=None, reason="again")
    assert report.counts == {"created": 0, "updated": 0, "unchanged": 1148, "kept": 0, "skipped": 2}
    assert Ratification.history.count() == before


def test_xlsx_files_are_read_with_row_numbers():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["ICSANT_2005", "BHS", "044", "Bahamas", None, "accession", datetime.date(2010, 5, 2)])
    sheet.append(["ICSANT_2005", "QQQ", None, None, None, "accession", "2010-05-02"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_ratifications(buffer.getvalue(), actor=None, reason="t", filename="list.xlsx")
    assert report.errors == [RowError(3, "iso3", "unknown country code 'QQQ'")]
    buffer.seek(0)
    sheet.delete_rows(3)
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_ratifications(buffer.getvalue(), actor=None, reason="t", filename="list.xlsx")
    assert report.counts["created"] == 1
    assert Ratification.objects.get(country__iso3="BHS", instrument__code="ICSANT_2005").deposit_date == D(
        2010, 5, 2
    )


def test_command_prints_the_changes_and_fails_on_errors(tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes("ICSANT_2005,BLZ,084,Belize,,accession,2010-05-02,,"))
    out = io.StringIO()
    call_command("import_ratifications", str(good), "--dry-run", stdout=out)
    assert (
        out.getvalue()
        == "ratifications: dry run, nothing written: 1 created, 0 updated, 0 unchanged, 0 skipped.\n"
    )
    call_command("import_ratifications", str(good), stdout=out)
    row = Ratification.objects.get(country__iso3="BLZ", instrument__code="ICSANT_2005")
    assert row.source == "good.csv"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes("ICSANT_2005,BOL,068,Bolivia,,accession,2001-05-02,,"))
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"1 error\(s\): the file was not imported"):
        call_command("import_ratifications", str(bad), stdout=out)
    assert "line 2, deposit_date: 2001-05-02 is before ICSANT_2005 was adopted (2005-04-13)" in out.getvalue()


LEGISLATION_HEADER = "iso3,kind,title,date,assisted,activity_reference,instruments,source\n"


def test_legislation_import_all_or_nothing_and_update():
    activity = ActivityFactory.create(reference="DA-2006-AFG")
    data = (
        LEGISLATION_HEADER
        + "AFG,new_law,Anti-Terrorism Law,2008-07-01,yes,DA-2006-AFG,"
        + "BOMBINGS_1997;FINANCING_1999,Official Gazette\n"
        + "FRA,drafting,,2006-05-01,no,,,report\n"
    ).encode()
    report = import_legislation(data, actor=None, reason="t")
    assert report.counts["created"] == 2
    law = LegislationEvent.objects.get(country__iso3="AFG")
    assert (law.kind, law.activity, law.assisted_by_office) == (LegislationKind.NEW_LAW, activity, True)
    assert sorted(law.instruments.values_list("code", flat=True)) == ["BOMBINGS_1997", "FINANCING_1999"]
    assert import_legislation(data, actor=None, reason="t").counts["unchanged"] == 2

    changed = data.replace(b"Official Gazette", b"Gazette No. 9").replace(b";FINANCING_1999", b"")
    report = import_legislation(changed, actor=None, reason="fix")
    assert [str(c) for c in report.rows[0].changes] == [
        "source: Official Gazette -> Gazette No. 9",
        "instruments: BOMBINGS_1997;FINANCING_1999 -> BOMBINGS_1997",
    ]

    broken = (
        LEGISLATION_HEADER
        + "AFG,new_law,Another law,2009-01-01,no,DA-2006-AFG,,x\n"
        + "ZZZ,repealed,,2009-13-01,maybe,NOPE,XX_1,x\n"
    ).encode()
    before = LegislationEvent.objects.count()
    report = import_legislation(broken, actor=None, reason="t")
    assert report.errors == [
        RowError(2, "assisted", "an event linked to an activity was assisted by the office"),
        RowError(3, "iso3", "unknown country code 'ZZZ'"),
        RowError(3, "kind", "'repealed' is not one of amendment, drafting, incorporation, new_law"),
        RowError(3, "date", "'2009-13-01' is not a date in the form YYYY-MM-DD"),
        RowError(3, "activity_reference", "no activity has the reference 'NOPE'"),
        RowError(3, "assisted", "'maybe' is not yes or no"),
        RowError(3, "instruments", "unknown instrument code 'XX_1'"),
    ]
    assert LegislationEvent.objects.count() == before


def test_columns_absent_from_the_file_leave_fields_untouched():
    activity = ActivityFactory.create(reference="DA-2006-AFG")
    first = (
        "iso3,kind,title,date,assisted,activity_reference,source\n"
        "AFG,incorporation,Penal Code amendment,2007-02-01,yes,DA-2006-AFG,Official Gazette\n"
    )
    import_legislation(first.encode(), actor=None, reason="t")
    # A later file without the source and assisted columns changes only what it carries.
    later = (
        "iso3,kind,title,date,activity_reference,notes\n"
        "AFG,incorporation,Penal Code amendment,2007-02-01,DA-2006-AFG,seen\n"
    )
    report = import_legislation(later.encode(), actor=None, reason="t")
    assert [str(c) for c in report.rows[0].changes] == ["notes: (empty) -> seen"]
    event = LegislationEvent.objects.get(country__iso3="AFG")
    assert (event.source, event.assisted_by_office, event.activity) == ("Official Gazette", True, activity)

    no_source = (
        HEADER.replace(",source", "")
        + "BOMBINGS_1997,AFG,004,Afghanistan,,accession,2003-09-24,24 Sep 2003 a\n"
    )
    report = import_ratifications(no_source.encode(), actor=None, reason="t")
    assert report.counts["unchanged"] == 1
