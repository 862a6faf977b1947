"""Import legislation events (CSV or XLSX: iso3, kind, title, date, assisted, activity_reference, ...)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from missions.services.legal_import import import_legislation

from .import_ratifications import actor_from, finish


class Command(BaseCommand):
    help = "Validate a whole legislation-event file and apply it all or nothing; prints what changed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate and show what would change.")
        parser.add_argument("--reason", default="", help="Why (kept in every changed row's history).")
        parser.add_argument("--user", help="Username recorded as the actor in history.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"file: {path} does not exist")
        report = import_legislation(
            path,
            actor=actor_from(options["user"]),
            reason=options["reason"] or f"Imported legislation events from {path.name}",
            dry_run=options["dry_run"],
        )
        finish(self, report)
