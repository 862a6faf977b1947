"""Redis away, without a Redis: the memory of an outage, and the cache that falls back to the process.

The "Redis" here is a loopback port nobody listens on (stopped: refused at once) or a socket
that accepts connections and never answers (hung). Times are passed (``now=``) or frozen.
"""

import logging
import socket
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from freezegun import freeze_time

from tests.tracker.test_security import _manage
from tracker import outages
from tracker.outages import Outage, outage_of, server_of
from tracker.redis_cache import FallbackRedisCache

WARNING = (logging.WARNING, "tracker.outages")


@pytest.fixture(autouse=True)
def _no_outage_remembered(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each test starts with a process that has seen no outage (a port may be reused)."""
    monkeypatch.setattr(outages, "_outages", {})


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if (r.levelno, r.name) == WARNING]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def hung_redis() -> Iterator[socket.socket]:
    """A listening socket that never reads: connections are accepted by the kernel, never answered."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        server.setblocking(False)
        yield server


def accepted(server: socket.socket) -> int:
    """How many connections reached ``server`` since the last call (each is then dropped)."""
    count = 0
    while True:
        try:
            conn, _ = server.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def fallback_cache(settings, url: str, timeout: float = 0.2) -> FallbackRedisCache:  # type: ignore[no-untyped-def]
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "tracker.redis_cache.FallbackRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
            "KEY_PREFIX": "t",
        },
    }
    cache = caches["default"]
    assert isinstance(cache, FallbackRedisCache)
    return cache


# --- The memory of an outage ----------------------------------------------------------------
def test_the_warning_comes_at_most_once_a_minute_while_the_outage_lasts(caplog) -> None:  # type: ignore[no-untyped-def]
    outage = Outage("127.0.0.1:6399")
    error = ConnectionError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")
    with caplog.at_level(logging.INFO, logger="tracker.outages"):
        for now in (1000.0, 1005.0, 1030.0, 1059.9):
            outage.failed(error, now=now, retry_after=5)
        assert len(warnings_of(caplog)) == 1
        outage.failed(error, now=1060.0, retry_after=5)
        outage.failed(error, now=1090.0, retry_after=5)
    assert warnings_of(caplog) == [
        "Redis at 127.0.0.1:6399 is unreachable (ConnectionError: Error 111 connecting to 127.0.0.1:6399. "
        "Connection refused.) for 0 s: each process now throttles and caches on its own and leaves "
        "tasks pending for their sweep; asking again every 5 s (this warning repeats at most once a minute)",
        "Redis at 127.0.0.1:6399 is unreachable (ConnectionError: Error 111 connecting to 127.0.0.1:6399. "
        "Connection refused.) for 60 s: each process now throttles and caches on its own and leaves "
        "tasks pending for their sweep; asking again every 5 s (this warning repeats at most once a minute)",
    ]


def test_the_end_of_an_outage_is_told_once_and_a_new_one_within_the_minute_stays_quiet(caplog) -> None:  # type: ignore[no-untyped-def]
    outage = Outage("127.0.0.1:6399")
    with caplog.at_level(logging.INFO, logger="tracker.outages"):
        outage.failed(TimeoutError("Timeout reading from socket"), now=0.0, retry_after=5)
        assert (outage.answered(now=12.0), outage.answered(now=13.0)) == (True, False)
        outage.failed(TimeoutError("Timeout reading from socket"), now=20.0, retry_after=5)
        outage.failed(TimeoutError("Timeout reading from socket"), now=61.0, retry_after=5)
    assert [(r.levelname, r.getMessage()[:40]) for r in caplog.records] == [
        ("WARNING", "Redis at 127.0.0.1:6399 is unreachable ("),
        ("INFO", "Redis at 127.0.0.1:6399 answers again af"),
        ("WARNING", "Redis at 127.0.0.1:6399 is unreachable ("),
    ]
    assert "for 41 s" in caplog.records[-1].getMessage()  # the second outage began at 20


def test_after_a_failure_the_server_is_left_alone_for_the_retry_window() -> None:
    outage = Outage("127.0.0.1:6399")
    assert outage.available(now=100.0)
    outage.failed(OSError("reset"), now=100.0, retry_after=5)
    assert [outage.available(now=t) for t in (100.0, 104.9, 105.0)] == [False, False, True]


def test_one_memory_per_server_whatever_the_database_number() -> None:
    assert server_of("redis://127.0.0.1:6379/4") == server_of("redis://127.0.0.1:6379/5") == "127.0.0.1:6379"
    assert server_of("redis://:secret@cache.internal/0") == "cache.internal:6379"
    assert server_of("unix:///run/redis.sock") == "unix:///run/redis.sock"
    assert outage_of("redis://127.0.0.1:6398/1") is outage_of("redis://127.0.0.1:6398/2")


# --- The cache ------------------------------------------------------------------------------
def test_a_stopped_redis_leaves_the_cache_working_in_this_process(settings, caplog) -> None:  # type: ignore[no-untyped-def]
    cache = fallback_cache(settings, f"redis://127.0.0.1:{closed_port()}/0")
    with caplog.at_level(logging.WARNING, logger="tracker.outages"):
        assert cache.get("count") is None
        cache.set("count", 1)
        assert cache.incr("count") == 2
        assert cache.add("count", 5) is False
        assert cache.get_many(["count", "other"]) == {"count": 2}
        assert cache.delete("count") is True
        assert cache.get("count") is None
    assert len(warnings_of(caplog)) == 1
    # Another thread's instance (Django makes one per thread) shares the process's store.
    cache.set("shared", "yes")
    other = FallbackRedisCache(cache.url, {"KEY_PREFIX": "t"})
    assert other.get("shared") == "yes"


def test_a_hung_redis_costs_one_timeout_then_is_left_alone_until_the_window_ends(
    settings, hung_redis
) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_RETRY_SECONDS = 5
    port = hung_redis.getsockname()[1]
    with freeze_time("2026-12-01 12:00:00") as clock:
        cache = fallback_cache(settings, f"redis://127.0.0.1:{port}/0", timeout=0.1)
        assert cache.get("k", "fallback") == "fallback"  # timed out after 0.1 s
        assert accepted(hung_redis) == 1
        for _ in range(20):  # every call of the next 5 s: served at once, Redis not asked
            cache.set("k", "kept here")
            assert cache.get("k") == "kept here"
        assert accepted(hung_redis) == 0
        clock.tick(5)
        assert cache.get("k") == "kept here"  # asked again (and timed out again)
        assert accepted(hung_redis) == 1


def test_the_cache_warns_once_a_minute_however_many_calls_fail(settings, caplog) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_RETRY_SECONDS = 5
    with freeze_time("2026-12-01 12:00:00") as clock, caplog.at_level(logging.WARNING, "tracker.outages"):
        cache = fallback_cache(settings, f"redis://127.0.0.1:{closed_port()}/0")
        for _ in range(11):  # 55 s of calls, Redis asked (and refusing) every 5 s
            cache.get("k")
            clock.tick(5)
        assert len(warnings_of(caplog)) == 1
        clock.tick(5)
        cache.get("k")
        assert len(warnings_of(caplog)) == 2


# --- Publishing -------------------------------------------------------------------------
def test_a_publish_to_a_hung_broker_gives_up_and_the_next_ones_do_not_wait(hung_redis, caplog) -> None:  # type: ignore[no-untyped-def]
    from tests.trust.test_faults import _point_celery_at
    from tracker import publishing
    from tracker.celery import app

    previous = (app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.broker_transport_options = {"socket_timeout": 0.1, "socket_connect_timeout": 0.1}
    _point_celery_at(f"redis://127.0.0.1:{hung_redis.getsockname()[1]}/0")
    try:
        with caplog.at_level(logging.INFO, logger="tracker"):
            assert publishing.send("reports.tasks.deliver_report_task", args=[7]) is False
            tried = accepted(hung_redis)
            assert publishing.send("reports.tasks.deliver_report_task", args=[8]) is False
            assert accepted(hung_redis) == 0  # known away: not asked again within the window
    finally:
        app.conf.broker_transport_options = previous[1]
        _point_celery_at(previous[0])
    assert tried >= 1
    assert len(warnings_of(caplog)) == 1
    assert [r.getMessage() for r in caplog.records if r.name == "tracker.publishing"] == [
        "task reports.tasks.deliver_report_task {'args': [7]} not sent (the broker is away): "
        "left pending for its sweep",
        "task reports.tasks.deliver_report_task {'args': [8]} not sent (the broker is away): "
        "left pending for its sweep",
    ]


# --- Settings -------------------------------------------------------------------------------
def test_the_timeouts_are_settings_with_small_defaults(settings) -> None:  # type: ignore[no-untyped-def]
    # The defaults (unless this run's environment sets them), read in this process.
    assert (settings.REDIS_CACHE_SOCKET_TIMEOUT, settings.REDIS_BROKER_SOCKET_TIMEOUT) == (0.5, 1.0)
    assert settings.REDIS_RETRY_SECONDS == 5.0
    assert settings.CELERY_TASK_PUBLISH_RETRY_POLICY["max_retries"] == 1
    # Chosen values reach the cache's and the broker's options.
    code = (
        "from django.conf import settings as s; from tracker.celery import app; "
        "o = app.conf.broker_transport_options; "
        "print(s.CACHES['default']['BACKEND'], s.CACHES['default']['OPTIONS'], s.REDIS_RETRY_SECONDS, "
        "o['socket_timeout'], o['socket_connect_timeout'], o['retry_on_timeout'])"
    )
    chosen = _manage(
        "shell",
        "-c",
        code,
        REDIS_URL="redis://127.0.0.1:6379/0",
        REDIS_CACHE_SOCKET_TIMEOUT="0.25",
        REDIS_BROKER_SOCKET_TIMEOUT="2",
        REDIS_RETRY_SECONDS="10",
    )
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip().splitlines()[-1] == (
        "tracker.redis_cache.FallbackRedisCache {'socket_connect_timeout': 0.25, 'socket_timeout': 0.25} "
        "10.0 2.0 2.0 False"
    )
    refused = _manage("check", REDIS_CACHE_SOCKET_TIMEOUT="0")
    assert refused.returncode != 0
    assert "REDIS_CACHE_SOCKET_TIMEOUT must be more than 0 and at most 60 seconds, not 0.0" in refused.stderr
