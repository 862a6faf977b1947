"""Export every record, with its history, to one portable file (see tracker/backup.py)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tracker.backup import BackupError, export_data


class Command(BaseCommand):
    help = "Write all of tracker's data, history included, to a gzipped JSON backup file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("output", type=Path, help="e.g. var/backup-2026-11-27.json.gz")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = export_data(options["output"])
        except OSError as exc:  # e.g. a folder that does not exist, a full disk, no permission
            raise CommandError(f"Cannot write {options['output']}: {exc.strerror or exc}") from exc
        except BackupError as exc:  # the tables changed under a snapshot that did not hold
            raise CommandError(f"No backup was written: {exc}") from exc
        self.stdout.write(f"Wrote {summary.total} rows of {len(summary.counts)} models to {summary.path}.")
