"""Benchmark (not a test): the REST API under gunicorn on loopback, against two baselines.

Builds a throwaway SQLite database in a temporary folder (migrations load the reference data;
benchmarks/synthetic.py adds activities at --scale), issues an API token, starts gunicorn on
127.0.0.1 at a free port with this module as its URL configuration, then for each target
runs N client processes (keep-alive connections) for a fixed time and prints requests per
second and p50/p95/p99 latency:

- trivial JSON view (the lower bound: Django + gunicorn + loopback, no database);
- plain DRF ModelSerializer list of activities, 100 per page (fields "__all__", no
  select_related/prefetch_related: the everyday baseline);
- the API's activity list, 100 per page, first page and a deep page (cursor);
- one activity.

It does so twice: with the list cache on (the default; tracker/api/list_cache.py, so after the
first request a page comes from the cache until the data changes) and with it off
(API_LIST_CACHE_SECONDS=0, every page built from the database), and prints the ratios of both.

Only loopback traffic; bounded in time (about --seconds + 1 per target, twice, plus set-up).

    .venv/bin/python -m benchmarks.api --clients 4 --seconds 5 --scale 0.02
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.load import free_port, issue_tokens, migrate, wait_for_port

ROOT = Path(__file__).resolve().parents[1]


# --- When gunicorn imports this module: the project's URLs plus the two baselines ---------
def _server_module() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.http import JsonResponse
    from django.urls import path
    from rest_framework import generics, pagination, serializers

    from missions.models import Activity
    from tracker import urls as tracker_urls

    class PlainActivitySerializer(serializers.ModelSerializer):
        class Meta:
            model = Activity
            fields = "__all__"

    class PlainPagination(pagination.PageNumberPagination):
        page_size = 100

    class PlainActivityList(generics.ListAPIView):
        queryset = Activity.objects.order_by("pk")
        serializer_class = PlainActivitySerializer
        pagination_class = PlainPagination
        filter_backends: list[Any] = []

    def trivial(request: Any) -> JsonResponse:
        return JsonResponse({"ok": True})

    globals()["urlpatterns"] = [
        path("bench/trivial/", trivial),
        path("bench/plain-activities/", PlainActivityList.as_view()),
        *tracker_urls.urlpatterns,
    ]
    settings.ROOT_URLCONF = __name__
    from django.core.wsgi import get_wsgi_application

    globals()["application"] = get_wsgi_application()


if __name__ != "__main__" and os.environ.get("TRACKER_BENCH_SERVER") == "1":
    _server_module()


# --- The driver ---------------------------------------------------------------------------
def client(args: tuple[int, str, dict[str, str], float]) -> tuple[list[float], int]:
    """One client: requests over one keep-alive connection until the deadline."""
    port, path, headers, seconds = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        latencies.append(time.perf_counter() - started)
    conn.close()
    return latencies, errors


def run(
    port: int,
    label: str,
    path: str,
    headers: dict[str, str],
    clients: int,
    seconds: float,
    *,
    quiet: bool = False,
) -> dict[str, float]:
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(client, [(port, path, headers, seconds)] * clients)
    latencies = sorted(lat for lats, _ in results for lat in lats)
    errors = sum(err for _, err in results)
    if not latencies:
        print(f"{label:<34} no successful requests ({errors} errors)")
        return {"rps": 0.0}
    q = statistics.quantiles(latencies, n=100)
    if quiet:
        return {"rps": len(latencies) / seconds}
    row = {"rps": len(latencies) / seconds, "p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000}
    print(
        f"{label:<34} {row['rps']:8.1f} req/s  p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms  "
        f"p99 {row['p99']:7.1f} ms  errors {errors}"
    )
    return row


def prepare(env: dict[str, str], scale: float) -> str:
    """Migrate the throwaway database, add synthetic data and return a fresh API token."""
    migrate(env)
    code = f"""
import sys
sys.path.insert(0, "benchmarks")
from synthetic import generate
print(generate(scale={scale}, seed=0))
"""
    done = subprocess.run(  # noqa: S603 -- our own interpreter and code
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(done.stdout.strip().splitlines()[-1] + "\n")
    return issue_tokens(env, 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale", type=float, default=0.02, help="synthetic data (1.0 = 100,000 activities)")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-api-") as var:
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
            "TRACKER_VAR_DIR": var,
            "DJANGO_SETTINGS_MODULE": "tracker.settings",
            "DEBUG": "false",
            "SECRET_KEY": "benchmark-only-" + "x" * 40,
            "SECURE_SSL_REDIRECT": "false",
            "API_THROTTLE_RATE": "100000000/second",
            "LOG_LEVEL": "WARNING",
        }
        started = time.monotonic()
        secret = prepare(env, options.scale)
        print(f"set-up {time.monotonic() - started:.0f} s; scale {options.scale}")
        print(
            f"{options.clients} clients, {options.workers} gunicorn workers, "
            f"{options.seconds:.0f} s per target"
        )
        auth = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}
        print("\n-- list cache on (the default: pages served again until the data changes)")
        cached = measure({**env}, options, auth, plain=True)
        print("\n-- list cache off (API_LIST_CACHE_SECONDS=0: every page built from the database)")
        built = measure({**env, "API_LIST_CACHE_SECONDS": "0"}, options, auth, plain=False)
        print("\n-- summary (x = times the cost of the trivial view in the same server)")
        for label, rows in (("cache on ", cached), ("cache off", built)):
            base = rows["trivial"]["rps"] or 1.0
            parts = []
            for name in ("plain", "list", "deep", "one"):
                if name in rows and rows[name]["rps"]:
                    parts.append(f"{name} {base / rows[name]['rps']:5.1f}x")
            deep = rows["list"]["rps"] / rows["deep"]["rps"] if rows["deep"]["rps"] else float("inf")
            print(f"{label}: " + "  ".join(parts) + f"  deep page / first page time {deep:.2f}")


def measure(
    env: dict[str, str], options: argparse.Namespace, auth: dict[str, str], *, plain: bool
) -> dict[str, Any]:
    """Start gunicorn with ``env``, run every target against it, stop it; the figures per target."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 -- our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(options.workers),
            "--pythonpath",
            f"{ROOT / 'benchmarks'},{ROOT}",
            "--log-level",
            "warning",
            "api:application",
        ],
        cwd=ROOT,
        env={**env, "TRACKER_BENCH_SERVER": "1"},
    )
    try:
        wait_for_port(port, timeout=60)
        first = _get(port, "/api/v1/activities/?page_size=100", auth)
        url: str | None = first["next"]
        deep = url
        for _ in range(9):  # the 10th page
            deep = url
            url = _get(port, _path(url), auth)["next"] if url else None
        one = first["results"][0]["id"]
        targets: list[tuple[str, str, str, dict[str, str]]] = [
            ("trivial", "trivial JSON view", "/bench/trivial/", {})
        ]
        if plain:
            targets.append(("plain", "plain ModelSerializer list (100)", "/bench/plain-activities/", auth))
        targets += [
            ("list", "API activity list (100)", "/api/v1/activities/?page_size=100", auth),
            ("deep", "API activity list, page 10", _path(deep), auth),
            ("one", "API one activity", f"/api/v1/activities/{one}/", auth),
        ]
        for _, _, path, headers in targets:  # warm up every worker on every path, unmeasured
            run(port, "", path, headers, options.clients, 1.0, quiet=True)
        return {
            name: run(port, label, path, headers, options.clients, options.seconds)
            for name, label, path, headers in targets
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def _path(url: str | None) -> str:
    if not url:
        raise SystemExit("not enough pages: raise --scale")
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _get(port: int, path: str, headers: dict[str, str]) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status} {body[:300]!r}")
    return json.loads(body)


if __name__ == "__main__":
    main()
