"""Benchmark (not a test): peak memory of export_data and import_data at two database sizes.

For each size (100,000 and 200,000 activities by default, with benchmarks/synthetic.py's
five country rows per activity), it builds a private SQLite database in a temporary folder
(migrated once, copied per size), fills it in bulk, then runs ``manage.py export_data`` and
``manage.py import_data --yes`` (into a fresh copy of the migrated database) as child
processes, and reads each child's peak resident set size from os.wait4's resource usage.
A bare ``manage.py check`` gives the floor: what any process of the project costs before it
reads a row. Streaming holds when the peaks of the two sizes are within 10% of each other.

    .venv/bin/python benchmarks/backup_memory.py
    .venv/bin/python benchmarks/backup_memory.py --activities 10000 20000   # a quick look
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACTIVITIES_AT_SCALE_1 = 100_000  # benchmarks/synthetic.py ACTIVITIES


def _env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "TEST_DATABASE_NAME", "DJANGO_SETTINGS_MODULE")
    }
    # DEBUG off as in production: with it on, Django keeps the last 9,000 queries' SQL, which
    # for batched inserts is tens of megabytes that say nothing about the backup code.
    env.update(
        TRACKER_VAR_DIR=str(var_dir),
        DEBUG="false",
        SECRET_KEY="backup-memory-benchmark-only-" + "x" * 40,
        PYTHONPATH=str(ROOT),
    )
    return env


def run(args: list[str], var_dir: Path) -> tuple[float, float, str]:
    """Run a child process to completion: (peak RSS in MiB, seconds, output). Fails loudly."""
    started = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 -- our own interpreter and manage.py
        [sys.executable, *args], cwd=ROOT, env=_env(var_dir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert child.stdout is not None  # noqa: S101 -- stdout=PIPE above
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(args)} failed ({child.returncode}):\n{output.decode(errors='replace')}")
    # ru_maxrss is in KiB on Linux
    return usage.ru_maxrss / 1024, time.perf_counter() - started, output.decode(errors="replace").strip()


def measure(activities: int, template: Path, work: Path) -> dict[str, float]:
    source, target = work / f"source-{activities}", work / f"target-{activities}"
    for folder in (source, target):
        folder.mkdir()
        shutil.copy(template, folder / "tracker.sqlite3")
    scale = activities / ACTIVITIES_AT_SCALE_1
    run(_generate_args(scale), source)
    backup = work / f"backup-{activities}.json.gz"
    export_mib, export_s, wrote = run(["manage.py", "export_data", str(backup)], source)
    import_mib, import_s, loaded = run(["manage.py", "import_data", str(backup), "--yes"], target)
    written, read = wrote.splitlines()[-1].split(" to ")[0], loaded.splitlines()[-1].split(" from ")[0]
    print(f"{activities:,} activities: {written}; {read}", flush=True)
    result = {
        "export_mib": export_mib,
        "export_s": export_s,
        "import_mib": import_mib,
        "import_s": import_s,
        "file_mib": backup.stat().st_size / 2**20,
    }
    for folder in (source, target):
        shutil.rmtree(folder)
    backup.unlink()
    return result


def _generate_args(scale: float) -> list[str]:
    code = (
        "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tracker.settings'); "
        "import django; django.setup(); "
        f"from benchmarks.synthetic import generate; print(generate(scale={scale!r}))"
    )
    return ["-c", code]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--activities", type=int, nargs=2, default=[100_000, 200_000], metavar=("SMALL", "LARGE")
    )
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tracker-backup-bench-") as tmp:
        work = Path(tmp)
        base = work / "migrated"
        base.mkdir()
        run(["manage.py", "migrate", "--noinput"], base)
        floor_mib, _, _ = run(["manage.py", "check"], base)
        template = base / "tracker.sqlite3"
        print(f"floor: a bare `manage.py check` peaks at {floor_mib:.0f} MiB", flush=True)
        results = {n: measure(n, template, work) for n in options.activities}

    print(
        f"{'activities':>10}  {'file MiB':>8}  {'export MiB':>10}  {'export s':>8}"
        f"  {'import MiB':>10}  {'import s':>8}"
    )
    for n, r in results.items():
        print(
            f"{n:>10,}  {r['file_mib']:>8.1f}  {r['export_mib']:>10.0f}  {r['export_s']:>8.1f}"
            f"  {r['import_mib']:>10.0f}  {r['import_s']:>8.1f}"
        )
    small, large = (results[n] for n in options.activities)
    for step in ("export", "import"):
        low, high = small[f"{step}_mib"], large[f"{step}_mib"]
        verdict = "flat (within 10%)" if high / low <= 1.10 else "GROWS with the data"
        print(
            f"{step}: peak {high:.0f} / {low:.0f} MiB = {high / low:.3f}, {verdict}; "
            f"{low - floor_mib:.0f} MiB above the floor at {options.activities[0]:,}"
        )


if __name__ == "__main__":
    main()
