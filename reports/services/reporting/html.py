"""HTML rendering: one standalone page (charts inline), shown in the admin and attached to e-mails."""

import base64
import datetime
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string

from .charts import render_chart_png
from .content import Column, ReportContent


def display(value: Any, column: Column) -> str:
    """A cell as text: thousands separators, ISO dates, empty for a value the records lack."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal | float):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render_html(content: ReportContent) -> bytes:
    sections = []
    for section in content.sections:
        tables = [
            {
                "table": table,
                "rows": [
                    [
                        {"text": display(v, c), "num": c.kind in ("int", "money")}
                        for v, c in zip(row, table.columns, strict=True)
                    ]
                    for row in table.rows
                ],
            }
            for table in section.tables
        ]
        charts = [
            {"chart": chart, "png": base64.b64encode(render_chart_png(chart)).decode("ascii")}
            for chart in section.charts
        ]
        sections.append({"section": section, "tables": tables, "charts": charts})
    html = render_to_string("reports/report.html", {"content": content, "sections": sections})
    return html.encode("utf-8")
