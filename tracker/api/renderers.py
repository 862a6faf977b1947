"""CSV and XLSX output of lists (``?format=csv`` / ``?format=xlsx``) for spreadsheet users.

Nested values are flattened: objects to dotted columns, lists of objects to one cell of
``key=value`` groups separated by "; ". Cells starting with = + - @ (or a tab / carriage
return) are prefixed with an apostrophe so no spreadsheet runs them as formulas.
"""

import csv
import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from rest_framework.renderers import BaseRenderer

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                parts.append(", ".join(f"{k}={v}" for k, v in item.items() if v not in (None, "")))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    if value is None:
        return ""
    return value


def _flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = neutralise(_cell(value))
    return out


def table(data: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Header and rows of a list response (paginated or not) or of one object."""
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    items: Iterable[Any] = data if isinstance(data, list) else [data]
    rows = [_flatten(item) if isinstance(item, dict) else {"value": neutralise(item)} for item in items]
    header: list[str] = []
    for row in rows:
        header += [key for key in row if key not in header]
    return header, rows


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        header, rows = table(data)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=header, restval="", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8")


class XLSXRenderer(BaseRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        header, rows = table(data)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("data")
        sheet.append(header)
        for row in rows:
            sheet.append([_excel(row.get(key, "")) for key in header])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


def _excel(value: Any) -> Any:
    return value if isinstance(value, int | float | bool) or value == "" else str(value)
