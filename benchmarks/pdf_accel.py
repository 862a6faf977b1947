"""Benchmark (not a test): PDF rendering time with and without ReportLab's C accelerator (rl-accel).

ReportLab uses the accelerator (the ``_rl_accel`` module of the rl-accel package) when it can
import it and falls back to Python otherwise. This runs the same measurement in two child
processes, one as installed and one with ``_rl_accel`` made unimportable, and prints both.
Each child builds a throwaway test database (SQLite in memory), loads the 2006 report and
synthetic data at --scale (benchmarks/synthetic.py), assembles the yearly report's content
once, renders the PDF once to load the fonts, then --repeat times; --rounds such pairs of
processes run alternately, and the median of all renders of each variant is printed. Times are
the process's CPU time (time.process_time), which other jobs on the machine change far less
than wall time.

    .venv/bin/python benchmarks/pdf_accel.py --scale 0.2 --repeat 5 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import sys
if {blocked!r}:
    sys.modules["_rl_accel"] = None  # import fails: ReportLab takes its Python fallbacks
sys.path.insert(0, {root!r})
import datetime, json, os, statistics, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
import django
django.setup()
from django.core.management import call_command
from django.test.utils import setup_databases, teardown_databases
from reportlab.lib import rl_accel
from benchmarks.synthetic import generate
from reports.models import Report
from reports.services.reporting import RENDERERS, indicator_snapshots
from reports.services.reporting.content import assemble

old = setup_databases(verbosity=0, interactive=False)
try:
    call_command("load_report_2006", stdout=open(os.devnull, "w"))
    generate(scale={scale!r}, seed=0)
    report = Report.objects.create(
        title="Benchmark 2006", period_start=datetime.date(2006, 1, 1),
        period_end=datetime.date(2006, 12, 31), formats=["pdf"],
    )
    content = assemble(report, snapshots=indicator_snapshots(report))
    render = RENDERERS["pdf"]
    size = len(render(content))  # loads and registers the fonts once per process
    times = []
    for _ in range({repeat!r}):
        started = time.process_time()  # CPU time: the shared machine's load changes wall time
        render(content)
        times.append(time.process_time() - started)
    print(json.dumps({{"accelerated": sorted(rl_accel._c_funcs), "median": statistics.median(times),
                      "times": times, "kib": size / 1024}}))
finally:
    teardown_databases(old, verbosity=0)
"""


def run(*, blocked: bool, scale: float, repeat: int) -> dict[str, Any]:
    code = CHILD.format(blocked=blocked, root=str(ROOT), scale=scale, repeat=repeat)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run(  # noqa: S603 -- our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(done.stdout + done.stderr)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2, help="child processes per variant, alternated")
    options = parser.parse_args()
    # Alternated (with, without, with, ...) so that a change in the machine's load falls on both.
    runs: dict[str, list[dict[str, Any]]] = {"with rl-accel": [], "without": []}
    for _ in range(options.rounds):
        for label, blocked in (("with rl-accel", False), ("without", True)):
            runs[label].append(run(blocked=blocked, scale=options.scale, repeat=options.repeat))
    if not runs["with rl-accel"][0]["accelerated"]:
        print("rl-accel is not installed here: both runs use ReportLab's Python fallbacks")
    medians = {}
    for label, results in runs.items():
        times = sorted(t for result in results for t in result["times"])
        medians[label] = statistics.median(times)
        print(
            f"{label:<14} median {medians[label] * 1000:6.0f} ms CPU of {len(times)} renders"
            f" (fastest {times[0] * 1000:.0f} ms, slowest {times[-1] * 1000:.0f} ms;"
            f" {results[0]['kib']:,.0f} KiB PDF; C functions in use: {len(results[0]['accelerated'])})"
        )
    saved = 1 - medians["with rl-accel"] / medians["without"]
    print(f"the accelerator saves {saved:.0%} of the PDF rendering time at scale {options.scale}")


if __name__ == "__main__":
    main()
