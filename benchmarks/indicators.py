"""Benchmark (not a test): every indicator for 20 reference dates and 20 yearly periods.

Builds a throwaway test database (SQLite in memory by default; PostgreSQL with DATABASE_URL,
in TEST_DATABASE_NAME or test_<name>, dropped at the end), loads the indicator definitions,
adds synthetic data (benchmarks/synthetic.py) at --scale, and prints per indicator: the time
and number of queries to compute it for its 20 dates or periods, the time the same SQL takes
when sent bare through a cursor (the ratio shows the ORM and Python overhead), and the peak of
Python allocations (tracemalloc). Then it adds as much data again (the data doubles) and
prints the same, with the growth of time and memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres TEST_DATABASE_NAME=bench_tracker \
        .venv/bin/python benchmarks/indicators.py --scale 1
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

import django  # noqa: E402 -- settings must be chosen first

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402

from benchmarks.synthetic import FIRST_YEAR, YEARS, generate  # noqa: E402
from reports.indicators import FORMULAS, compute  # noqa: E402
from reports.models import IndicatorDefinition  # noqa: E402
from reports.services.published_figures import load_published_figures  # noqa: E402

REFERENCE_DATES = [datetime.date(FIRST_YEAR + i + 1, 1, 1) for i in range(YEARS)]
PERIODS = [(datetime.date(FIRST_YEAR + i, 1, 1), datetime.date(FIRST_YEAR + i, 12, 31)) for i in range(YEARS)]


def _run(definition: IndicatorDefinition) -> None:
    if FORMULAS[definition.code].takes_reference_date:
        for as_of in REFERENCE_DATES:
            compute(definition, as_of=as_of)
    else:
        for period in PERIODS:
            compute(definition, period=period)


def measure_all() -> dict[str, tuple[float, float, int, float]]:
    """code -> (seconds, bare SQL seconds, queries, peak MiB)."""
    results = {}
    for definition in IndicatorDefinition.objects.order_by("display_order"):
        _run(definition)  # warm the caches, as a nightly run would find them
        gc.collect()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            _run(definition)
            elapsed = time.perf_counter() - started
        # Memory in a separate pass: tracemalloc slows every allocation down.
        tracemalloc.start()
        _run(definition)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        statements = [q["sql"] for q in captured.captured_queries]
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
        bare = time.perf_counter() - started
        results[definition.code] = (elapsed, bare, len(statements), peak / 2**20)
    return results


def print_table(results: dict[str, tuple[float, float, int, float]], before: dict | None = None) -> None:
    header = (
        f"{'indicator':<26} {'time ms':>9} {'bare SQL ms':>11} {'ratio':>6} {'queries':>7} {'peak MiB':>8}"
    )
    if before:
        header += f" {'time x':>7} {'mem x':>6}"
    print(header)
    for code, (elapsed, bare, queries, peak) in results.items():
        line = f"{code:<26} {elapsed * 1000:9.0f} {bare * 1000:11.0f} {elapsed / bare:6.2f}"
        line += f" {queries:7d} {peak:8.2f}"
        if before:
            old = before[code]
            line += f" {elapsed / old[0]:7.2f} {peak / old[3]:6.2f}"
        print(line)
    total = sum(r[0] for r in results.values())
    bare_total = sum(r[1] for r in results.values())
    line = f"{'all (20 dates or periods)':<26} {total * 1000:9.0f} {bare_total * 1000:11.0f}"
    line += f" {total / bare_total:6.2f}"
    line += f" {sum(r[2] for r in results.values()):7d} {max(r[3] for r in results.values()):8.2f}"
    if before:
        line += f" {total / sum(r[0] for r in before.values()):7.2f}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings.DEBUG = False
    settings.INDICATORS_RECOMPUTE_ON_COMMIT = False  # bulk data: no recompute tasks to any broker
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
        load_published_figures()
        started = time.perf_counter()
        print(f"synthetic data, scale {args.scale}: {generate(scale=args.scale, seed=args.seed)}")
        print(f"  generated in {time.perf_counter() - started:.0f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        first = measure_all()
        print_table(first)
        started = time.perf_counter()
        print(f"\ndata doubled: {generate(scale=args.scale, seed=args.seed + 1)}")
        print(f"  generated in {time.perf_counter() - started:.0f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        second = measure_all()
        print_table(second, before=first)
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"process peak resident memory: {maxrss:,.0f} MiB")
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
