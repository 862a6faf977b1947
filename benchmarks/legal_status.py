"""Benchmark (not a test): "countries with all 12 at each of 20 reference dates".

Builds synthetic data in a throwaway test database (SQLite in memory by default; PostgreSQL
with DATABASE_URL, in TEST_DATABASE_NAME or test_<name>, dropped at the end): 200 countries x
20 instruments, then doubles the countries (400 x 20) and prints the time, the number of SQL
queries and the growth ratio.

    .venv/bin/python benchmarks/legal_status.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres TEST_DATABASE_NAME=bench_legal \
        .venv/bin/python benchmarks/legal_status.py
"""

from __future__ import annotations

import datetime
import itertools
import os
import random
import statistics
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

import django  # noqa: E402 -- settings must be chosen first

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402

from missions import legal_status  # noqa: E402
from missions.choices import InstrumentGroup, RatificationAction  # noqa: E402
from missions.models import Country, Instrument, Ratification  # noqa: E402

N_INSTRUMENTS = 20
REFERENCE_DATES = [datetime.date(1995 + i, 1, 1) for i in range(20)]
REPEATS = 5


def _free_codes() -> tuple[list[str], list[str], list[str]]:
    taken2 = set(Country.objects.values_list("iso2", flat=True))
    taken3 = set(Country.objects.values_list("iso3", flat=True))
    taken_m49 = set(Country.objects.values_list("m49", flat=True))
    letters = string.ascii_uppercase
    iso2 = [a + b for a, b in itertools.product(letters, repeat=2) if a + b not in taken2]
    iso3 = ["".join(t) for t in itertools.product(letters, repeat=3) if "".join(t) not in taken3]
    m49 = [f"{n:03d}" for n in range(1000) if f"{n:03d}" not in taken_m49]
    return iso2, iso3, m49


def make_instruments() -> list[Instrument]:
    instruments = [
        Instrument(
            code=f"BENCH_{i:02d}",
            seq=500 + i,
            group=InstrumentGroup.FIRST_12 if i < 12 else InstrumentGroup.LATER,
            short_title=f"Benchmark instrument {i}",
            title_en=f"Benchmark instrument {i}",
            adoption_date=datetime.date(1960 + 2 * i, 1, 1),
            depositary="benchmark",
        )
        for i in range(N_INSTRUMENTS)
    ]
    return Instrument.objects.bulk_create(instruments)


def make_countries(
    n: int, offset: int, codes: tuple[list[str], list[str], list[str]], rng: random.Random
) -> None:
    """n synthetic UN members, each with a deposit of about 90% of the instruments."""
    iso2, iso3, m49 = codes
    countries = Country.objects.bulk_create(
        Country(
            iso2=iso2[offset + i],
            iso3=iso3[offset + i],
            m49=m49[offset + i],
            name_en=f"Benchland {offset + i}",
            is_un_member=True,
            un_admission_date=datetime.date(1945 + rng.randrange(60), 1, 1),
        )
        for i in range(n)
    )
    instruments = list(Instrument.objects.filter(code__startswith="BENCH_"))
    rows = []
    for country in countries:
        for instrument in instruments:
            if rng.random() < 0.9:
                start = instrument.adoption_date.toordinal()
                day = datetime.date.fromordinal(rng.randrange(start, datetime.date(2015, 1, 1).toordinal()))
                rows.append(
                    Ratification(
                        country=country,
                        instrument=instrument,
                        action=rng.choice(RatificationAction.values),
                        deposit_date=day,
                    )
                )
    # Synthetic rows in a throwaway database: plain bulk_create, no history wanted.
    Ratification.objects.bulk_create(rows, batch_size=2000)


def measure() -> tuple[float, int, list[int]]:
    first_12 = list(Instrument.objects.filter(code__startswith="BENCH_", group=InstrumentGroup.FIRST_12))
    timings = []
    answers: list[int] = []
    queries = 0
    for _ in range(REPEATS):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            answers = [
                len(list(legal_status.countries_with_all(as_of=day, instruments=first_12)))
                for day in REFERENCE_DATES
            ]
            timings.append(time.perf_counter() - start)
        queries = len(captured.captured_queries)
    return statistics.median(timings), queries, answers


def main() -> None:
    rng = random.Random(0)  # deterministic data
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
        make_instruments()
        codes = _free_codes()
        make_countries(200, 0, codes, rng)
        base_rows = Ratification.objects.filter(instrument__code__startswith="BENCH_").count()
        base_time, base_queries, base_answers = measure()
        print(
            f"200 countries x {N_INSTRUMENTS} instruments ({base_rows} deposits): "
            f"{base_time * 1000:.1f} ms for 20 reference dates "
            f"({base_time * 1000 / 20:.2f} ms each), {base_queries} SQL queries; "
            f"countries with all 12 at 1995..2014: {base_answers}"
        )
        make_countries(200, 200, codes, rng)
        rows = Ratification.objects.filter(instrument__code__startswith="BENCH_").count()
        doubled_time, doubled_queries, _ = measure()
        print(
            f"400 countries x {N_INSTRUMENTS} instruments ({rows} deposits): "
            f"{doubled_time * 1000:.1f} ms for 20 reference dates "
            f"({doubled_time * 1000 / 20:.2f} ms each), {doubled_queries} SQL queries"
        )
        print(
            f"growth when the data doubles: time x{doubled_time / base_time:.2f}, "
            f"queries x{doubled_queries / base_queries:.2f}"
        )
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
