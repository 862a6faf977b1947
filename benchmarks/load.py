"""Load (not a unit test): a mixed load on gunicorn on loopback against PostgreSQL, then a check
that every accepted write is stored exactly once.

    .venv/bin/python -m benchmarks.load --clients 16 --seconds 60

With DATABASE_URL unset it makes a PRIVATE PostgreSQL cluster (initdb as the postgres user into
a temporary directory, a free loopback port; never the shared server), migrates it, issues one
write token to each of ``--accounts`` integration accounts and starts gunicorn on loopback.
``--clients`` threads then run for ``--seconds``: 80% reads (lists of organisations,
activities, countries) and 20% writes (creates of organisations with unique codes and an
Idempotency-Key; ``--retry-share`` of them sent twice on purpose, the second answer must be the
same object). At the end every accepted create is looked up in the database: it must be there
exactly once, and no create that was not accepted may be there. Prints throughput, p50/p95
latency and the count of errors by status; exits non-zero on a 5xx or a lost/duplicated write.

The helpers (PrivatePostgres, migrate, issue_tokens, Gunicorn) are also used by
tests/trust/test_faults.py and tests/trust/test_load.py.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, timeout: float = 90) -> None:
    """Return once something accepts connections on ``port`` of loopback (RuntimeError after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


def _pg(tool: str) -> str:
    found = shutil.which(tool) or str(PG_BIN / tool)
    if not Path(found).exists():
        candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"))
        if not candidates:
            raise RuntimeError(f"PostgreSQL's {tool} is not installed")
        found = str(candidates[-1])
    return found


class PrivatePostgres:
    """A throw-away PostgreSQL cluster owned by the postgres user, on a free loopback port."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        shutil.chown(self.dir, user="postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/tracker"

    def _as_postgres(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        return subprocess.run(  # noqa: S603 -- fixed tools, our own arguments
            [runuser, "-u", "postgres", "--", *args], check=check, capture_output=True, text=True
        )

    def create(self) -> None:
        self._as_postgres(_pg("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        self._as_postgres(_pg("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "tracker")

    def _ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        self._as_postgres(
            _pg("pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            action,
            *extra,
        )

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def destroy(self) -> None:
        self._as_postgres(_pg("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def server_env(database_url: str, var_dir: str) -> dict[str, str]:
    return {
        **{
            k: v
            for k, v in os.environ.items()
            # PROMETHEUS_MULTIPROC_DIR: the settings put this process's own in the environment;
            # the server keeps its metrics under its own TRACKER_VAR_DIR instead.
            if k not in ("DATABASE_URL", "REDIS_URL", "TEST_DATABASE_NAME", "PROMETHEUS_MULTIPROC_DIR")
        },
        "DATABASE_URL": database_url,
        "TRACKER_VAR_DIR": var_dir,
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "DEBUG": "false",
        "SECRET_KEY": "load-test-only-" + "x" * 40,
        "SITE_URL": "http://127.0.0.1",  # required in production (DEBUG off on PostgreSQL)
        "SECURE_SSL_REDIRECT": "false",
        "API_THROTTLE_RATE": "100000000/second",
        "DB_CONN_MAX_AGE": "60",
    }


def _schema_key() -> str:
    """What a migrated database depends on: the migrations, the reference data they load
    (fixtures/) and the apps' code, so any change to one of them migrates afresh."""
    digest = hashlib.sha256()
    for folder in ("tracker", "missions", "partners", "reports", "fixtures"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".json", ".csv", ".yaml", ".gz"}:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def migrate(env: dict[str, str]) -> None:
    """Migrate the database of ``env`` (a private cluster's). The first call of a run really
    migrates and keeps a dump of the result; later ones restore that dump (seconds, not the
    half-minute of the migrations and their reference data) into their own fresh cluster."""
    dump = Path(tempfile.gettempdir()) / f"tracker-migrated-{_schema_key()}.dump"
    if dump.exists():
        subprocess.run(  # noqa: S603 -- PostgreSQL's own tool
            [
                _pg("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                f"--dbname={env['DATABASE_URL']}",
                str(dump),
            ],
            check=True,
            capture_output=True,
        )
        return
    subprocess.run(  # noqa: S603 -- our own interpreter and code
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    partial = dump.with_suffix(f".{os.getpid()}.partial")
    subprocess.run(  # noqa: S603 -- PostgreSQL's own tool
        [_pg("pg_dump"), "--format=custom", f"--file={partial}", env["DATABASE_URL"]],
        check=True,
        capture_output=True,
    )
    partial.replace(dump)  # whole or absent: another process restores only a complete dump


def issue_tokens(env: dict[str, str], accounts: int, *, then: str = "") -> list[str]:
    """One write token for each of ``accounts`` new integration accounts (every model permission);
    ``then`` is more code for the same shell (one Django start-up fewer)."""
    code = (
        then
        + f"""
from django.contrib.auth.models import Permission
from tracker.models import IntegrationAccount, User
from tracker.api.authentication import issue_token
perms = Permission.objects.filter(content_type__app_label__in=["missions", "partners", "reports"])
for n in range({accounts}):
    user = User.objects.create(username=f"load-{{n}}")
    user.user_permissions.set(perms)
    account = IntegrationAccount.objects.create(
        name=f"load-{{n}}", user=user, scope_read=True, scope_write=True
    )
    print("TOKEN", issue_token(account=account)[1])
"""
    )
    done = subprocess.run(  # noqa: S603 -- our own interpreter and code
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return [line.split()[1] for line in done.stdout.splitlines() if line.startswith("TOKEN ")]


class Gunicorn:
    """gunicorn on a free loopback port, stopped (SIGTERM, then SIGKILL) on exit; its log goes to
    ``stderr`` when given (a file), else to this process's. With ``config`` it reads the
    Procfile's configuration (tracker/gunicorn.py) first; the arguments here override it."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        workers: int = 2,
        threads: int = 4,
        stderr: IO[Any] | None = None,
        config: bool = False,
    ) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603 -- our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                *(["--config", "python:tracker.gunicorn"] if config else []),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--log-level",
                "warning",
                "--timeout",
                "60",
                "tracker.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stderr=stderr,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- The load ----------------------------------------------------------------------------
READS = [
    "/api/v1/organisations/?page_size=20",
    "/api/v1/activities/?page_size=20",
    "/api/v1/countries/?page_size=50",
]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    accepted: dict[str, int] = field(default_factory=dict)  # code -> id of every 201
    refused: set[str] = field(default_factory=set)  # codes whose create was not accepted
    retry_mismatches: int = 0
    problems: list[str] = field(default_factory=list)


def request(
    conn: http.client.HTTPConnection, method: str, path: str, headers: dict[str, str], body: Any = None
) -> tuple[int, dict[str, str], bytes]:
    payload = json.dumps(body).encode() if body is not None else None
    if payload is not None:
        headers = {**headers, "Content-Type": "application/json"}
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def _client(
    port: int, token: str, until: float, write_share: float, retry_share: float, result: Result, seed: int
) -> None:
    rng = random.Random(seed)  # noqa: S311 -- a load mix, not cryptography
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    local = Result()
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            if rng.random() < write_share:
                key = uuid.uuid4().hex
                code = f"LOAD-{key[:20]}"
                body = {"code": code, "name_en": f"Load test organisation {key}", "kind": "regional"}
                headers = {**auth, "Idempotency-Key": key}
                status, _, data = request(conn, "POST", "/api/v1/organisations/", headers, body)
                if status == 201:
                    local.accepted[code] = json.loads(data)["id"]
                    if rng.random() < retry_share:  # the client "did not hear" the answer: sends again
                        again, _, data2 = request(conn, "POST", "/api/v1/organisations/", headers, body)
                        if again != 201 or json.loads(data2)["id"] != local.accepted[code]:
                            local.retry_mismatches += 1
                            local.problems.append(f"retry of {code}: {again} {data2[:200]!r}")
                else:
                    local.refused.add(code)
            else:
                status, _, data = request(conn, "GET", rng.choice(READS), auth)
        except (OSError, http.client.HTTPException) as exc:
            status = 0
            local.problems.append(f"transport: {exc!r}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local.latencies.append(time.monotonic() - started)
        local.statuses[status] += 1
        if status >= 500 and len(local.problems) < 20:
            local.problems.append(f"{status}: {data[:300]!r}")
    conn.close()
    with _LOCK:
        result.latencies += local.latencies
        result.statuses.update(local.statuses)
        result.accepted.update(local.accepted)
        result.refused |= local.refused
        result.retry_mismatches += local.retry_mismatches
        result.problems += local.problems


_LOCK = threading.Lock()


def run_load(
    port: int,
    tokens: list[str],
    *,
    clients: int,
    seconds: float,
    write_share: float = 0.2,
    retry_share: float = 0.1,
) -> Result:
    result = Result()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_client,
            args=(port, tokens[n % len(tokens)], until, write_share, retry_share, result, n),
            daemon=True,
        )
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return result


def stored_codes(database_url: str) -> Counter[str]:
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        rows = conn.execute("SELECT code FROM partners_organisation WHERE code LIKE 'LOAD-%'").fetchall()
    return Counter(row[0] for row in rows)


def check(result: Result, stored: Counter[str]) -> list[str]:
    """What went wrong: 5xx answers, failed retries, lost, duplicated or unexpected writes."""
    failures = [
        f"{count} answers of status {status}"
        for status, count in result.statuses.items()
        if status >= 500 or status == 0
    ]
    if result.retry_mismatches:
        failures.append(f"{result.retry_mismatches} retried creates did not return the same object")
    lost = [code for code in result.accepted if stored[code] == 0]
    duplicated = [code for code, count in stored.items() if count > 1]
    unexpected = [code for code in stored if code not in result.accepted and code not in result.refused]
    for name, codes in (("lost", lost), ("duplicated", duplicated), ("stored but never sent", unexpected)):
        if codes:
            failures.append(f"{len(codes)} writes {name}: {codes[:5]}")
    return failures


def summary(result: Result, seconds: float, stored: Counter[str]) -> str:
    latencies = sorted(result.latencies) or [0.0]
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    total = sum(result.statuses.values())
    errors = sum(count for status, count in result.statuses.items() if status >= 400 or status == 0)
    return (
        f"{total} requests in {seconds:.0f} s = {total / seconds:.0f} req/s; "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; "
        f"statuses {dict(sorted(result.statuses.items()))}; errors {errors}; "
        f"writes accepted {len(result.accepted)}, stored {sum(stored.values())} "
        f"({len(stored)} distinct)"
    )


@contextlib.contextmanager
def private_site(
    *, accounts: int, workers: int = 2, threads: int = 4
) -> Iterator[tuple[PrivatePostgres, Gunicorn, list[str]]]:
    """A private PostgreSQL cluster, migrated, with ``accounts`` API tokens and gunicorn in front;
    the server is stopped and the cluster removed on exit."""
    cluster = PrivatePostgres()
    try:
        with tempfile.TemporaryDirectory(prefix="tracker-site-") as var:
            cluster.create()
            env = server_env(cluster.url, var)
            migrate(env)
            tokens = issue_tokens(env, accounts)
            server = Gunicorn(env, workers=workers, threads=threads)
            try:
                yield cluster, server, tokens
            finally:
                server.stop()
    finally:
        cluster.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--write-share", type=float, default=0.2)
    parser.add_argument("--retry-share", type=float, default=0.1)
    options = parser.parse_args()

    started = time.monotonic()
    with private_site(accounts=options.accounts, workers=options.workers, threads=options.threads) as site:
        cluster, server, tokens = site
        print(f"set-up {time.monotonic() - started:.0f} s (private PostgreSQL on port {cluster.port})")
        result = run_load(
            server.port,
            tokens,
            clients=options.clients,
            seconds=options.seconds,
            write_share=options.write_share,
            retry_share=options.retry_share,
        )
        stored = stored_codes(cluster.url)
    print(
        f"{options.clients} clients, {options.accounts} accounts, "
        f"{options.workers} gunicorn workers x {options.threads} threads, "
        f"{options.write_share:.0%} writes ({options.retry_share:.0%} retried)"
    )
    print(summary(result, options.seconds, stored))
    failures = check(result, stored)
    for problem in result.problems[:10]:
        print("  problem:", problem)
    if failures:
        print("FAILED:", "; ".join(failures))
        raise SystemExit(1)
    print("OK: no 5xx, every accepted write stored exactly once")


if __name__ == "__main__":
    main()
