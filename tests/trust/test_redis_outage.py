"""Redis stopped, then hung, under API load through gunicorn, with the real PostgreSQL.

A private redis-server on a free port (never the shared one) holds the cache and the broker
of a gunicorn (2 workers x 2 threads) serving this test's PostgreSQL database. Clients with
tokens read lists and create organisations and activities (each activity asks for an indicator
recompute) while Redis is

a. stopped (SIGTERM) for a few seconds, then started again: no 5xx, every accepted create is
   stored once, the recomputes asked for meanwhile are left pending, and once Redis is back the
   beat's resend (sent through the broker) has a real worker run each of them;
b. hung (SIGSTOP: connections are accepted, nothing is answered), then continued: every request
   answers 2xx within its normal time plus the socket timeouts (tracker/outages.py).

The figures printed are those of docs/reliability.md ("Redis stopped or hung").
"""

import http.client
import os
import signal
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection

from benchmarks.load import Gunicorn, request, server_env
from missions.models import Activity
from partners.models import Organisation
from reports.choices import RunStatus
from reports.models import ComputationRun, IndicatorDefinition
from reports.services import recompute
from reports.services.published_figures import load_published_figures
from tests.api.conftest import make_account
from tests.factories import CountryFactory
from tests.trust.test_faults import PrivateRedis, _point_celery_at
from tests.waiting import wait_for
from tracker.api.authentication import issue_token
from tracker.celery import app

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

READS = ["/api/v1/activities/?page_size=20", "/api/v1/organisations/?page_size=20"]


@dataclass
class Server:
    """The private Redis and the gunicorn in front of this run's test database (one per module:
    booting gunicorn costs seconds)."""

    redis: PrivateRedis
    gunicorn: Gunicorn
    log: Path


@dataclass
class Site:
    server: Server
    tokens: list[str]
    log_start: int  # where this test's part of the server log begins

    @property
    def redis(self) -> PrivateRedis:
        return self.server.redis

    @property
    def port(self) -> int:
        return self.server.gunicorn.port

    def outage_warnings(self) -> int:
        return (
            self.server.log.read_bytes()[self.log_start :].decode(errors="replace").count("is unreachable (")
        )


@dataclass
class Answer:
    at: float
    seconds: float
    method: str
    status: int
    code: str = ""  # the create's organisation code or activity reference


@dataclass
class Load:
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def statuses(self, since: float = 0.0, until: float = float("inf")) -> Counter[int]:
        return Counter(a.status for a in self.answers if since <= a.at < until)


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    redis = PrivateRedis()
    redis.start()
    database = connection.settings_dict  # the test database's, once django_db_setup has made it
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    folder = tmp_path_factory.mktemp("redis-outage")
    env = {
        **server_env(url, str(folder)),
        "REDIS_URL": redis.url,
        "API_THROTTLE_RATE": "100000/minute",  # counted (in Redis, or per process), never reached
        "REDIS_RETRY_SECONDS": "1",  # ask Redis again soon, so the test sees the return too
    }
    log = folder / "gunicorn.log"
    with log.open("w") as stderr:
        gunicorn = Gunicorn(env, workers=2, threads=2, stderr=stderr)
    try:
        _warm_up(gunicorn.port)
        yield Server(redis, gunicorn, log)
    finally:
        gunicorn.stop()
        if redis.process is not None:
            os.kill(redis.process.pid, signal.SIGCONT)  # a stopped process cannot act on SIGTERM
        redis.stop()


@pytest.fixture
def site(server) -> Site:  # type: ignore[no-untyped-def]
    """The server, Redis answering, two write tokens and the country the activities name."""
    if server.redis.process is None:
        server.redis.start()
    CountryFactory.create(iso3="XHO", iso2="XO", m49="981")
    tokens = [issue_token(account=make_account(f"load-{n}", write=True))[1] for n in range(2)]
    connection.close()  # the server's processes see every row committed
    return Site(server, tokens, server.log.stat().st_size)


def _warm_up(port: int) -> None:
    """Wait until both worker processes answer (gunicorn listens before its workers have booted)."""

    def answers() -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            return request(conn, "GET", READS[0], {})[0] == 401  # booted, URLs and DRF loaded
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    wait_for(answers, timeout=120, what="gunicorn to answer")
    threads = [threading.Thread(target=answers) for _ in range(4)]  # the other process, every thread
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def _client(port: int, token: str, number: int, stop: threading.Event, load: Load, pause: float) -> None:
    """Alternate a read and a create (an organisation, or an activity, which asks for a recompute)."""
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    step = 0
    while not stop.is_set():
        step += 1
        key = uuid.uuid4().hex
        method, code = "GET", ""
        started = time.monotonic()
        try:
            if step % 2:
                status, _, _ = request(conn, "GET", READS[(step // 2) % 2], auth)
            elif step % 4 == 0:
                method, code = "POST organisation", f"RO-{key[:20]}"
                body: dict[str, Any] = {"code": code, "name_en": f"Outage test {key}", "kind": "regional"}
                status, _, _ = request(
                    conn, "POST", "/api/v1/organisations/", {**auth, "Idempotency-Key": key}, body
                )
            else:
                method, code = "POST activity", f"RA-{key[:20]}"
                body = {
                    "kind": "workshop",
                    "reference": code,
                    "title": f"Workshop during a Redis outage {key}",
                    "start_date": "2006-10-02",
                    "end_date": "2006-10-03",
                    "host_country": "XHO",
                    "countries": [{"country": "XHO", "role": "host"}],
                }
                status, _, _ = request(
                    conn, "POST", "/api/v1/activities/", {**auth, "Idempotency-Key": key}, body
                )
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        finished = time.monotonic()
        with load.lock:
            load.answers.append(Answer(started, finished - started, method, status, code))
        time.sleep(pause)
    conn.close()


def _run(
    site: Site, load: Load, *, clients: int, pause: float = 0.0
) -> tuple[threading.Event, list[threading.Thread]]:
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=_client, args=(site.port, site.tokens[n % 2], n, stop, load, pause), daemon=True
        )
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    return stop, threads


def _finish(stop: threading.Event, threads: list[threading.Thread]) -> None:
    stop.set()
    for thread in threads:
        thread.join(timeout=60)


def _stored_once(load: Load) -> list[str]:
    """The accepted creates not stored exactly once, and the refused ones stored anyway."""
    accepted = {a.code for a in load.answers if a.code and a.status == 201}
    refused = {a.code for a in load.answers if a.code and a.status != 201}
    stored = Counter(Organisation.objects.filter(code__startswith="RO-").values_list("code", flat=True))
    stored.update(
        str(reference)
        for reference in Activity.objects.filter(reference__startswith="RA-").values_list(
            "reference", flat=True
        )
    )
    return [f"{code}: {stored[code]}" for code in accepted if stored[code] != 1] + [
        f"{code} refused but stored" for code in refused if stored[code]
    ]


def test_redis_stopped_under_load_gives_no_5xx_and_every_recompute_runs_once_it_is_back(
    site, settings
) -> None:  # type: ignore[no-untyped-def]
    load_published_figures()
    IndicatorDefinition.objects.exclude(code="IND-COUNTRIES-DIRECT").update(is_active=False)  # one: quick
    load = Load()
    stop, threads = _run(site, load, clients=4)
    time.sleep(1.5)
    stopped_at = time.monotonic()
    site.redis.stop()
    time.sleep(2.5)
    site.redis.start()  # empty: what was queued before is gone with it (no persistence)
    back_at = time.monotonic()
    time.sleep(2.0)
    _finish(stop, threads)

    during = [a for a in load.answers if stopped_at <= a.at < back_at]
    writes_during = [a for a in during if a.method != "GET"]
    print(  # noqa: T201 -- the figures for docs/reliability.md
        f"Redis stopped {back_at - stopped_at:.1f}s under 4 clients: {len(load.answers)} requests "
        f"{dict(sorted(load.statuses().items()))}, during the outage "
        f"{dict(sorted(load.statuses(stopped_at, back_at).items()))} "
        f"(slowest {max((a.seconds for a in during), default=0):.2f}s, "
        f"p50 {statistics.median(a.seconds for a in during) if during else 0:.2f}s); "
        f"outage warnings logged: {site.outage_warnings()}"
    )
    assert set(load.statuses()) <= {200, 201}, [(a.method, a.status) for a in load.answers if a.status > 201]
    assert len(during) >= 4, "too few requests during the outage to tell"
    assert writes_during, "no write during the outage"
    assert not _stored_once(load)
    assert site.outage_warnings() <= 2  # one per gunicorn worker process: the outage is under a minute
    activities_during = [a for a in writes_during if a.method == "POST activity"]
    assert activities_during, "no recompute was asked for during the outage"

    # Their recomputes wait, recorded; the beat's resend (through the broker that is back) and
    # a real worker run every run left pending, each once.
    waiting = set(ComputationRun.objects.filter(status=RunStatus.PENDING).values_list("pk", flat=True))
    assert waiting
    settings.INDICATORS_RESEND_PENDING_AFTER = 0  # the worker below runs in this process
    previous = app.conf.broker_url
    _point_celery_at(site.redis.url)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            app.send_task("reports.tasks.resend_pending_runs_task")
            wait_for(
                lambda: not ComputationRun.objects.exclude(status=RunStatus.DONE).exists(),
                timeout=120,
                what="every computation run to be done",
            )
    finally:
        _point_celery_at(previous)
    connection.close()
    runs = list(
        ComputationRun.objects.order_by("pk").values_list("pk", "status", "attempts", "values_written")
    )
    print(f"computation runs after Redis came back (id, status, attempts, values): {runs}")  # noqa: T201
    assert waiting <= {pk for pk, *_ in runs}
    assert [(status, attempts) for _, status, attempts, _ in runs] == [(RunStatus.DONE, 1)] * len(runs)
    # The runs left the figures current: one more refresh, run here, has nothing to write. (A
    # run may itself write nothing: the one before it, run after the outage too, saw the same data.)
    assert sum(written for *_, written in runs) > 0
    check = recompute.standard_run(reason="check after the outage")
    assert recompute.execute_run(run_id=check.pk) == "done"
    check.refresh_from_db()
    assert (check.values_written, check.values_changed) == (0, 0)


def test_a_hung_redis_costs_a_request_at_most_its_socket_timeouts(site) -> None:  # type: ignore[no-untyped-def]
    # The bound a request may take beyond its normal time while Redis hangs: one cache timeout
    # (the throttle's read; then the process leaves Redis alone) and, at worst, a publish's two
    # broker timeouts and its retry interval.
    extra = settings.REDIS_CACHE_SOCKET_TIMEOUT + 2 * settings.REDIS_BROKER_SOCKET_TIMEOUT + 0.1
    warm = Load()
    stop, threads = _run(site, warm, clients=2)
    time.sleep(1.5)
    _finish(stop, threads)
    normal = max(a.seconds for a in warm.answers)

    load = Load()
    assert site.redis.process is not None
    os.kill(site.redis.process.pid, signal.SIGSTOP)
    hung_at = time.monotonic()
    stop, threads = _run(site, load, clients=2, pause=0.1)
    time.sleep(3.0)
    continued_at = time.monotonic()
    os.kill(site.redis.process.pid, signal.SIGCONT)
    time.sleep(1.0)
    _finish(stop, threads)

    hung = [a for a in load.answers if hung_at <= a.at < continued_at]
    slowest = max(a.seconds for a in hung)
    bound = 2 * normal + extra + 1.0  # generous: the machine's two cores are shared
    print(  # noqa: T201 -- the figures for docs/reliability.md
        f"Redis hung {continued_at - hung_at:.1f}s: {len(hung)} requests "
        f"{dict(sorted(load.statuses(hung_at, continued_at).items()))}, slowest {slowest:.2f}s, "
        f"p50 {statistics.median(a.seconds for a in hung):.2f}s (normal at most {normal:.2f}s; "
        f"socket timeouts {extra:.1f}s; bound {bound:.1f}s); "
        f"after SIGCONT {dict(sorted(load.statuses(continued_at).items()))}; "
        f"outage warnings logged: {site.outage_warnings()}"
    )
    assert set(load.statuses()) <= {200, 201}, [(a.method, a.status) for a in load.answers if a.status > 201]
    assert len(hung) >= 4, "too few requests while Redis hung"
    assert any(a.method != "GET" for a in hung), "no write while Redis hung"
    assert slowest <= bound, sorted(((a.seconds, a.method) for a in hung), reverse=True)[:5]
    assert not _stored_once(load)
