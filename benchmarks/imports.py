"""Benchmark (not a test): peak memory and time of a dry-run ratification import, by file size.

Builds a throwaway SQLite database in a temporary folder (migrated, with the reference data,
plus synthetic instruments so that every row of the file is a distinct, valid deposit), writes
CSV and XLSX files of 100,000 and 400,000 rows, and imports each (dry run) in a fresh Python
process, which reports its time and how much its peak resident memory grew during the import.
The aim is flat memory: the ratio of the two peaks near 1 whatever the file's size.

    .venv/bin/python benchmarks/imports.py                  # 100,000 and 400,000 rows
    .venv/bin/python benchmarks/imports.py 10000 40000      # other sizes

The limits are raised for the run (IMPORT_MAX_ROWS / IMPORT_MAX_BYTES); what stays in memory
per row is one entry of the duplicate check (docs/reliability.md, "Bounded imports").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
SIZES = (100_000, 400_000)
FORMATS = ("csv", "xlsx")


def _status_kb(field: str) -> int:
    """VmRSS (resident now) or VmHWM (peak resident) of this process, in kB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure(path: str) -> None:
    """In a child process: import ``path`` (dry run) and print the figures as JSON."""
    import django

    django.setup()
    from django.conf import settings

    settings.IMPORT_MAX_ROWS = 10_000_000
    settings.IMPORT_MAX_BYTES = 10 * 1024**3
    from missions.models import Country
    from missions.services.legal_import import import_ratifications

    Country.objects.exists()  # the database connection is opened before the baseline
    before = _status_kb("VmRSS")
    start = time.perf_counter()
    report = import_ratifications(Path(path), actor=None, reason="benchmark", dry_run=True)
    took = time.perf_counter() - start
    growth = _status_kb("VmHWM") - before
    print(json.dumps({"seconds": took, "peak_growth_kb": growth, "summary": report.summary()}))


def build(folder: Path, sizes: list[int]) -> dict[tuple[str, int], Path]:
    import django

    django.setup()
    import datetime

    import openpyxl
    from django.core.management import call_command

    from missions.choices import InstrumentGroup
    from missions.models import Country, Instrument

    call_command("migrate", verbosity=0)  # the reference data comes with it (post_migrate)
    iso3s = list(Country.objects.order_by("iso3").values_list("iso3", flat=True))
    needed = -(-max(sizes) // len(iso3s))
    # Synthetic instruments in a throwaway database: plain bulk_create, no history wanted.
    Instrument.objects.bulk_create(
        Instrument(
            code=f"BENCH_{n:04d}",
            seq=1000 + n,
            group=InstrumentGroup.LATER,
            short_title=f"Benchmark instrument {n}",
            title_en=f"Benchmark instrument {n}",
            adoption_date=datetime.date(1990, 1, 1),
            depositary="benchmark",
        )
        for n in range(needed)
    )
    header = ["instrument", "iso3", "action", "deposit_date", "source"]

    def rows(n: int):  # type: ignore[no-untyped-def]
        for i in range(n):
            yield [
                f"BENCH_{i // len(iso3s):04d}",
                iso3s[i % len(iso3s)],
                "accession",
                "2010-01-01",
                f"list {i}",
            ]

    files = {}
    for size in sizes:
        csv_path = folder / f"ratifications-{size}.csv"
        with csv_path.open("w", encoding="utf-8") as handle:
            handle.write(",".join(header) + "\n")
            handle.writelines(",".join(row) + "\n" for row in rows(size))
        files["csv", size] = csv_path
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(header)
        for row in rows(size):
            sheet.append(row)
        xlsx_path = folder / f"ratifications-{size}.xlsx"
        book.save(xlsx_path)
        files["xlsx", size] = xlsx_path
    return files


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as folder:
        env = {**os.environ, "TRACKER_VAR_DIR": folder}
        env.pop("DATABASE_URL", None)  # a throwaway SQLite database in the folder
        os.environ.update(TRACKER_VAR_DIR=folder)
        os.environ.pop("DATABASE_URL", None)
        files = build(Path(folder), sizes)
        peaks: dict[tuple[str, int], float] = {}
        print(f"dry-run ratification import, SQLite; {len(sizes)} sizes x {len(FORMATS)} formats")
        for form in FORMATS:
            for size in sizes:
                path = files[form, size]
                result = subprocess.run(  # noqa: S603 -- this interpreter and this file
                    [sys.executable, __file__, "--measure", str(path)],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                figures = json.loads(result.stdout.strip().splitlines()[-1])
                peaks[form, size] = figures["peak_growth_kb"] / 1024
                print(
                    f"{form:4} {size:>9,} rows, {path.stat().st_size / 1024**2:6.1f} MB: "
                    f"{figures['seconds']:6.1f} s ({size / figures['seconds']:,.0f} rows/s), "
                    f"peak memory +{peaks[form, size]:.1f} MB  [{figures['summary']}]"
                )
        small, large = min(sizes), max(sizes)
        for form in FORMATS:
            ratio = peaks[form, large] / peaks[form, small] if peaks[form, small] else float("inf")
            print(
                f"{form}: peak memory at {large:,} rows / at {small:,} rows = x{ratio:.2f} "
                f"(rows x{large / small:.0f})"
            )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure(sys.argv[2])
    else:
        main([int(n) for n in sys.argv[1:]] or list(SIZES))
