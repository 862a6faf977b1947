from typing import Any

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate


def _load_reference_data(sender: AppConfig, *, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Every database gets the shipped reference data after migrate and after a test flush."""
    if using != DEFAULT_DB_ALIAS or not _missions_fully_migrated(using):
        return
    from .services.reference import ensure_reference_data  # models are ready only now

    message = ensure_reference_data()
    if kwargs.get("verbosity", 1) >= 2:
        print(f"  missions: {message}")  # noqa: T201 -- migrate's own progress output style


def _missions_fully_migrated(using: str) -> bool:
    """False while migrating part-way (e.g. ``migrate missions 0002``): the tables are not the models'."""
    from django.db import connections
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    leaves = {node for node in loader.graph.leaf_nodes() if node[0] == "missions"}
    return leaves <= set(loader.applied_migrations or {})


class MissionsConfig(AppConfig):
    name = "missions"
    verbose_name = "Countries, legal status and the office's work"

    def ready(self) -> None:
        post_migrate.connect(_load_reference_data, sender=self, dispatch_uid="missions_reference_data")
