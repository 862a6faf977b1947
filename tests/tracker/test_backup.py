"""Backups: export, then import into an emptied database, gives back every row and field."""

import gzip
import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError

from missions.models import Activity
from tests.factories import (
    ActivityCountryFactory,
    ActivityFactory,
    ContributionFactory,
    IndicatorValueFactory,
    InstrumentFactory,
    LegislationEventFactory,
    OutcomeDocumentFactory,
    RatificationFactory,
    ToolFactory,
    UserFactory,
)
from tracker import backup
from tracker.history import change_context


def _snapshot() -> dict[str, list[dict]]:
    """Every row and field of every backed-up table, m2m link tables included."""
    out: dict[str, list[dict]] = {}
    for model in backup.backed_up_models():
        out[model._meta.label_lower] = list(model._base_manager.order_by("pk").values())
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            if through is not None and through._meta.auto_created:  # link rows: ids carry no meaning
                names = [f.attname for f in through._meta.fields if not f.primary_key]
                out[through._meta.label_lower] = sorted(through._base_manager.values_list(*names))
    return out


@pytest.fixture
def varied_records(db):
    actor = UserFactory.create(username="backup-officer", first_name="Amina", last_name="Diallo")
    group = Group.objects.create(name="Officers")
    group.permissions.set(Permission.objects.filter(codename__in=["add_activity", "change_activity"]))
    actor.groups.add(group)
    with change_context(actor=actor, reason="backup test"):
        activity = ActivityFactory.create(
            title="Atelier sous-régional — 研讨会 — ورشة عمل", notes="line\nbreak"
        )
        ActivityCountryFactory.create(activity=activity)
        OutcomeDocumentFactory.create(activity=activity, symbol="A/61/601")
        activity.title = activity.title + " (corrected)"
        activity.save()
        instrument = InstrumentFactory.create()
        RatificationFactory.create(instrument=instrument)
        event = LegislationEventFactory.create(assisted_by_office=True, activity=activity)
        event.instruments.add(instrument)
        tool = ToolFactory.create()
        tool.countries.add(activity.country_roles.get().country)
        ContributionFactory.create(amount=Decimal("1292385.00"))
        IndicatorValueFactory.create(breakdown={"by_region": {"Africa": 3}})
    return actor


def test_export_then_import_into_an_emptied_database_gives_back_every_row_and_field(varied_records, tmp_path):
    before = _snapshot()
    assert len(before["missions.historicalactivity"]) == 2
    path = tmp_path / "backup.json.gz"

    call_command("export_data", str(path))
    backup._empty(backup.backed_up_models())
    assert Activity.objects.count() == 0
    call_command("import_data", str(path), "--yes")

    assert _snapshot() == before
    # Sequences continue after the loaded rows: a new record gets a fresh key.
    assert ActivityFactory.create().pk > max(row["id"] for row in before["missions.activity"])


def test_a_damaged_backup_changes_nothing_and_says_why(varied_records, tmp_path):
    before = _snapshot()
    path = tmp_path / "broken.json.gz"
    path.write_bytes(b"this is not gzip")

    with pytest.raises(CommandError, match=r"Nothing was changed: .*not a readable gzipped JSON backup"):
        call_command("import_data", str(path), "--yes")
    assert _snapshot() == before


def test_a_backup_from_other_migrations_is_refused(varied_records, tmp_path):
    path = tmp_path / "backup.json.gz"
    call_command("export_data", str(path))
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        payload = json.load(handle)
    payload["manifest"]["migrations"]["missions"] = "9999_future"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(payload, handle)

    with pytest.raises(CommandError, match="made at other migrations than this database's"):
        call_command("import_data", str(path), "--yes")
    assert Activity.objects.count() == 1


def test_import_needs_an_explicit_confirmation(tmp_path):
    with pytest.raises(CommandError, match="add --yes to confirm"):
        call_command("import_data", str(tmp_path / "whatever.json.gz"))


def test_the_export_streams_one_row_per_line_of_one_json_document(varied_records, tmp_path):
    path = tmp_path / "backup.json.gz"
    call_command("export_data", str(path))

    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    # The manifest, one line per row (written as it is read), and the closing bracket ...
    rows = [json.loads(line.rstrip(",")) for line in lines[1:-1]]
    assert [row["model"] for row in rows[:1]] == [backup.backed_up_models()[0]._meta.label_lower]
    assert len(rows) == sum(json.loads(lines[0] + "]}")["manifest"]["counts"].values())
    # ... and the whole is still the one JSON document of format version 1.
    assert json.loads("\n".join(lines))["rows"] == rows
    assert not list(tmp_path.glob("*.partial"))


def test_a_backup_cut_off_midway_changes_nothing_and_says_why(varied_records, tmp_path):
    before = _snapshot()
    path = tmp_path / "backup.json.gz"
    call_command("export_data", str(path))
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        text = handle.read()
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text[: len(text) * 2 // 3])  # many rows are loaded before the cut is reached

    with pytest.raises(
        CommandError, match=r"Nothing was changed: .*not a readable gzipped JSON backup \(.*EOF"
    ):
        call_command("import_data", str(path), "--yes")
    assert _snapshot() == before


def test_a_backup_written_in_one_piece_before_streaming_still_loads(varied_records, tmp_path):
    before = _snapshot()
    path = tmp_path / "backup.json.gz"
    call_command("export_data", str(path))
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        payload = json.load(handle)
    with gzip.open(path, "wt", encoding="utf-8") as handle:  # as the version-1 writer did: one line
        json.dump(payload, handle, ensure_ascii=False)
    backup._empty(backup.backed_up_models())

    call_command("import_data", str(path), "--yes")
    assert _snapshot() == before


def test_a_row_that_does_not_fit_names_the_model_the_row_and_the_value(varied_records, tmp_path):
    before = _snapshot()
    path = tmp_path / "backup.json.gz"
    call_command("export_data", str(path))
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        payload = json.load(handle)
    row = next(r for r in payload["rows"] if r["model"] == "missions.activity")
    row["fields"]["start_date"] = "31/12/2006"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(payload, handle)

    with pytest.raises(
        CommandError,
        match=rf"Nothing was changed: .*a row cannot be loaded: .*invalid date format"
        rf".*\(missions.activity:pk={row['pk']}\) field_value was '31/12/2006'",
    ):
        call_command("import_data", str(path), "--yes")
    assert _snapshot() == before


def test_an_export_that_cannot_be_written_names_the_file_and_the_reason(db, tmp_path):
    path = tmp_path / "no-such-folder" / "backup.json.gz"
    with pytest.raises(CommandError, match=rf"^Cannot write {path}: No such file or directory$"):
        call_command("export_data", str(path))
