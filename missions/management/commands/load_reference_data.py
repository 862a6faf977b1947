"""Load the shipped reference data (runs by itself after every migrate; this re-runs it)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from missions.services.reference import load_reference_data

from .import_ratifications import actor_from


class Command(BaseCommand):
    help = (
        "Create the missing regions, countries, instruments and shipped ratifications. "
        "--update also re-applies the shipped values to existing regions, countries and "
        "instruments (never to ratifications), through history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--update", action="store_true")
        parser.add_argument("--user", help="Username recorded as the actor in history.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_reference_data(actor=actor_from(options["user"]), update=options["update"])
        self.stdout.write(str(result))
