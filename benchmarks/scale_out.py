"""Scale-out (not a unit test): two web processes, two Celery workers and beat on a private
PostgreSQL and a private Redis, under a mixed read and write API load with reports requested
during the run; a second beat is started, one web process and one worker are killed (SIGKILL)
mid-run, then the first beat is killed. At the end:

- every accepted write (organisation and report-schedule creates, each with an
  Idempotency-Key) is stored exactly once, and none that was refused;
- every report (one per schedule: each is created already due) is generated once: one row,
  one file per format in storage, one delivery per recipient, one e-mail per delivery;
- one beat dispatched at a time: the second sent nothing while the first lived, took over
  after it was killed, and no entry was sent twice (two sends of one entry less than half its
  interval apart);
- no 5xx; the connection errors to the killed web process are counted apart (the client sends
  the request again to the other one, as a load balancer would; creates carry their
  Idempotency-Key, so the repeat is safe).

    .venv/bin/python -m benchmarks.scale_out --clients 16 --seconds 60

The processes are the Procfile's commands (``gunicorn ... tracker.wsgi:application``,
``celery -A tracker worker --loglevel=INFO --concurrency=2``, ``celery -A tracker beat
--loglevel=INFO``) with ``DJANGO_SETTINGS_MODULE=benchmarks.scale_settings`` (tracker's settings
with every interval entry of the beat schedule every 2 s) and short leases. Needs root (the
private PostgreSQL cluster runs as the postgres user). tests/trust/test_scale_out.py runs a
short version of it in CI.
"""

from __future__ import annotations

import argparse
import datetime
import email
import email.policy
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from benchmarks.load import (
    ROOT,
    PrivatePostgres,
    free_port,
    issue_tokens,
    migrate,
    request,
    server_env,
    wait_for_port,
)

BIN = Path(sys.executable).parent
BEAT_EVERY = 2.0  # seconds between two sends of one entry (benchmarks/scale_settings.py)
RECIPIENTS = ["scale-rcpt-0", "scale-rcpt-1"]
FORMATS = ["html", "xlsx"]
READS = [
    "/api/v1/organisations/?page_size=20",
    "/api/v1/activities/?page_size=20",
    "/api/v1/countries/?page_size=50",
    "/api/v1/reports/?page_size=20",
]


class PrivateRedis:
    """A throw-away redis-server on a free loopback port (no persistence)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if not server:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(  # noqa: S603 -- fixed arguments, our own port
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the private redis-server did not answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


# --- The processes -----------------------------------------------------------------------
def web_command(port: int) -> list[str]:
    """The Procfile's web command on ``port``. Until tracker/gunicorn.py exists, the same
    options as flags (two workers of four threads; the access log off, as in benchmarks/load.py)."""
    bind = ["--bind", f"127.0.0.1:{port}"]
    if (ROOT / "tracker" / "gunicorn.py").exists():
        return [
            str(BIN / "gunicorn"),
            "--config",
            "python:tracker.gunicorn",
            *bind,
            "tracker.wsgi:application",
        ]
    options = ["--workers", "2", "--threads", "4", "--timeout", "60", "--log-level", "warning"]
    return [str(BIN / "gunicorn"), *bind, *options, "tracker.wsgi:application"]


WORKER = [str(BIN / "celery"), "-A", "tracker", "worker", "--loglevel=INFO", "--concurrency=2"]
BEAT = [str(BIN / "celery"), "-A", "tracker", "beat", "--loglevel=INFO"]


class Process:
    """One of the stack's processes in its own process group (a gunicorn or Celery master with
    its children), its output in ``log``; ``kill`` is SIGKILL to the whole group."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._out: IO[bytes] = log.open("wb")
        self.popen = subprocess.Popen(  # noqa: S603 -- our own commands
            command, cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.killed_at: float | None = None

    def kill(self) -> None:
        self.killed_at = time.time()
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> None:
        if self.popen.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)  # children left behind
        self._out.close()

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until_ready(stack: Stack, *, timeout: float = 120) -> None:
    """Each web process answers an API request (its workers have loaded Django), each worker
    says it is ready and the beat has started."""
    deadline = time.monotonic() + timeout
    auth = {"Authorization": f"Bearer {stack.tokens[0]}", "Accept": "application/json"}
    for port in stack.ports:
        wait_for_port(port, timeout=timeout)
        for _ in range(4):  # a request to each of its workers, most likely
            while True:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                try:
                    if request(conn, "GET", READS[2], auth)[0] == 200:
                        break
                except (OSError, http.client.HTTPException):
                    pass
                finally:
                    conn.close()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"web on port {port} did not answer")
                time.sleep(0.3)
    for process, line in [
        *((w, " ready.") for w in stack.workers),
        *((b, "beat: Starting") for b in stack.beats),
    ]:
        while line not in process.text():
            if time.monotonic() > deadline or process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} did not start: {process.text()[-2000:]}")
            time.sleep(0.3)


def stack_env(database_url: str, redis_url: str, var: Path) -> dict[str, str]:
    return {
        **server_env(database_url, str(var)),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "benchmarks.scale_settings",
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(var / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "SITE_URL": "https://tracker.example.org",
        "REPORT_SCHEDULES_PER_USER": "100000",
        # A killed worker's claims lapse in 6 s and the sweep (every 2 s) sends them again; its
        # reserved messages come back after the visibility timeout, or by the pending resend.
        "LEASE_SECONDS": "6",
        "LEASE_MAX_ATTEMPTS": "5",
        "CELERY_VISIBILITY_TIMEOUT": "30",
        "REPORTS_RESEND_PENDING_AFTER": "10",
        "BEAT_LEASE_SECONDS": "4",
    }


# The report schedules' recipients, created with the API tokens.
ADD_RECIPIENTS = "".join(
    [
        "from tracker.models import User\n",
        *(f"User.objects.create(username={name!r}, email='{name}@example.org')\n" for name in RECIPIENTS),
    ]
)


@dataclass
class Stack:
    """The private services, the processes and where their files are."""

    postgres: PrivatePostgres
    redis: PrivateRedis
    var: Path
    env: dict[str, str]
    tokens: list[str]
    webs: list[Process] = field(default_factory=list)
    workers: list[Process] = field(default_factory=list)
    beats: list[Process] = field(default_factory=list)

    def start(self, kind: str) -> Process:
        n = len({"web": self.webs, "worker": self.workers, "beat": self.beats}[kind]) + 1
        log = self.var / f"{kind}-{n}.log"
        if kind == "web":
            port = free_port()
            process = Process(f"web {n}", web_command(port), self.env, log)
            process.port = port  # type: ignore[attr-defined]  # the web processes' one extra
            self.webs.append(process)
        elif kind == "worker":
            process = Process(f"worker {n}", WORKER, self.env, log)
            self.workers.append(process)
        else:
            process = Process(f"beat {n}", BEAT, self.env, log)
            self.beats.append(process)
        return process

    @property
    def ports(self) -> list[int]:
        return [web.port for web in self.webs]  # type: ignore[attr-defined]


@contextmanager
def private_stack(*, accounts: int = 3) -> Iterator[Stack]:
    """PostgreSQL and Redis of its own, migrated, with API tokens and two recipients; two web
    processes, two workers and one beat running. Everything is stopped and removed on exit."""
    postgres = PrivatePostgres()
    redis = PrivateRedis()
    var = Path(tempfile.mkdtemp(prefix="tracker-scale-"))
    stack: Stack | None = None
    try:
        postgres.create()
        redis.start()
        env = stack_env(postgres.url, redis.url, var)
        migrate(env)
        stack = Stack(postgres, redis, var, env, [])
        for kind in ("web", "web", "worker", "worker", "beat"):
            stack.start(kind)  # they start while the tokens are issued
        stack.tokens = issue_tokens(env, accounts, then=ADD_RECIPIENTS)
        wait_until_ready(stack)
        yield stack
    finally:
        if stack is not None:
            for process in [*stack.webs, *stack.workers, *stack.beats]:
                process.stop()
        redis.stop()
        postgres.destroy()
        if os.environ.get("SCALE_KEEP"):
            print(f"kept {var}")  # noqa: T201 -- where the logs are, when asked to keep them
        else:
            shutil.rmtree(var, ignore_errors=True)


# --- The load ----------------------------------------------------------------------------
@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    refused_connections: Counter[int] = field(default_factory=Counter)  # port -> connection errors
    accepted: dict[str, int] = field(default_factory=dict)  # "organisation CODE" / "schedule NAME" -> id
    refused: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Balancer:
    """One client's connections to the web processes: a request goes to the first one alive
    and, when its connection fails, to the next (which that client then keeps using)."""

    def __init__(self, ports: list[int], first: int) -> None:
        self.ports = ports[first:] + ports[:first]
        self.conns: dict[int, http.client.HTTPConnection] = {}

    def send(
        self, load: Load, method: str, path: str, headers: dict[str, str], body: Any = None
    ) -> tuple[int, bytes]:
        for port in list(self.ports):
            conn = self.conns.get(port) or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            self.conns[port] = conn
            try:
                status, _, data = request(conn, method, path, headers, body)
                return status, data
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                del self.conns[port]
                with load.lock:
                    load.refused_connections[port] += 1
                    if len(load.problems) < 50:
                        load.problems.append(f"port {port}: {exc!r}")
                if len(self.ports) > 1:
                    self.ports.remove(port)
        return 0, b""

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


def _create(balancer: Balancer, load: Load, auth: dict[str, str], path: str, what: str, body: Any) -> int:
    key = uuid.uuid4().hex
    status, data = balancer.send(load, "POST", path, {**auth, "Idempotency-Key": key}, body)
    with load.lock:
        if status == 201:
            load.accepted[what] = json.loads(data)["id"]
        else:
            load.refused.add(what)
            if status != 0 and len(load.problems) < 50:
                load.problems.append(f"create {what}: {status} {data[:300]!r}")
    return status


def _client(ports: list[int], token: str, until: float, n: int, load: Load, write_share: float) -> None:
    rng = random.Random(n)  # noqa: S311 -- a load mix, not cryptography
    balancer = Balancer(ports, n % len(ports))
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    while time.monotonic() < until:
        started = time.monotonic()
        if rng.random() < write_share:
            key = uuid.uuid4().hex[:20]
            body = {"code": f"SCALE-{key}", "name_en": f"Scale-out organisation {key}", "kind": "regional"}
            status = _create(
                balancer, load, auth, "/api/v1/organisations/", f"organisation SCALE-{key}", body
            )
        else:
            status, data = balancer.send(load, "GET", rng.choice(READS), auth)
            if status >= 500:
                with load.lock:
                    load.problems.append(f"GET {status}: {data[:300]!r}")
        latencies.append(time.monotonic() - started)
        statuses[status] += 1
    balancer.close()
    with load.lock:
        load.latencies += latencies
        load.statuses.update(statuses)


def _reporter(ports: list[int], token: str, until: float, every: float, load: Load) -> None:
    """Creates an already due report schedule every ``every`` seconds: beat's dispatch makes its
    report, a worker renders it and mails it to the two recipients."""
    balancer = Balancer(ports, 0)
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    due = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)).isoformat()
    n = 0
    while time.monotonic() < until:
        name = f"Scale-out {uuid.uuid4().hex[:12]}"
        body = {
            "name": name,
            "recipients": RECIPIENTS,
            "frequency": "yearly",
            "formats": FORMATS,
            "next_run_at": due,
        }
        started = time.monotonic()
        status = _create(balancer, load, auth, "/api/v1/report-schedules/", f"schedule {name}", body)
        with load.lock:
            load.latencies.append(time.monotonic() - started)
            load.statuses[status] += 1
        n += 1
        time.sleep(max(0.0, every - (time.monotonic() - started)))
    balancer.close()


@dataclass
class Timeline:
    started: float = 0.0
    events: list[tuple[float, str]] = field(default_factory=list)

    def note(self, what: str) -> None:
        self.events.append((time.time(), what))


def run(
    stack: Stack,
    *,
    clients: int,
    seconds: float,
    write_share: float = 0.2,
    report_every: float = 1.0,
    reports_for: float = 1.0,
) -> tuple[Load, Timeline]:
    """The load, with the faults: beat 2 starts at 15% of the run, web 1 and worker 1 are
    killed at 40%, beat 1 (the one dispatching) at 70% (once both beats have run together for
    two intervals of the schedule). Report schedules are created during the first
    ``reports_for`` share of the run."""
    load = Load()
    timeline = Timeline(started=time.time())
    until = time.monotonic() + seconds
    ports = stack.ports
    threads = [
        threading.Thread(
            target=_client,
            args=(ports, stack.tokens[n % len(stack.tokens)], until, n, load, write_share),
            daemon=True,
        )
        for n in range(clients)
    ]
    threads.append(
        threading.Thread(
            target=_reporter,
            args=(ports, stack.tokens[0], time.monotonic() + seconds * reports_for, report_every, load),
            daemon=True,
        )
    )
    for thread in threads:
        thread.start()
    began = time.monotonic()

    def at(share: float) -> None:
        time.sleep(max(0.0, began + seconds * share - time.monotonic()))

    at(0.15)
    stack.start("beat")
    timeline.note("beat 2 started")
    at(0.4)
    stack.webs[0].kill()
    timeline.note("web 1 killed")
    stack.workers[0].kill()
    timeline.note("worker 1 killed")
    at(0.7)
    # Both beats run for at least two intervals of the schedule: a second beat that does not
    # stand by has sent entries by then.
    beat = stack.beats[1]
    while "beat: Starting" not in beat.text() and beat.popen.poll() is None:
        time.sleep(0.2)
    time.sleep(2 * BEAT_EVERY + 1)
    stack.beats[0].kill()
    timeline.note("beat 1 killed")
    for thread in threads:
        thread.join(timeout=seconds + 120)
    timeline.note("load ended")
    deadline = time.monotonic() + 30  # beat 2 takes over within BEAT_LEASE_SECONDS (4 s) and a third
    while not dispatches(beat) and time.monotonic() < deadline:
        time.sleep(0.5)
    return load, timeline


# --- The checks --------------------------------------------------------------------------
def _sql(stack: Stack, query: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(stack.postgres.url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(query).fetchall()  # type: ignore[arg-type]  # our own constant queries


def drained(stack: Stack, schedules: int) -> bool:
    """Every schedule has its report, done, and every delivery is sent."""
    ((reports, done, pending_deliveries),) = _sql(
        stack,
        "SELECT count(*), count(*) FILTER (WHERE status = 'done'), "
        "(SELECT count(*) FROM reports_delivery WHERE status <> 'done') FROM reports_report",
    )
    return reports >= schedules and done == reports and pending_deliveries == 0


def wait_until_drained(stack: Stack, schedules: int, *, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if drained(stack, schedules):
            return time.monotonic() - started
        time.sleep(1)
    return -1.0


def mails(var: Path) -> Counter[str]:
    """Message-ID -> how many times it was sent (Django's file backend, a separator per message)."""
    found: Counter[str] = Counter()
    folder = var / "mail"
    for path in sorted(folder.glob("*.log")) if folder.exists() else []:
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                message = email.message_from_bytes(chunk, policy=email.policy.default)
                found[str(message["Message-ID"])] += 1
    return found


_SENT = re.compile(r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}[,.]\d+).*Sending due task (\S+)")


def dispatches(beat: Process) -> list[tuple[float, str]]:
    """(time, entry) of every send in a beat's log."""
    found = []
    for line in beat.text().splitlines():
        match = _SENT.search(line)
        if match:
            stamp = datetime.datetime.fromisoformat(match.group(1).replace(",", "."))
            found.append((stamp.timestamp(), match.group(2)))
    return found


@dataclass
class Verdict:
    figures: dict[str, Any]
    failures: list[str]


def verify(stack: Stack, load: Load, timeline: Timeline, *, drain_seconds: float) -> Verdict:
    failures: list[str] = []
    figures: dict[str, Any] = {}
    killed_port = stack.ports[0]

    # HTTP: no 5xx; connection errors only to the killed web process.
    figures["requests"] = sum(load.statuses.values())
    figures["statuses"] = dict(sorted(load.statuses.items()))
    figures["connection errors to the killed web"] = load.refused_connections[killed_port]
    other = sum(n for port, n in load.refused_connections.items() if port != killed_port)
    figures["other connection errors"] = other
    fives = sum(n for status, n in load.statuses.items() if status >= 500 or status == 0)
    figures["5xx"] = fives
    figures["4xx"] = sum(n for status, n in load.statuses.items() if 400 <= status < 500)
    if fives or other:
        failures.append(
            f"{fives} answers 5xx or none at all, {other} connection errors to a live web process"
        )
    latencies = sorted(load.latencies) or [0.0]
    figures["p50 ms"] = round(statistics.median(latencies) * 1000)
    figures["p95 ms"] = round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] * 1000)

    # Writes: each accepted create stored once, nothing stored that was refused.
    organisations = Counter(
        code for (code,) in _sql(stack, "SELECT code FROM partners_organisation WHERE code LIKE 'SCALE-%'")
    )
    schedules = {
        name: pk
        for pk, name in _sql(
            stack, "SELECT id, name FROM reports_reportschedule WHERE name LIKE 'Scale-out %'"
        )
    }
    stored: Counter[str] = Counter({f"organisation {code}": n for code, n in organisations.items()})
    stored.update({f"schedule {name}": 1 for name in schedules})
    accepted = set(load.accepted)
    lost = [what for what in accepted if stored[what] == 0]
    duplicated = [what for what, n in stored.items() if n > 1]
    unexpected = [what for what in stored if what not in accepted]
    figures["writes accepted"] = len(accepted)
    figures["writes stored"] = sum(stored.values())
    for name, items in (
        ("lost", lost),
        ("stored twice", duplicated),
        ("stored but never accepted", unexpected),
    ):
        if items:
            failures.append(f"{len(items)} writes {name}: {items[:3]}")

    # Reports: one per schedule, one file per format (in storage too), one delivery per
    # recipient, one e-mail per delivery.
    figures["drained in s"] = round(drain_seconds, 1)
    if drain_seconds < 0:
        failures.append("the reports were not all generated and delivered in time")
    reports = _sql(stack, "SELECT id, schedule_id, status, attempts FROM reports_report")
    per_schedule = Counter(schedule for _, schedule, _, _ in reports)
    figures["reports"] = len(reports)
    figures["reports retried after a kill"] = sum(1 for *_, attempts in reports if attempts > 1)
    missing = [name for name, pk in schedules.items() if per_schedule[pk] == 0]
    twice = [pk for pk, n in per_schedule.items() if n > 1]
    if missing or twice:
        failures.append(f"schedules without a report {missing[:3]}, with more than one {twice[:3]}")
    files = Counter(
        (report, fmt) for report, fmt in _sql(stack, "SELECT report_id, format FROM reports_reportfile")
    )
    on_disk: Counter[tuple[int, str]] = Counter()
    for path in (stack.var / "media").rglob("report-*"):
        match = re.match(r"report-(\d+)-.*\.(\w+)$", path.name)
        if match:
            on_disk[(int(match.group(1)), match.group(2))] += 1
    expected_files = {(report, fmt) for report, *_ in reports for fmt in FORMATS}
    figures["report files"] = sum(files.values())
    figures["files in storage"] = sum(on_disk.values())
    if set(files) != expected_files or any(n != 1 for n in files.values()):
        failures.append("report files: not exactly one per report and format")
    if {key for key, n in on_disk.items() if n == 1} != expected_files or any(
        n != 1 for n in on_disk.values()
    ):
        failures.append(f"files in storage: not one per report and format {on_disk.most_common(3)}")
    deliveries = _sql(stack, "SELECT id, report_id, address, status FROM reports_delivery")
    per_report = Counter((report, address) for _, report, address, _ in deliveries)
    figures["deliveries"] = len(deliveries)
    if any(n != 1 for n in per_report.values()) or len(deliveries) != len(reports) * len(RECIPIENTS):
        failures.append("deliveries: not exactly one per report and recipient")
    sent = mails(stack.var)
    figures["e-mails"] = sum(sent.values())
    expected_ids = {f"<report-{report}.delivery-{pk}@tracker.example.org>" for pk, report, _, _ in deliveries}
    if set(sent) != expected_ids or any(n != 1 for n in sent.values()):
        failures.append(f"e-mails: not exactly one per delivery (most sent: {sent.most_common(2)})")

    # Beat: the second stood by while the first lived, then took over; no entry sent twice.
    sends = [(at, entry, beat.name) for beat in stack.beats for at, entry in dispatches(beat)]
    figures["beat dispatches"] = {beat.name: len(dispatches(beat)) for beat in stack.beats}
    first_killed = stack.beats[0].killed_at or time.time()
    early = [s for s in sends if s[2] != "beat 1" and s[0] < first_killed]
    late = [s for s in sends if s[2] == "beat 1" and s[0] > first_killed + 1]
    if early or late:
        failures.append(f"beats dispatched at the same time: {(early + late)[:3]}")
    if len(stack.beats) > 1 and not any(s[2] == "beat 2" for s in sends):
        failures.append("beat 2 never took over")
    by_entry: dict[str, list[float]] = defaultdict(list)
    for at, entry, _ in sends:
        by_entry[entry].append(at)
    doubled = 0
    for times in by_entry.values():
        times.sort()
        doubled += sum(1 for a, b in zip(times, times[1:], strict=False) if b - a < BEAT_EVERY / 2)
    figures["entries sent twice"] = doubled
    if doubled:
        failures.append(f"{doubled} beat entries sent twice")
    figures["duplicates"] = (
        len(duplicated) + len(twice) + doubled + sum(n - 1 for n in sent.values() if n > 1)
    )
    return Verdict(figures, failures)


def report(verdict: Verdict, *, clients: int, seconds: float, timeline: Timeline) -> str:
    lines = [
        f"{clients} clients for {seconds:.0f} s on 2 web processes, 2 workers, beat; "
        + ", ".join(f"{what} at {at - timeline.started:.0f} s" for at, what in timeline.events),
    ]
    figures = verdict.figures
    lines.append(
        f"{figures['requests']} requests; p50 {figures['p50 ms']} ms, p95 {figures['p95 ms']} ms; "
        f"statuses {figures['statuses']}; errors: 4xx {figures['4xx']}, 5xx {figures['5xx']}, "
        f"connection errors to the killed web "
        f"{figures['connection errors to the killed web']} (sent again to the other), to a live one "
        f"{figures['other connection errors']}"
    )
    lines.append(
        f"writes accepted {figures['writes accepted']}, stored {figures['writes stored']}; "
        f"reports {figures['reports']} "
        f"({figures['reports retried after a kill']} taken over after the kill), "
        f"files {figures['report files']} (in storage {figures['files in storage']}), "
        f"deliveries {figures['deliveries']}, e-mails {figures['e-mails']}; drained "
        f"{figures['drained in s']} s after the load"
    )
    lines.append(
        f"beat dispatches {figures['beat dispatches']}, entries sent twice {figures['entries sent twice']}; "
        f"duplicates: {figures['duplicates']}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--write-share", type=float, default=0.2)
    parser.add_argument(
        "--report-every", type=float, default=1.0, help="seconds between two report schedules"
    )
    options = parser.parse_args()
    started = time.monotonic()
    with private_stack() as stack:
        print(f"set-up {time.monotonic() - started:.0f} s")  # noqa: T201 -- a benchmark's output
        load, timeline = run(
            stack,
            clients=options.clients,
            seconds=options.seconds,
            write_share=options.write_share,
            report_every=options.report_every,
        )
        schedules = sum(1 for what in load.accepted if what.startswith("schedule "))
        drain = wait_until_drained(stack, schedules, timeout=120)
        verdict = verify(stack, load, timeline, drain_seconds=drain)
    print(report(verdict, clients=options.clients, seconds=options.seconds, timeline=timeline))  # noqa: T201
    for problem in load.problems[:10]:
        print("  problem:", problem)  # noqa: T201
    if verdict.failures:
        print("FAILED:", "; ".join(verdict.failures))  # noqa: T201
        raise SystemExit(1)
    print("OK: nothing lost or duplicated, one beat dispatching at a time")  # noqa: T201


if __name__ == "__main__":
    main()
