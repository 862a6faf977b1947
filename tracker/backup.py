"""Portable backups: every row of the project's apps, history included, in one gzipped JSON file.

The file holds a manifest (format, version, the migrations it was made at, a count per model)
and the rows in Django's JSON serialisation, with natural keys for content types and
permissions so that it loads into any database migrated to the same state. Loading replaces
the contents of those tables in one transaction: it either all lands or nothing changes.
"""

import datetime
import gzip
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from tracker.api import list_cache

FORMAT = "tracker-backup"
VERSION = 1
APP_LABELS = ("tracker", "missions", "partners", "reports")
EXTRA_MODELS = ("auth.group",)
# Not data but a cache's bookkeeping (tracker/api/list_cache.py): a restore starts a fresh one.
NOT_BACKED_UP = ("tracker.datachange",)


class BackupError(Exception):
    """The file is not a backup this database can take; nothing was changed."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def backed_up_models() -> list[type[models.Model]]:
    """Concrete models of the project's apps (and groups), parents before children."""
    chosen: list[type[models.Model]] = []
    for label in APP_LABELS:
        chosen.extend(
            m
            for m in apps.get_app_config(label).get_models()
            if not m._meta.proxy and m._meta.label_lower not in NOT_BACKED_UP
        )
    chosen.extend(apps.get_model(name) for name in EXTRA_MODELS)
    app_list: dict[Any, list[type[models.Model]]] = {}
    for model in chosen:
        app_list.setdefault(apps.get_app_config(model._meta.app_label), []).append(model)
    return serializers.sort_dependencies(app_list.items(), allow_cycles=True)


def _migration_state() -> dict[str, str]:
    recorder = MigrationRecorder(connection)
    latest: dict[str, str] = {}
    for app, name in recorder.applied_migrations():
        if app in APP_LABELS and name > latest.get(app, ""):
            latest[app] = name
    return latest


def export_data(path: Path) -> BackupSummary:
    """Write every row of the backed-up models to ``path`` (gzipped JSON)."""
    counts: dict[str, int] = {}
    rows: list[Any] = []
    with transaction.atomic():  # one consistent snapshot (REPEATABLE READ not needed for a dump)
        for model in backed_up_models():
            objects = model._base_manager.order_by("pk")
            data = serializers.serialize(
                "python", objects.iterator(chunk_size=2000), use_natural_foreign_keys=True
            )
            counts[model._meta.label_lower] = len(data)
            rows.extend(data)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": timezone.now().isoformat(),
        "migrations": _migration_state(),
        "counts": counts,
    }
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump({"manifest": manifest, "rows": rows}, handle, ensure_ascii=False, default=_lossless)
    return BackupSummary(path=path, counts=counts)


def _lossless(value: Any) -> str:
    """JSON for what json cannot encode, keeping every digit (Django's encoder drops microseconds)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def _read(path: Path) -> tuple[dict[str, Any], list[Any]]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            payload = json.load(handle)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path}: not a readable gzipped JSON backup ({exc})") from exc
    manifest = payload.get("manifest") if isinstance(payload, dict) else None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: not a tracker backup (no '{FORMAT}' manifest)")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{path}: backup format version {manifest.get('version')}, this code reads {VERSION}"
        )
    return manifest, payload.get("rows", [])


def import_data(path: Path) -> BackupSummary:
    """Replace the contents of the backed-up tables with the backup at ``path``, atomically."""
    manifest, rows = _read(path)
    here = _migration_state()
    if manifest["migrations"] != here:
        raise BackupError(
            "the backup was made at other migrations than this database's: "
            f"backup {manifest['migrations']}, database {here}; migrate to the same state first"
        )
    model_list = backed_up_models()
    counts: dict[str, int] = {}
    with transaction.atomic():
        _empty(model_list)
        for item in serializers.deserialize("python", rows, handle_forward_references=True):
            item.save()  # a raw save: no signals, so no new history rows
            label = item.object._meta.label_lower
            counts[label] = counts.get(label, 0) + 1
        _reset_sequences(model_list)
        expected = {label: n for label, n in manifest["counts"].items() if n}
        if counts != expected:
            raise BackupError(f"loaded {counts}, but the manifest lists {expected}")
        list_cache.mark_changed()  # whatever was deleted above, no cached API page survives it
    return BackupSummary(path=path, counts=counts)


def _tables(model_list: Iterable[type[models.Model]]) -> list[str]:
    tables: list[str] = []
    for model in model_list:
        tables.append(model._meta.db_table)
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if through is not None and through._meta.auto_created:
                tables.append(through._meta.db_table)
    return tables


def _empty(model_list: list[type[models.Model]]) -> None:
    """Delete every row of the tables (DELETE, not TRUNCATE: safe inside a transaction that
    already wrote; foreign keys are checked at commit, when the backup's rows are back)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA defer_foreign_keys = ON")
        for table in reversed(_tables(model_list)):
            cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608 -- table names from the model registry


def _reset_sequences(model_list: list[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
