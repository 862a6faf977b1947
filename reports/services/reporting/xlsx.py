"""XLSX rendering (openpyxl): one sheet per section, typed cells, frozen headers, set widths."""

import datetime
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .content import ReportContent, Table

_BOLD = Font(bold=True)
_FORMATS = {"int": "#,##0", "money": "#,##0.00", "date": "yyyy-mm-dd"}


def _cell_value(value: Any) -> Any:
    # openpyxl stores Decimal as a number; keep dates as dates and everything else as text.
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal | datetime.date) or value is None:
        return value
    return str(value)


def _sheet_title(title: str, used: set[str]) -> str:
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "Sheet"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name)
    return name


def _write_table(ws: Any, table: Table, row: int, widths: dict[int, int]) -> tuple[int, int]:
    """Write ``table`` from ``row``; returns (header row, next free row)."""
    ws.cell(row=row, column=1, value=table.title).font = Font(bold=True, size=12)
    row += 1
    header_row = row
    for col, column in enumerate(table.columns, start=1):
        cell = ws.cell(row=row, column=col, value=column.label)
        cell.font = _BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths[col] = max(widths.get(col, 0), column.width or len(column.label) + 2)
    for values in table.rows:
        row += 1
        for col, (column, value) in enumerate(zip(table.columns, values, strict=True), start=1):
            cell = ws.cell(row=row, column=col, value=_cell_value(value))
            if column.kind in _FORMATS and value is not None:
                cell.number_format = _FORMATS[column.kind]
            if not column.width:
                widths[col] = min(80, max(widths.get(col, 0), len(str(value or "")) + 2))
    if table.note:
        row += 1
        ws.cell(row=row, column=1, value=table.note).font = Font(italic=True)
    return header_row, row + 2


def render_xlsx(content: ReportContent) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]  # the default sheet exists
    used: set[str] = set()
    cover = workbook.create_sheet(_sheet_title("Report", used))
    cover["A1"] = content.title
    cover["A1"].font = Font(bold=True, size=14)
    cover["A2"], cover["B2"] = "Period start", content.period_start
    cover["A3"], cover["B3"] = "Period end", content.period_end
    cover["B2"].number_format = cover["B3"].number_format = "yyyy-mm-dd"
    cover["A4"], cover["B4"] = "Scope", content.scope_label
    cover.column_dimensions["A"].width = 20
    cover.column_dimensions["B"].width = 40
    for section in content.sections:
        ws = workbook.create_sheet(_sheet_title(section.title, used))
        row = 1
        for paragraph in section.paragraphs:
            ws.cell(row=row, column=1, value=paragraph)
            row += 1
        if section.paragraphs:
            row += 1
        widths: dict[int, int] = {}
        first_header = None
        for table in section.tables:
            header_row, row = _write_table(ws, table, row, widths)
            first_header = first_header or header_row
        if first_header:
            ws.freeze_panes = ws.cell(row=first_header + 1, column=1)
        for col, width in widths.items():
            ws.column_dimensions[get_column_letter(col)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
