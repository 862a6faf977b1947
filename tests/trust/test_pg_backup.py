"""PostgreSQL backups restore (docs/deploy.md "Backups"): what the deployment guide tells an office to do.

A private cluster (benchmarks.load.PrivatePostgres) gets the data `make run` loads
(`manage.py bootstrap`: migrations with the reference data, the 2006 report, the roles, an
administrator). Then:

- ``pg_dump --format=custom`` and ``pg_restore`` into a fresh database give back every table
  with the same number of rows, and every sequence at the same value (new rows get new keys);
- ``export_data`` from the restored database and ``import_data`` into a third, freshly
  migrated one (moving between databases) give back every backed-up table's rows.
"""

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from benchmarks.load import PrivatePostgres, migrate, server_env
from benchmarks.load import _pg as pg_tool
from tests.trust.private_servers import NEEDS_PRIVATE_CLUSTER
from tracker import backup

pytestmark = NEEDS_PRIVATE_CLUSTER

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[PrivatePostgres, Path]]:
    """A private cluster whose database ``tracker`` holds what ``make run`` loads (bootstrap)."""
    pg = PrivatePostgres()
    try:
        with tempfile.TemporaryDirectory(prefix="tracker-pg-backup-") as var:
            pg.create()
            _manage(pg, Path(var), "tracker", "bootstrap")
            yield pg, Path(var)
    finally:
        pg.destroy()


def _url(pg: PrivatePostgres, database: str) -> str:
    return f"postgres://postgres@127.0.0.1:{pg.port}/{database}"


def _manage(pg: PrivatePostgres, var: Path, database: str, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 -- our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**server_env(_url(pg, database), str(var)), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _tool(*args: str) -> None:
    done = subprocess.run([pg_tool(args[0]), *args[1:]], capture_output=True, text=True, check=False)  # noqa: S603 -- PostgreSQL's own tools
    assert done.returncode == 0, done.stdout + done.stderr


def _row_counts(url: str, tables: list[str] | None = None) -> dict[str, int]:
    """Rows of every table of the public schema (or of ``tables``)."""
    with psycopg.connect(url, autocommit=True) as conn:
        if tables is None:
            tables = [
                name
                for (name,) in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
                )
            ]
        counts: dict[str, int] = {}
        for table in tables:
            query = psycopg.sql.SQL("SELECT count(*) FROM {}").format(psycopg.sql.Identifier(table))
            row = conn.execute(query).fetchone()
            assert row is not None
            counts[table] = row[0]
        return counts


def _sequences(url: str) -> dict[str, int | None]:
    with psycopg.connect(url, autocommit=True) as conn:
        return dict(
            conn.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
            ).fetchall()
        )


def test_pg_dump_then_pg_restore_into_a_fresh_database_gives_back_every_table(cluster, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pg, var = cluster
    source = _row_counts(_url(pg, "tracker"))
    assert source["missions_activity"] > 0  # the report is in, with its history
    assert source["missions_historicalactivity"] > 0
    dump = tmp_path / "tracker.dump"

    _tool("pg_dump", "--format=custom", f"--file={dump}", _url(pg, "tracker"))
    _tool("createdb", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "restored")
    _tool("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_url(pg, 'restored')}", str(dump))

    assert _row_counts(_url(pg, "restored")) == source
    assert _sequences(_url(pg, "restored")) == _sequences(_url(pg, "tracker"))
    assert len(source) > 40  # every table, not a few: the comparison above is the whole schema


def test_export_data_then_import_data_moves_every_backed_up_row_to_another_database(
    cluster, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    pg, var = cluster
    tables = backup._tables(backup.backed_up_models())
    source = _row_counts(_url(pg, "tracker"), tables)
    file = tmp_path / "tracker.json.gz"

    _manage(pg, var, "tracker", "export_data", str(file))  # in its own REPEATABLE READ snapshot
    _tool("createdb", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "moved")
    migrate(server_env(_url(pg, "moved"), str(var)))  # a migrated, empty database
    _manage(pg, var, "moved", "import_data", str(file), "--yes")

    assert _row_counts(_url(pg, "moved"), tables) == source
    assert source["missions_activity"] > 0
    assert source["missions_historicalactivity"] > 0
