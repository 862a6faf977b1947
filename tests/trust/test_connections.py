"""64 concurrent API clients never hold more PostgreSQL connections than configured.

gunicorn runs with the Procfile's configuration (tracker/gunicorn.py) against a private
PostgreSQL cluster: WORKERS processes of THREADS threads, each process with a psycopg pool of
at most DB_POOL_MAX connections (tracker/settings.py). While CLIENTS clients read and write the
API, a thread counts the cluster's connections to the database in pg_stat_activity; the most
seen must stay within WORKERS x DB_POOL_MAX, below the WORKERS x THREADS that one connection
per thread would take. (With DB_POOL_MAX=0, per-thread persistent connections, the count
reaches 16 and the test fails.)
"""

import http.client
import tempfile
import threading
import time

import psycopg

from benchmarks.load import (
    Gunicorn,
    PrivatePostgres,
    check,
    issue_tokens,
    migrate,
    request,
    run_load,
    server_env,
    stored_codes,
    summary,
)
from tests.trust.private_servers import NEEDS_PRIVATE_CLUSTER

pytestmark = NEEDS_PRIVATE_CLUSTER

CLIENTS = 64
SECONDS = 10.0
WORKERS = 2
THREADS = 8
DB_POOL_MAX = 3
BOUND = WORKERS * DB_POOL_MAX


class ConnectionSampler(threading.Thread):
    """Counts the other client connections to ``tracker`` every 20 ms until stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url.replace("postgres://", "postgresql://")
        self.counts: list[int] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stopping.is_set():
                row = conn.execute(
                    # Client connections only: autovacuum workers appear with the database's name too.
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = 'tracker' "
                    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                ).fetchone()
                assert row is not None
                self.counts.append(int(row[0]))
                time.sleep(0.02)


def _warm_up(port: int, token: str) -> None:
    """Until both workers have booted and answered (gunicorn accepts before they are ready)."""
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    answered = 0
    deadline = time.monotonic() + 60
    while answered < 4 * WORKERS and time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            status, _, _ = request(conn, "GET", "/api/v1/countries/?page_size=1", auth)
            answered += status == 200
        finally:
            conn.close()


def test_64_clients_stay_within_the_configured_database_connections() -> None:
    cluster = PrivatePostgres()
    try:
        with tempfile.TemporaryDirectory(prefix="tracker-site-") as var:
            cluster.create()
            env = {**server_env(cluster.url, var), "DB_POOL_MAX": str(DB_POOL_MAX)}
            migrate(env)
            tokens = issue_tokens(env, 4)
            server = Gunicorn(env, workers=WORKERS, threads=THREADS, config=True)
            sampler = ConnectionSampler(cluster.url)
            try:
                _warm_up(server.port, tokens[0])
                sampler.start()
                result = run_load(server.port, tokens, clients=CLIENTS, seconds=SECONDS)
            finally:
                sampler.stopping.set()
                sampler.join(timeout=10)
                server.stop()
            stored = stored_codes(cluster.url)
    finally:
        cluster.destroy()
    busiest = max(sampler.counts)
    print(  # noqa: T201 -- the figures for docs/deploy.md
        f"{CLIENTS} clients, {WORKERS} workers x {THREADS} threads, DB_POOL_MAX={DB_POOL_MAX}: "
        f"at most {busiest} connections (bound {BOUND}) in {len(sampler.counts)} samples; "
        + summary(result, SECONDS, stored)
    )
    assert result.accepted, "no write was accepted"
    assert not check(result, stored), (check(result, stored), result.problems[:5])
    assert len(sampler.counts) > 50
    assert 1 <= busiest <= BOUND, f"{busiest} connections, more than {BOUND}"
