"""Replace this database's records with a backup made by export_data (all or nothing)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tracker.backup import BackupError, import_data


class Command(BaseCommand):
    help = "Load a backup from export_data into this (migrated) database, replacing its records."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("backup", type=Path)
        parser.add_argument(
            "--yes", action="store_true", help="Confirm that the records now in the database are replaced."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("import_data replaces every record in this database; add --yes to confirm.")
        try:
            summary = import_data(options["backup"])
        except BackupError as exc:
            raise CommandError(f"Nothing was changed: {exc}") from exc
        self.stdout.write(f"Loaded {summary.total} rows of {len(summary.counts)} models from {summary.path}.")
