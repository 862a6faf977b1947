"""PDF rendering (ReportLab, charts from matplotlib) with embedded fonts for every UN language.

DejaVu Sans (shipped inside matplotlib) covers Latin, Cyrillic and Arabic; WenQuanYi Micro Hei,
vendored in reports/fonts/ with its licence and provenance (TrueType outlines, which ReportLab
can embed, unlike the CFF-based Noto CJK fonts), covers Chinese. Arabic is
shaped (arabic-reshaper) and put in visual order (python-bidi), which ReportLab does not do.
"""

import io
import re
from functools import cache, partial
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import arabic_reshaper
import matplotlib
from bidi import get_display
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Image, LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from .charts import render_chart_png
from .content import ReportContent, Table
from .html import display

FONT = "TrackerSans"
FONT_BOLD = "TrackerSans-Bold"
FONT_CJK = "TrackerCJK"

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_CJK_RUN = re.compile("[\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")


# reports/fonts/ (this module is reports/services/reporting/pdf.py).
VENDORED_FONTS = Path(__file__).resolve().parents[2] / "fonts"


def font_paths() -> dict[str, tuple[Path, int]]:
    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    cjk = VENDORED_FONTS / "wqy-microhei.ttc"  # face 0: WenQuanYi Micro Hei (1 is the Mono face)
    return {
        FONT: (ttf / "DejaVuSans.ttf", 0),
        FONT_BOLD: (ttf / "DejaVuSans-Bold.ttf", 0),
        FONT_CJK: (cjk, 0),
    }


@cache
def register_fonts() -> None:
    for name, (path, index) in font_paths().items():
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=index))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def markup(text: str) -> str:
    """Paragraph markup for any text: Arabic shaped and ordered, Chinese runs in the CJK font."""
    if _ARABIC.search(text):
        text = get_display(arabic_reshaper.reshape(text))
    parts: list[str] = []
    position = 0
    for match in _CJK_RUN.finditer(text):
        parts.append(escape(text[position : match.start()]))
        parts.append(f'<font name="{FONT_CJK}">{escape(match.group())}</font>')
        position = match.end()
    parts.append(escape(text[position:]))
    return "".join(parts)


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName=FONT, bulletFontName=FONT, fontSize=9, leading=12
    )
    return {
        "title": ParagraphStyle(
            "title", parent=base["Title"], fontName=FONT_BOLD, bulletFontName=FONT, fontSize=16
        ),
        "h2": ParagraphStyle(
            "h2", parent=base["Heading2"], fontName=FONT_BOLD, bulletFontName=FONT, fontSize=13
        ),
        "h3": ParagraphStyle(
            "h3", parent=base["Heading3"], fontName=FONT_BOLD, bulletFontName=FONT, fontSize=10
        ),
        "body": body,
        "note": ParagraphStyle("note", parent=body, fontSize=8, textColor=colors.HexColor("#555555")),
        "cell": ParagraphStyle("cell", parent=body, fontSize=7, leading=9),
        "head": ParagraphStyle("head", parent=body, fontName=FONT_BOLD, fontSize=7, leading=9),
    }


def _table(table: Table, styles: dict[str, ParagraphStyle], width: float) -> Any:
    weights = [column.width or 12 for column in table.columns]
    total = sum(weights)
    col_widths = [width * w / total for w in weights]
    data: list[list[Any]] = [[Paragraph(markup(c.label), styles["head"]) for c in table.columns]]
    numeric = [i for i, c in enumerate(table.columns) if c.kind in ("int", "money", "date")]
    for row in table.rows:
        # Numbers and dates are short and Latin: plain strings, far cheaper than Paragraphs.
        data.append(
            [
                display(value, column)
                if column.kind in ("int", "money", "date")
                else Paragraph(markup(display(value, column)), styles["cell"])
                for value, column in zip(row, table.columns, strict=True)
            ]
        )
    if len(data) == 1:
        data.append([Paragraph("None in the period.", styles["cell"])] + [""] * (len(table.columns) - 1))
    flowable = LongTable(data, colWidths=col_widths, repeatRows=1)
    flowable.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef3f8")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("LEADING", (0, 0), (-1, -1), 9),
                *[("ALIGN", (i, 1), (i, -1), "RIGHT") for i in numeric],
            ]
        )
    )
    return flowable


def render_pdf(content: ReportContent) -> bytes:
    register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=1.5 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
        title=content.title,
        author="tracker",
        invariant=1,  # no creation date or random id inside: the same content gives the same bytes
    )
    width = page[0] - 3 * cm
    story: list[Any] = [
        Paragraph(markup(content.title), styles["title"]),
        Paragraph(
            markup(
                f"Period: {content.period_start.isoformat()} to {content.period_end.isoformat()} · "
                f"{content.scope_label}"
            ),
            styles["body"],
        ),
    ]
    for section in content.sections:
        story.append(Paragraph(markup(section.title), styles["h2"]))
        story.extend(Paragraph(markup(p), styles["body"]) for p in section.paragraphs)
        for table in section.tables:
            story.append(Paragraph(markup(table.title), styles["h3"]))
            story.append(_table(table, styles, width))
            if table.note:
                story.append(Paragraph(markup(table.note), styles["note"]))
            story.append(Spacer(1, 0.3 * cm))
        for chart in section.charts:
            png = render_chart_png(chart, dpi=150)
            story.append(Image(io.BytesIO(png), width=16 * cm, height=7 * cm))
            story.append(Paragraph(markup(chart.caption), styles["note"]))
    # The canvas's own initial font would otherwise add an unembedded Helvetica.
    doc.build(story, canvasmaker=partial(Canvas, initialFontName=FONT))
    return buffer.getvalue()
