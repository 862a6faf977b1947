"""Benchmark (not a test): time and peak memory to generate the yearly report, per format.

Builds a throwaway test database (SQLite in memory by default; PostgreSQL with DATABASE_URL,
in TEST_DATABASE_NAME or test_<name>, dropped at the end), loads the 2006 report and, when
benchmarks/synthetic.py is there, synthetic data at --scale on top; then assembles the
yearly report's content once and renders each format, printing wall time, the peak of
Python allocations (tracemalloc, in a second run: tracing slows the code down) and the SQL
query count. The first render of each kind also pays for loading fonts once per process.

    .venv/bin/python benchmarks/reports.py --scale 1
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres TEST_DATABASE_NAME=bench_reports \
        .venv/bin/python benchmarks/reports.py --scale 1
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

import django  # noqa: E402 -- settings must be chosen first

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402

from reports.models import Report  # noqa: E402
from reports.services.reporting import RENDERERS, indicator_snapshots  # noqa: E402
from reports.services.reporting.content import assemble  # noqa: E402


def measure(label: str, work: Callable[[], Any]) -> Any:
    """Time one run (no tracing), then trace a second run for its peak Python allocations."""
    gc.collect()
    connection.queries_log.clear()  # the log keeps 9,000 queries: a long load fills it
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        result = work()
        elapsed = time.perf_counter() - started
    gc.collect()
    tracemalloc.start()
    work()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = f", {len(result) / 1024:,.0f} KiB" if isinstance(result, bytes) else ""
    print(
        f"{label:<22} {elapsed * 1000:7.0f} ms  peak {peak / 2**20:6.1f} MiB"
        f"  {len(captured):4d} queries{size}"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--year", type=int, default=2006)
    args = parser.parse_args()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
        call_command("load_report_2006", stdout=open(os.devnull, "w"))  # noqa: SIM115 -- closed at exit
        try:
            from benchmarks.synthetic import generate
        except ImportError:
            print("benchmarks/synthetic.py not found: the 2006 report's data only")
        else:
            started = time.perf_counter()
            summary = generate(scale=args.scale, seed=args.seed)
            print(f"synthetic data at scale {args.scale} in {time.perf_counter() - started:.1f} s: {summary}")
        report = Report.objects.create(
            title=f"Benchmark {args.year}",
            period_start=datetime.date(args.year, 1, 1),
            period_end=datetime.date(args.year, 12, 31),
            formats=list(RENDERERS),
        )
        snapshots = measure("indicator snapshots", lambda: indicator_snapshots(report))
        content = measure("content (all sections)", lambda: assemble(report, snapshots=snapshots))
        rows = sum(len(t.rows) for s in content.sections for t in s.tables)
        print(f"{'':<22} {len(content.sections)} sections, {rows} table rows")
        for fmt, render in RENDERERS.items():
            measure(f"render {fmt}", lambda render=render: render(content))  # type: ignore[misc]
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"process peak resident memory: {maxrss:,.0f} MiB")
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
