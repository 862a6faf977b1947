"""Portable backups: every row of the project's apps, history included, in one gzipped JSON file.

The file holds a manifest (format, version, the migrations it was made at, a count per model)
and the rows in Django's JSON serialisation, with natural keys for content types and
permissions so that it loads into any database migrated to the same state. Loading replaces
the contents of those tables in one transaction: it either all lands or nothing changes.

Both directions stream, so memory stays flat whatever the size of the database: the export
reads each table with a chunked iterator and writes one row per line into the gzip; the
import parses the file incrementally (ijson) and saves each row as it is read. The file is
still one JSON document, ``{"manifest": {...}, "rows": [...]}``, the same as the backups
written before streaming (format version 1), which therefore load unchanged.
"""

import datetime
import gzip
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import IO, Any

import ijson
from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError, DeserializedObject
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from tracker.api import list_cache

FORMAT = "tracker-backup"
VERSION = 1
APP_LABELS = ("tracker", "missions", "partners", "reports")
EXTRA_MODELS = ("auth.group",)
# Not data but the running processes' bookkeeping, which a restore starts afresh: the list
# cache's change log (tracker/api/list_cache.py), worker and beat heartbeats (tracker/health.py)
# and the beat lease (tracker/beat.py; its entries' last runs included, so the restored site's
# beat starts its schedule anew rather than from another installation's clock).
NOT_BACKED_UP = ("tracker.datachange", "tracker.heartbeat", "tracker.beatlease")
# Rows read and serialised per query: enough to keep the round trips few, small enough that
# memory does not depend on the size of a table.
CHUNK_SIZE = 2000


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
    """Write every row of the backed-up models to ``path`` (gzipped JSON), streaming.

    The file appears under its name only once complete: it is written beside it and renamed.
    """
    model_list = backed_up_models()
    partial = path.with_name(path.name + ".partial")
    outermost = not connection.in_atomic_block
    try:
        with transaction.atomic():
            _one_snapshot(outermost=outermost)
            counts = {m._meta.label_lower: m._base_manager.count() for m in model_list}
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": timezone.now().isoformat(),
                "migrations": _migration_state(),
                "counts": counts,
            }
            with gzip.open(partial, "wt", encoding="utf-8") as handle:
                _write(handle, manifest, model_list)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return BackupSummary(path=path, counts=counts)


def _one_snapshot(*, outermost: bool) -> None:
    """Make the counts and every table's rows one consistent state of the database.

    PostgreSQL's default (READ COMMITTED) gives each query its own snapshot, so a write between
    two tables' reads would be half in the file; REPEATABLE READ fixes one for the transaction
    (as pg_dump does). It must be the transaction's first statement, so it is only possible when
    the export opened the transaction itself. SQLite's transaction reads one state already.
    """
    if outermost and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def _write(handle: IO[str], manifest: dict[str, Any], model_list: list[type[models.Model]]) -> None:
    """``{"manifest": ..., "rows": [...]}`` with one row per line, a chunk at a time."""
    handle.write('{"manifest": ')
    json.dump(manifest, handle, ensure_ascii=False)
    handle.write(', "rows": [')
    first = True
    for model in model_list:
        written = 0
        objects = model._base_manager.order_by("pk").iterator(chunk_size=CHUNK_SIZE)
        while chunk := list(islice(objects, CHUNK_SIZE)):
            for row in serializers.serialize("python", chunk, use_natural_foreign_keys=True):
                handle.write("\n" if first else ",\n")
                handle.write(json.dumps(row, ensure_ascii=False, default=_lossless))
                first = False
            written += len(chunk)
        label = model._meta.label_lower
        if written != manifest["counts"][label]:  # only if the snapshot above did not hold
            raise BackupError(f"{label}: counted {manifest['counts'][label]} rows but read {written}")
    handle.write("\n]}\n")


def _lossless(value: Any) -> str:
    """JSON for what json cannot encode, keeping every digit (Django's encoder drops microseconds)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def _unreadable(path: Path, exc: Exception) -> BackupError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return BackupError(f"{path}: not a readable gzipped JSON backup ({reason})")


_READ_ERRORS = (OSError, EOFError, UnicodeDecodeError, ijson.JSONError)


def _read_manifest(path: Path) -> dict[str, Any]:
    """The manifest, read from the start of the file without reading the rows."""
    try:
        with gzip.open(path, "rb") as handle:
            manifest = next(ijson.items(handle, "manifest", use_float=True), None)
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: not a tracker backup (no '{FORMAT}' manifest)")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{path}: backup format version {manifest.get('version')}, this code reads {VERSION}"
        )
    return manifest


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    """The rows one by one; a damaged or truncated file raises when the damage is reached."""
    try:
        with gzip.open(path, "rb") as handle:
            yield from ijson.items(handle, "rows.item", use_float=True)
    except _READ_ERRORS as exc:
        raise _unreadable(path, exc) from exc


def import_data(path: Path) -> BackupSummary:
    """Replace the contents of the backed-up tables with the backup at ``path``, atomically."""
    manifest = _read_manifest(path)
    here = _migration_state()
    if manifest["migrations"] != here:
        raise BackupError(
            "the backup was made at other migrations than this database's: "
            f"backup {manifest['migrations']}, database {here}; migrate to the same state first"
        )
    model_list = backed_up_models()
    try:
        with transaction.atomic():
            _empty(model_list)
            counts = _load(serializers.deserialize("python", _rows(path), handle_forward_references=True))
            _reset_sequences(model_list)
            expected = {label: n for label, n in manifest["counts"].items() if n}
            if counts != expected:
                raise BackupError(f"loaded {counts}, but the manifest lists {expected}")
            list_cache.mark_changed()  # whatever was deleted above, no cached API page survives it
    except DeserializationError as exc:
        raise BackupError(f"{path}: a row cannot be loaded: {exc}") from exc
    except DatabaseError as exc:
        raise BackupError(f"{path}: the database refused the rows: {exc}") from exc
    return BackupSummary(path=path, counts=counts)


def _load(items: Iterable[DeserializedObject]) -> dict[str, int]:
    """Insert the rows in batches of consecutive rows of one model; the count per model.

    The rows go in as they are (a raw insert: ``auto_now`` fields keep the backup's values, and
    no signal fires, so no history row, change mark or recompute is added per row). A row that
    refers to one further on gets that reference once every row is in, as loaddata does.
    """
    counts: dict[str, int] = {}
    deferred: list[DeserializedObject] = []
    batch: list[DeserializedObject] = []
    for item in items:
        if batch and (type(item.object) is not type(batch[0].object) or len(batch) == CHUNK_SIZE):
            _insert(batch)
            batch = []
        batch.append(item)
        if item.deferred_fields:
            deferred.append(item)
        label = item.object._meta.label_lower
        counts[label] = counts.get(label, 0) + 1
    if batch:
        _insert(batch)
    for item in deferred:
        item.save_deferred_fields()
    return counts


def _insert(batch: list[DeserializedObject]) -> None:
    model = type(batch[0].object)
    fields = model._meta.local_concrete_fields
    objects = [item.object for item in batch]
    size = connection.ops.bulk_batch_size(fields, objects)
    for start in range(0, len(objects), size):
        # QuerySet._insert with raw=True is what Model.save_base(raw=True) runs for one row
        # (loaddata's path); bulk_create would apply auto_now and has no raw mode.
        model._base_manager._insert(objects[start : start + size], fields=fields, raw=True)  # type: ignore[attr-defined]  # private manager method, no stub
    for item in batch:
        for name, pks in (item.m2m_data or {}).items():  # auto-created link tables only
            links = getattr(item.object, name)  # the related manager knows the link table
            through, source, target = links.through, links.source_field_name, links.target_field_name
            through._base_manager.bulk_create(
                [through(**{f"{source}_id": item.object.pk, f"{target}_id": pk}) for pk in pks]
            )


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
