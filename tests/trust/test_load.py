"""A short run of benchmarks/load.py in CI: mixed load on gunicorn against a private PostgreSQL,
no 5xx, every accepted write stored exactly once (the full run: ``python -m benchmarks.load``)."""

import os
import shutil
import tempfile

import pytest

from benchmarks.load import (
    Gunicorn,
    PrivatePostgres,
    check,
    issue_tokens,
    migrate,
    run_load,
    server_env,
    stored_codes,
    summary,
)

pytestmark = [
    pytest.mark.services,
    # initdb and pg_ctl run as the postgres user through runuser, which needs root.
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("runuser") is None, reason="a private PostgreSQL cluster needs root"
    ),
]

SECONDS = 8.0


def test_a_short_mixed_load_loses_and_duplicates_nothing() -> None:
    cluster = PrivatePostgres()
    try:
        with tempfile.TemporaryDirectory(prefix="tracker-load-") as var:
            cluster.create()
            env = server_env(cluster.url, var)
            migrate(env)
            tokens = issue_tokens(env, 3)
            server = Gunicorn(env, workers=2, threads=4)
            try:
                result = run_load(server.port, tokens, clients=8, seconds=SECONDS, retry_share=0.3)
            finally:
                server.stop()
            stored = stored_codes(cluster.url)
    finally:
        cluster.destroy()
    print(summary(result, SECONDS, stored))  # noqa: T201 -- the figure for docs/reliability.md
    assert result.accepted, "no write was accepted"
    assert not check(result, stored), (check(result, stored), result.problems[:5])
