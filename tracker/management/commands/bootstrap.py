"""Prepare a database for use: migrate, load the 2006 report, and ensure an admin account."""

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tracker.env import env_str


class Command(BaseCommand):
    help = "Migrate, load the report's data (idempotent) and ensure an admin account."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated (reference data included).")
        call_command("load_report_2006", stdout=self.stdout)
        call_command("setup_roles", stdout=self.stdout)
        self._ensure_admin()

    def _ensure_admin(self) -> None:
        username = env_str("TRACKER_ADMIN_USERNAME", "admin")
        password = env_str("TRACKER_ADMIN_PASSWORD")
        user_model = get_user_model()
        credentials_file = settings.VAR_DIR / "admin-credentials.txt"
        if user_model.objects.filter(username=username).exists():
            if password:
                user = user_model.objects.get(username=username)
                user.set_password(password)
                user.save(update_fields=["password"])
            where = f" (password in {credentials_file})" if credentials_file.exists() and not password else ""
            self.stdout.write(f"Admin account '{username}' exists{where}.")
            return
        if not password:
            password = secrets.token_urlsafe(12)
            credentials_file.write_text(f"{username}\n{password}\n")
            credentials_file.chmod(0o600)
        user_model.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(self.style.SUCCESS(f"Admin account created: {username} / {password}"))
