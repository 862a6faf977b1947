"""Load the 2006 report (E/CN.15/2007/9) from the seed facts; running it twice changes nothing."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from missions.services.report_2006 import load_missions_2006
from partners.services.report_2006 import load_partners_2006
from reports.services.published_figures import load_published_figures
from tracker.history import change_context


class Command(BaseCommand):
    help = "Load every activity, partner, contribution and published figure of the 2006 report."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic(), change_context(actor=None, reason="load_report_2006"):
            for name, loader in (
                ("activities and tools", load_missions_2006),
                ("partners, joint work and funding", load_partners_2006),
                ("published figures and indicators", load_published_figures),
            ):
                summary = loader()
                self.stdout.write(f"2006 report, {name}: {summary}")
