"""Report content and rendering (SQLite): sections, XLSX, HTML and PDF, scope, failures."""

import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reports.choices import RunStatus, ScopeKind
from reports.models import Report
from reports.services import reporting
from reports.services.published_figures import load_published_figures
from reports.services.reporting.content import assemble, previous_period
from reports.services.reporting.pdf import markup
from tests.factories import ReportFactory, ReportScheduleFactory

from .reporting_data import World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Report files go to a temporary folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world() -> World:
    load_published_figures()  # the indicator definitions: every figure is read from their snapshots
    return build_world()


def _report(**fields: object) -> Report:
    fields.setdefault("formats", ["pdf", "xlsx", "html"])
    return ReportFactory.create(**fields)


def test_previous_period_of_a_year_a_quarter_and_odd_days() -> None:
    assert previous_period(datetime.date(2006, 1, 1), datetime.date(2006, 12, 31)) == (
        datetime.date(2005, 1, 1),
        datetime.date(2005, 12, 31),
    )
    assert previous_period(datetime.date(2006, 1, 1), datetime.date(2006, 3, 31)) == (
        datetime.date(2005, 10, 1),
        datetime.date(2005, 12, 31),
    )
    assert previous_period(datetime.date(2006, 1, 5), datetime.date(2006, 1, 14)) == (
        datetime.date(2005, 12, 26),
        datetime.date(2006, 1, 4),
    )


def test_global_content_holds_the_figures_of_every_section(world: World) -> None:
    content = assemble(_report())

    assert content.figures["countries_directly_assisted"] == 3
    assert content.figures["countries_assisted"] == sorted(
        [world.a1.iso3, world.a2.iso3, world.b1.iso3],
        key=lambda iso3: {world.a1.iso3: "Alphaland", world.a2.iso3: "Alphastan", world.b1.iso3: "Betaland"}[
            iso3
        ],
    )
    assert content.figures["workshops_and_trainings"] == 2
    assert content.figures["participants"] == 65
    assert content.figures["annex_total"] == Decimal("300000.00")
    events = content.section("events").tables[0]
    assert [row[0] for row in events.rows] == ["W-t", "W-u"]
    first = events.rows[0]
    assert first[3:8] == [
        datetime.date(2006, 5, 8),
        datetime.date(2006, 5, 12),
        "Alpha City, Alphaland",
        "AU-T",
        2,
    ]
    assert first[8] == "Alphaland; Alphastan"
    assert first[9] == 40


def test_ratification_figures_and_trends_count_the_countries_in_scope(world: World) -> None:
    alpha = assemble(_report(scope_kind=ScopeKind.REGION, scope_region=world.region_a))
    beta = assemble(_report(scope_kind=ScopeKind.COUNTRY, scope_country=world.b1))

    assert (alpha.figures["deposits"], beta.figures["deposits"]) == (0, 1)
    assert (alpha.figures["countries_with_all_first_12"], beta.figures["countries_with_all_first_12"]) == (
        1,
        0,
    )
    assert alpha.figures["trend_all_first_12"] == {2003: 0, 2004: 0, 2005: 0, 2006: 1, 2007: 1}
    assert alpha.figures["trend_deposits"] == {2003: 0, 2004: 0, 2005: 12, 2006: 0}
    assert beta.figures["trend_deposits"] == {2003: 0, 2004: 0, 2005: 0, 2006: 1}


def test_a_quarter_leaves_out_what_is_known_only_by_its_year(world: World) -> None:
    content = assemble(_report(period_start=datetime.date(2006, 1, 1), period_end=datetime.date(2006, 3, 31)))

    assert content.figures["countries_assisted"] == [world.a1.iso3]
    summary = content.section("summary").tables[0]
    assert summary.rows[0][1:] == [1, 0, 1]


def test_regional_report_holds_no_other_regions_data(world: World) -> None:
    report = _report(scope_kind=ScopeKind.REGION, scope_region=world.region_a)
    content, files = reporting.render_all(report)

    assert content.figures["countries_directly_assisted"] == 2
    assert content.figures["deposits"] == 0
    html = files["html"].decode()
    assert "Alphaland" in html
    assert "阿尔法国" in html
    assert "Alpha subregional workshop" in html
    for other in (
        "Betaland",
        "贝塔国",
        "Beta regional workshop",
        "Video conference with Betaland",
        "Beta field region",
    ):
        assert other not in html
    workbook = load_workbook(io.BytesIO(files["xlsx"]))
    cells = [str(c) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    assert not [c for c in cells if "Beta" in c or "贝塔" in c]
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(files["pdf"])).pages)
    assert "Alphaland" in pdf_text
    assert "Betaland" not in pdf_text


def test_xlsx_has_one_sheet_per_section_typed_cells_frozen_headers_and_widths(world: World) -> None:
    _content, files = reporting.render_all(_report(formats=["xlsx"]))
    workbook = load_workbook(io.BytesIO(files["xlsx"]))

    assert workbook.sheetnames == [
        "Report",
        "Summary of the period",
        "Direct assistance and activi",
        "Workshops, meetings and trai",
        "Measuring the impact (paras ",
        "Cooperation and partnerships",
        "Funding",
    ]
    events = workbook["Workshops, meetings and trai"]
    assert events.freeze_panes == "A3"
    header = [c.value for c in events[2]]
    assert header[:4] == ["Ref.", "Title", "Kind", "Start"]
    assert events["D3"].value.date() == datetime.date(2006, 5, 8)
    assert events["D3"].number_format == "yyyy-mm-dd"
    assert events["J3"].value == 40
    assert events.column_dimensions["B"].width == 60
    funding = workbook["Funding"]
    totals = [row for row in funding.iter_rows(values_only=True) if row and row[0] == "Total"]
    assert totals[0][1] == 300000


def test_pdf_embeds_fonts_and_renders_chinese_and_arabic_names(world: World) -> None:
    _content, files = reporting.render_all(_report(formats=["pdf"]))
    reader = PdfReader(io.BytesIO(files["pdf"]))
    text = "".join(page.extract_text() for page in reader.pages)
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():  # type: ignore[index]  # a dictionary
            font = font.get_object()
            parts = [font, *[d.get_object() for d in font.get("/DescendantFonts", [])]]
            descriptors = [p["/FontDescriptor"].get_object() for p in parts if "/FontDescriptor" in p]
            fonts[str(font["/BaseFont"])] = any("/FontFile2" in d for d in descriptors)

    assert "阿尔法国" in text
    assert "Alphaland" in text
    assert "300,000" in text
    embedded = {name.split("+")[-1] for name, has_file in fonts.items() if has_file}
    assert embedded == {"DejaVuSans", "DejaVuSans-Bold", "WenQuanYiMicroHei-0"}
    # ReportLab declares its canvas's initial Helvetica on each page; no text is set in it.
    assert set(fonts) - {n for n in fonts if n.split("+")[-1] in embedded} <= {"/Helvetica"}


def test_markup_shapes_arabic_and_switches_font_for_chinese() -> None:
    assert markup("Chine 中国 <b>") == 'Chine <font name="TrackerCJK">中国</font> &lt;b&gt;'
    shaped = markup("مصر")
    assert shaped != "مصر"
    assert all("\ufe70" <= ch <= "\ufeff" for ch in shaped)


def test_generate_report_archives_each_format_with_its_checksum(world: World) -> None:
    report = _report()

    result = reporting.generate_report(report_id=report.pk)

    assert result.status == RunStatus.DONE
    assert result.attempts == 1
    assert result.generated_at
    files = {f.format: f for f in result.files.all()}
    assert sorted(files) == ["html", "pdf", "xlsx"]
    for f in files.values():
        data = f.file.read()
        assert f.sha256 == hashlib.sha256(data).hexdigest()
        assert f.size == len(data)


def test_generating_a_done_report_again_changes_nothing(world: World) -> None:
    report = reporting.generate_report(report_id=_report(formats=["xlsx"]).pk)
    checksum = report.files.get().sha256

    again = reporting.generate_report(report_id=report.pk)

    assert again.status == RunStatus.DONE
    assert again.attempts == 1
    assert again.files.get().sha256 == checksum


def test_a_failing_renderer_fails_the_report_with_its_error_and_keeps_the_schedule(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(content: object) -> bytes:
        raise RuntimeError("renderer out of ink")

    monkeypatch.setitem(reporting.RENDERERS, "pdf", broken)
    schedule = ReportScheduleFactory.create()
    report = _report(schedule=schedule)

    with pytest.raises(RuntimeError, match="out of ink"):
        reporting.generate_report(report_id=report.pk)

    report.refresh_from_db()
    assert (report.status, report.error, report.attempts) == (
        RunStatus.FAILED,
        "RuntimeError: renderer out of ink",
        1,
    )
    assert report.files.count() == 0
    schedule.refresh_from_db()
    assert schedule.is_active


@pytest.mark.parametrize(
    ("start", "end", "previous"),
    [
        (datetime.date(2006, 1, 1), datetime.date(2006, 12, 31), "2005-01-01..2005-12-31"),
        # a quarter: the direct assistance known only by its year (2006) counts in neither
        (datetime.date(2006, 1, 1), datetime.date(2006, 3, 31), "2005-10-01..2005-12-31"),
    ],
)
def test_every_number_of_the_summary_is_its_snapshots_value(
    world: World, start: datetime.date, end: datetime.date, previous: str
) -> None:
    report = _report(period_start=start, period_end=end)
    snapshots = reporting.indicator_snapshots(report)
    content = assemble(report, snapshots=snapshots)
    by_key = {(v.indicator.code, v.when_key): v for v in snapshots}
    period = f"{start.isoformat()}..{end.isoformat()}"
    as_of, prev_as_of = (end + datetime.timedelta(days=1)).isoformat(), previous.split("..")[1]
    prev_as_of = (datetime.date.fromisoformat(prev_as_of) + datetime.timedelta(days=1)).isoformat()

    def value(code: str, key: str) -> object:
        return int(by_key[(code, key)].value)

    def stated(code: str, key: str) -> object:
        snapshot = by_key[(code, key)]
        return int(snapshot.value) if snapshot.input_count else None

    expected = [
        [value("IND-COUNTRIES-DIRECT", k) for k in (period, previous)],
        [value("IND-ACTIVITIES-HELD", k) for k in (period, previous)],
        [value("IND-EVENTS-HELD", k) for k in (period, previous)],
        [by_key[("IND-EVENTS-HELD", k)].breakdown["participants"] for k in (period, previous)],
        [stated("IND-OFFICIALS-TRAINED", k) for k in (period, previous)],
        [value("IND-DEPOSITS", k) for k in (period, previous)],
        [value("IND-RATIF-ALL-12", k) for k in (as_of, prev_as_of)],
    ]
    summary = content.section("summary").tables[0]
    assert [row[1:3] for row in summary.rows] == expected
    # the indicator section prints the same snapshots for the report's own period
    table = content.section("indicators").tables[0]
    printed = {row[0]: row[3] for row in table.rows if row[2] in (f"{start} to {end}", as_of)}
    assert printed["IND-COUNTRIES-DIRECT"] == expected[0][0]
    assert printed["IND-RATIF-ALL-12"] == expected[6][0]
    assert content.section("activities").paragraphs[0].startswith(f"{expected[0][0]} countries")
    # countries directly assisted, activities, events, participants, officials trained
    if end.month == 12:
        assert [row[1] for row in summary.rows[:5]] == [3, 5, 2, 65, None]
    else:
        assert [row[1] for row in summary.rows[:5]] == [1, 1, 0, None, None]
