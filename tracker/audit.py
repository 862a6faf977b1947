"""The audit trail: every change of every audited record, by whom, when, why and which fields.

django-simple-history writes one history row per change of every audited model (admin, API,
imports and Celery tasks alike: ``tracker.history.change_context`` names actor and reason).
``audit_trail`` reads them as one list, newest first, filtered by account, model and date range.
It is a union over the historical tables done in Python with a constant number of queries per
model (a count, the page's rows, and the rows just before them for the changed fields), so its
cost does not grow with the page number's rows; the admin page "Audit trail" and
``GET /api/v1/audit/`` both use it, and both need ``tracker.view_audit_trail``.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet

from missions import visibility  # the one visibility rule lives with the office's records

VIEW_AUDIT_TRAIL = "tracker.view_audit_trail"
MAX_PAGE_SIZE = 200
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass
class AuditEntry:
    model: str  # "app_label.model_name" of the audited record
    object_id: Any
    object_repr: str
    action: str  # created, changed, deleted
    at: datetime.datetime
    actor_id: int | None
    actor: str  # user name, or "" for a system change (an import or task without an actor)
    reason: str
    changed_fields: list[str] = field(default_factory=list)
    history_id: int = 0


def historical_models() -> dict[str, type[Model]]:
    """The historical model of every audited model, keyed by the audited model's label."""
    found: dict[str, type[Model]] = {}
    for model in apps.get_models():
        instance_type = getattr(model, "instance_type", None)
        if instance_type is not None and any(f.name == "history_id" for f in model._meta.fields):
            found[instance_type._meta.label_lower] = model
    return dict(sorted(found.items()))


def _filtered(
    historical: type[Model],
    *,
    viewer: Any,
    actor: Any,
    since: datetime.datetime | None,
    until: datetime.datetime | None,
) -> QuerySet[Any]:
    # The trail shows only the changes of records the viewer may see (the one visibility rule).
    audited = historical.instance_type  # type: ignore[attr-defined]  # a historical model
    rows = visibility.history(viewer, audited, historical._default_manager.all())
    if actor is not None:
        rows = rows.filter(history_user_id=getattr(actor, "pk", actor))
    if since is not None:
        rows = rows.filter(history_date__gte=since)
    if until is not None:
        rows = rows.filter(history_date__lt=until)
    return rows


def audit_trail(
    *,
    viewer: Any,
    actor: Any = None,
    model: str | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[AuditEntry]]:
    """(total, entries): the changes that match, newest first, ``limit`` of them from ``offset``.

    ``viewer`` is who reads (a request, user or tracker.actors.Actor): only the changes of records
    they may see are listed. ``actor`` is a user or a user id whose changes (None: everyone);
    ``model`` an "app_label.model_name" label.
    """
    tables = historical_models()
    if model:
        if model.lower() not in tables:
            raise ValidationError(
                {"model": f"{model!r} is not an audited model; use one of {', '.join(tables)}."}
            )
        tables = {model.lower(): tables[model.lower()]}
    if limit < 1 or limit > MAX_PAGE_SIZE:
        raise ValidationError({"limit": f"Choose between 1 and {MAX_PAGE_SIZE} entries per page."})
    if offset < 0:
        raise ValidationError({"offset": "The offset cannot be negative."})
    if since is not None and until is not None and until <= since:
        raise ValidationError({"until": "The end of the range comes before its start."})
    total = 0
    candidates: list[tuple[str, Any]] = []
    for label, historical in tables.items():
        rows = _filtered(historical, viewer=viewer, actor=actor, since=since, until=until)
        count = rows.count()
        if not count:
            continue
        total += count
        candidates.extend(
            (label, row) for row in rows.order_by("-history_date", "-history_id")[: offset + limit]
        )
    candidates.sort(key=lambda item: (item[1].history_date, item[1].history_id), reverse=True)
    page = candidates[offset : offset + limit]
    changed = _changed_fields(page, tables)
    users = _user_names(row for _, row in page)
    entries = [
        _entry(
            label,
            row,
            object_id=getattr(row, tables[label].instance_type._meta.pk.attname),  # type: ignore[attr-defined]  # a historical model
            users=users,
            changed_fields=changed.get((label, row.history_id), []),
        )
        for label, row in page
    ]
    return total, entries


def _changed_fields(
    page: list[tuple[str, Any]], tables: dict[str, type[Model]]
) -> dict[tuple[str, int], list[str]]:
    """The fields each changed row of the page changed (one query per model)."""
    result: dict[tuple[str, int], list[str]] = {}
    by_label: dict[str, list[Any]] = {}
    for label, row in page:
        if row.history_type == "~":
            by_label.setdefault(label, []).append(row)
    for label, rows in by_label.items():
        historical = tables[label]
        pk_name = historical.instance_type._meta.pk.attname  # type: ignore[attr-defined]  # a historical model
        ids = {getattr(row, pk_name) for row in rows}
        newest = max(row.history_id for row in rows)
        earlier: dict[Any, list[Any]] = {}
        for old in historical._default_manager.filter(
            **{f"{pk_name}__in": ids, "history_id__lt": newest}
        ).order_by("history_id"):
            earlier.setdefault(getattr(old, pk_name), []).append(old)
        for row in rows:
            before = [
                old for old in earlier.get(getattr(row, pk_name), []) if old.history_id < row.history_id
            ]
            if before:
                delta = row.diff_against(before[-1])
                result[(label, row.history_id)] = sorted(change.field for change in delta.changes)
    return result


def history_of(record: Model) -> list[AuditEntry]:
    """Every change of one record, newest first (the admin's history page shows the same)."""
    concrete: Any = record._meta.concrete_model
    label = concrete._meta.label_lower
    historical = historical_models()[label]
    pk_name = record._meta.pk.attname
    rows: list[Any] = list(historical._default_manager.filter(**{pk_name: record.pk}).order_by("-history_id"))
    users = _user_names(rows)
    entries = []
    for index, row in enumerate(rows):
        previous = rows[index + 1] if index + 1 < len(rows) else None
        fields = sorted(c.field for c in row.diff_against(previous).changes) if previous is not None else []
        entries.append(
            _entry(
                label,
                row,
                object_id=record.pk,
                users=users,
                changed_fields=fields if row.history_type == "~" else [],
            )
        )
    return entries


def _user_names(rows: Iterable[Any]) -> dict[Any, str]:
    """User names of the history rows' actors, in one query."""
    ids = {row.history_user_id for row in rows}
    return {user.pk: user.get_username() for user in get_user_model()._default_manager.filter(pk__in=ids)}


def _entry(
    label: str, row: Any, *, object_id: Any, users: dict[Any, str], changed_fields: list[str]
) -> AuditEntry:
    return AuditEntry(
        model=label,
        object_id=object_id,
        object_repr=str(row.instance)[:200],
        action=ACTIONS.get(row.history_type, row.history_type),
        at=row.history_date,
        actor_id=row.history_user_id,
        actor=users.get(row.history_user_id, ""),
        reason=row.history_change_reason or "",
        changed_fields=changed_fields,
        history_id=row.history_id,
    )
