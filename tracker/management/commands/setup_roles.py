"""Create the roles (groups) and reset their permissions: safe to run again at any time."""

from typing import Any

from django.core.management.base import BaseCommand

from tracker.roles import setup_roles


class Command(BaseCommand):
    help = "Create or reset the groups Officer, Manager, Auditor, Administrator and Integration (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for role, count in setup_roles().items():
            self.stdout.write(f"{role}: {count} permissions")
