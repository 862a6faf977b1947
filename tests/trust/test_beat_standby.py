"""Two ``celery beat`` processes (the Procfile's command) on a private PostgreSQL and a private
Redis: one dispatches, the other stands by and takes over when the first is SIGKILLed; the
beat left survives a PostgreSQL outage (sending nothing meanwhile) and a Redis outage, and
dispatches again after each. Only tracker's migrations are applied (the lease's table and its
dependencies): the beats only publish, no worker runs. The schedule is
benchmarks/scale_settings.py's (every interval entry every 2 s), ``BEAT_LEASE_SECONDS=4``."""

import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.load import ROOT, PrivatePostgres
from benchmarks.scale_out import BEAT, BEAT_EVERY, PrivateRedis, Process, dispatches, stack_env
from tests.trust.private_servers import NEEDS_PRIVATE_CLUSTER

pytestmark = NEEDS_PRIVATE_CLUSTER

OUTAGE = 6.0


@pytest.fixture
def services(tmp_path: Path) -> Iterator[tuple[PrivatePostgres, PrivateRedis, dict[str, str]]]:
    postgres, redis = PrivatePostgres(), PrivateRedis()
    try:
        postgres.create()
        redis.start()
        env = stack_env(postgres.url, redis.url, tmp_path)
        subprocess.run(  # noqa: S603 -- our own interpreter and code
            [sys.executable, "manage.py", "migrate", "tracker", "--noinput"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        yield postgres, redis, env
    finally:
        redis.stop()
        postgres.destroy()


def wait_until(condition, *, timeout: float, what: str) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.2)
    return time.monotonic() - started


def sent_twice(beats: list[Process]) -> int:
    by_entry: dict[str, list[float]] = defaultdict(list)
    for beat in beats:
        for at, entry in dispatches(beat):
            by_entry[entry].append(at)
    return sum(
        1
        for times in by_entry.values()
        for a, b in zip(sorted(times), sorted(times)[1:], strict=False)
        if b - a < BEAT_EVERY / 2
    )


def test_one_beat_dispatches_the_other_takes_over_and_outages_are_waited_out(
    services: tuple[PrivatePostgres, PrivateRedis, dict[str, str]], tmp_path: Path
) -> None:
    postgres, redis, env = services
    first = Process("beat 1", BEAT, env, tmp_path / "beat-1.log")
    second: Process | None = None
    try:
        wait_until(lambda: dispatches(first), timeout=60, what=f"beat 1 dispatching: {first.log}")
        second = Process("beat 2", BEAT, env, tmp_path / "beat-2.log")
        standby = second
        wait_until(lambda: "beat: Starting" in standby.text(), timeout=60, what="beat 2 starting")
        time.sleep(2 * BEAT_EVERY + 1)  # both run: a beat that does not stand by sends by now
        assert dispatches(second) == [], "beat 2 dispatched while beat 1 held the lease"

        first.kill()
        takeover = wait_until(lambda: dispatches(second), timeout=30, what="beat 2 taking over")

        postgres.stop()
        stopped = time.time()
        time.sleep(OUTAGE)
        postgres.start()
        restarted = time.time()
        wait_until(
            lambda: dispatches(second)[-1][0] > restarted, timeout=30, what="dispatch after PostgreSQL"
        )
        during_db = [at for at, _ in dispatches(second) if stopped + 1 < at < restarted]

        redis.stop()
        time.sleep(OUTAGE)
        redis.start()
        back = time.time()
        wait_until(lambda: dispatches(second)[-1][0] > back + 1, timeout=30, what="dispatch after Redis")

        assert second.popen.poll() is None, "beat 2 exited"
        assert during_db == [], "beat 2 sent while it could not prove it held the lease"
        # Noticed: with the psycopg pool (DB_POOL_MAX) a tick may instead wait for a connection
        # through the outage (up to DB_POOL_TIMEOUT), the pool logging each failed connect.
        assert "cannot reach the database" in second.text() or "error connecting in 'pool" in second.text()
        assert sent_twice([first, second]) == 0
        print(  # noqa: T201 -- the figures for docs/reliability.md
            f"beat 1 sent {len(dispatches(first))}, beat 2 {len(dispatches(second))}; beat 2 took over "
            f"{takeover:.1f} s after beat 1 was killed (BEAT_LEASE_SECONDS=4); sent during the "
            f"{OUTAGE:.0f} s PostgreSQL outage: {len(during_db)}; entries sent twice: 0"
        )
    finally:
        first.stop()
        if second is not None:
            second.stop()
