"""Print the annex table (donors by year, totals summed by the database), or write it as CSV/XLSX."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from partners.services.annex import annex_table
from partners.services.annex_export import money, to_csv, to_xlsx


class Command(BaseCommand):
    help = "Print the report's annex computed from the recorded contributions (or write it as CSV/XLSX)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--until-year", type=int, default=2006)
        parser.add_argument("--csv", type=Path, help="Write the table to this CSV file.")
        parser.add_argument("--xlsx", type=Path, help="Write the table to this XLSX file.")

    def handle(self, *args: Any, **options: Any) -> None:
        table = annex_table(until_year=options["until_year"])
        if options["csv"]:
            options["csv"].write_text(to_csv(table), encoding="utf-8")
        if options["xlsx"]:
            options["xlsx"].write_bytes(to_xlsx(table))
        widths = [4, 34, 12, *(11 for _ in table.columns)]
        head = ["#", "Donor", "Total", *(c.label for c in table.columns)]

        def line(cells: list[str]) -> str:
            return "  ".join(
                c.ljust(w) if i < 2 else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )

        self.stdout.write(table.title)
        self.stdout.write(line(head))
        for row in table.rows:
            cells = [money(row.cell(c.key)) for c in table.columns]
            self.stdout.write(line([str(row.annex_row or ""), row.donor[:34], money(row.total), *cells]))
        totals = [money(table.column_totals.get(c.key)) for c in table.columns]
        self.stdout.write(line(["", "Total", money(table.grand_total), *totals]))
        for figure in table.reported_unpaid_pledges:
            self.stdout.write(f"* {figure.label} ({figure.source})")
        derived = money(table.derived_unpaid_pledges)
        self.stdout.write(f"Unpaid pledges derived from recorded pledges and payments: USD {derived}")
