"""Prepare a database for use: migrate, load the 2006 report, collect the static files and
ensure an admin account.

A generated administrator password is never printed: it goes into var/admin-credentials.txt,
readable by its owner alone (0600), and the last line of the output says where.
"""

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tracker.env import env_str


def write_owner_only(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 from the first byte (never group- or world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through os.open
    with os.fdopen(fd, "w") as out:
        out.write(text)


class Command(BaseCommand):
    help = "Migrate, load the report's data (idempotent), collect static files and ensure an admin account."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated (reference data included).")
        call_command("load_report_2006", stdout=self.stdout)
        call_command("setup_roles", stdout=self.stdout)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(f"Static files collected into {settings.STATIC_ROOT}.")
        self._ensure_admin()

    def _ensure_admin(self) -> None:
        username = env_str("TRACKER_ADMIN_USERNAME", "admin")
        password = env_str("TRACKER_ADMIN_PASSWORD")
        user_model = get_user_model()
        credentials_file = Path(settings.VAR_DIR) / "admin-credentials.txt"
        user = user_model.objects.filter(username=username).first()
        if password:
            if user is None:
                user_model.objects.create_superuser(username=username, email="", password=password)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            credentials_file.unlink(missing_ok=True)  # it would hold an outdated password
            self.stdout.write(f"Admin account '{username}': password from TRACKER_ADMIN_PASSWORD.")
            return
        if user is None:
            password = secrets.token_urlsafe(12)
            write_owner_only(credentials_file, f"{username}\n{password}\n")
            user_model.objects.create_superuser(username=username, email="", password=password)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Admin account '{username}' created; its password is in {credentials_file} "
                    "(readable only by you)."
                )
            )
        elif credentials_file.exists():
            self.stdout.write(f"Admin account '{username}' exists; its password is in {credentials_file}.")
        else:
            self.stdout.write(f"Admin account '{username}' exists (its password was set before).")
