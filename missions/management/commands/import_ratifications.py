"""Import a depositary's list of ratifications (CSV or XLSX, columns of ct_ratifications.csv)."""

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from missions.services.legal_import import DEFAULT_SKIPPED_PARTICIPANTS, ImportReport, import_ratifications


def actor_from(username: str | None) -> Any:
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"--user: no user is named {username!r}") from exc


def finish(command: BaseCommand, report: ImportReport) -> None:
    command.stdout.write(report.as_text())
    if not report.ok:
        raise CommandError(f"{len(report.errors)} error(s): the file was not imported; nothing changed.")


class Command(BaseCommand):
    help = (
        "Validate a whole ratification file and apply it all or nothing; prints what changed "
        "(created / updated with field diffs / unchanged / skipped) or every bad row."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate and show what would change.")
        parser.add_argument("--reason", default="", help="Why (kept in every changed row's history).")
        parser.add_argument("--user", help="Username recorded as the actor in history.")
        parser.add_argument("--source", default="", help="Source for rows whose 'source' cell is empty.")
        parser.add_argument(
            "--skip-participant",
            action="append",
            dest="skip",
            help="Code of a non-state participant to skip and report "
            f"(default: {', '.join(DEFAULT_SKIPPED_PARTICIPANTS)}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"file: {path} does not exist")
        report = import_ratifications(
            path,
            actor=actor_from(options["user"]),
            reason=options["reason"] or f"Imported ratifications from {path.name}",
            dry_run=options["dry_run"],
            default_source=options["source"] or path.name,
            skip_participants=options["skip"] or DEFAULT_SKIPPED_PARTICIPANTS,
        )
        finish(self, report)
