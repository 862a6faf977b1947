"""The annex table as rows for display and for CSV / XLSX downloads (numbers stay numbers)."""

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from .annex import FIRST_COLUMN_KEY, AnnexRow, AnnexTable

Cell = str | int | float | None
# Text starting with one of these is a formula to a spreadsheet (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    """Neutralise text a spreadsheet would run as a formula by prefixing an apostrophe."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def money(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def first_column_note(row: AnnexRow) -> str:
    """The printed way of showing the first column: each amount with its year, e.g. 13,522 (2002)."""
    return "; ".join(f"{money(item.amount)} ({item.year})" for item in row.first_column_items)


def header(table: AnnexTable) -> list[str]:
    return ["Row", "Donor", table.total_label, *(c.label for c in table.columns), "Pre-2002 amounts (year)"]


def data_rows(table: AnnexTable) -> list[list[Cell]]:
    """Header, one row per donor, the total row, then the footnote and derived figures."""
    rows: list[list[Cell]] = [list(header(table))]
    for row in table.rows:
        rows.append(
            [
                row.annex_row,
                safe_text(row.donor),
                number(row.total),
                *(number(row.cell(c.key)) for c in table.columns),
                safe_text(first_column_note(row)),
            ]
        )
    rows.append(
        [
            None,
            "Total",
            number(table.grand_total),
            *(number(table.column_totals.get(c.key)) for c in table.columns),
            None,
        ]
    )
    for figure in table.reported_unpaid_pledges:
        rows.append([None, safe_text(f"* {figure.label} ({figure.source})"), number(figure.amount)])
    rows.append(
        [
            None,
            "Unpaid pledges derived from the recorded pledges and payments",
            number(table.derived_unpaid_pledges),
        ]
    )
    return rows


def to_csv(table: AnnexTable) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in data_rows(table):
        writer.writerow(["" if cell is None else cell for cell in row])
    return out.getvalue()


def to_xlsx(table: AnnexTable) -> bytes:
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = f"Annex {table.until_year}"
    sheet.append([safe_text(table.title)])
    sheet["A1"].font = Font(bold=True)
    for row in data_rows(table):
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, int | float):
                cell.number_format = "#,##0" if isinstance(cell.value, int) else "#,##0.00"
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["B"].width = 55
    for note in table.notes:
        sheet.append([])
        sheet.append([None, safe_text(note)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def display_rows(table: AnnexTable) -> list[dict[str, object]]:
    """Formatted rows for the admin page: (amount, note) per column."""
    rows: list[dict[str, object]] = []
    for row in table.rows:
        cells = []
        for column in table.columns:
            note = first_column_note(row) if column.key == FIRST_COLUMN_KEY else ""
            cells.append((money(row.cell(column.key)), note))
        rows.append(
            {"annex_row": row.annex_row or "", "donor": row.donor, "total": money(row.total), "cells": cells}
        )
    return rows
