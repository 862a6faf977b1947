"""Realistic synthetic data at scale, for benchmarks (never for the real database).

``generate(scale=1.0, seed=0)`` adds, on top of whatever the database holds (the reference
data every database gets, and the 2006 report if loaded):
- countries up to 193 and instruments up to 19 (the reference data usually has them already);
- a deposit for about 85% of the country × instrument pairs not yet recorded, dated over
  twenty years (2003-2022), so the "all 12" and "six or fewer" counts move with the date;
- 100,000 × scale activities over the twenty years, of every kind (90% held), with
  500,000 × scale ActivityCountry rows (1 to 9 countries each, 5 on average: beneficiaries
  of direct assistance, participants of workshops and courses), officials trained or briefed
  on courses and briefings;
- legislation events, tools and contributions of twenty donors over the twenty years.

Rows are written with bulk_create and no history rows: fast, and acceptable for throwaway
benchmark data. Calling it again with another seed adds as much again (the data doubles).
"""

from __future__ import annotations

import datetime
import itertools
import random
import string
from decimal import Decimal

from django.db import transaction

from missions.choices import (
    ActivityKind,
    ActivityStatus,
    CountryRole,
    InstrumentGroup,
    LegislationKind,
    RatificationAction,
    RegionKind,
    ToolStatus,
)
from missions.models import (
    Activity,
    ActivityCountry,
    Country,
    Instrument,
    LegislationEvent,
    Ratification,
    Region,
    Tool,
)
from partners.choices import ContributionKind, DonorKind
from partners.models import Contribution, Donor
from tracker.api import list_cache

FIRST_YEAR, YEARS = 2003, 20
N_COUNTRIES, N_INSTRUMENTS = 193, 19
ACTIVITIES, COUNTRY_ROWS = 100_000, 500_000
BATCH = 5_000

# Rough shares of the office's work by kind (2006: many direct contacts, fewer events).
KIND_WEIGHTS = {
    ActivityKind.MISSION: 20,
    ActivityKind.DIRECT_ASSISTANCE: 10,
    ActivityKind.VIDEO_CONFERENCE: 10,
    ActivityKind.CTC_REPORT_SUPPORT: 5,
    ActivityKind.DELEGATION_VISIT: 5,
    ActivityKind.CTED_JOINT_VISIT: 5,
    ActivityKind.TRAINING_COURSE: 15,
    ActivityKind.WORKSHOP: 15,
    ActivityKind.BRIEFING: 10,
    ActivityKind.EXPERT_MEETING: 5,
}
DIRECT = {
    ActivityKind.MISSION,
    ActivityKind.DIRECT_ASSISTANCE,
    ActivityKind.VIDEO_CONFERENCE,
    ActivityKind.CTC_REPORT_SUPPORT,
    ActivityKind.DELEGATION_VISIT,
    ActivityKind.CTED_JOINT_VISIT,
}


def _day(rng: random.Random, first_year: int = FIRST_YEAR, years: int = YEARS) -> datetime.date:
    return datetime.date(first_year, 1, 1) + datetime.timedelta(days=rng.randrange(365 * years))


def _countries(rng: random.Random) -> list[Country]:
    missing = N_COUNTRIES - Country.objects.filter(is_un_member=True).count()
    if missing > 0:
        taken2 = set(Country.objects.values_list("iso2", flat=True))
        taken3 = set(Country.objects.values_list("iso3", flat=True))
        taken_m49 = set(Country.objects.values_list("m49", flat=True))
        letters = string.ascii_uppercase
        iso2 = (a + b for a, b in itertools.product(letters, repeat=2) if a + b not in taken2)
        iso3 = ("".join(t) for t in itertools.product(letters, repeat=3) if "".join(t) not in taken3)
        m49 = (f"{n:03d}" for n in range(1000) if f"{n:03d}" not in taken_m49)
        Country.objects.bulk_create(
            Country(
                iso2=next(iso2),
                iso3=next(iso3),
                m49=next(m49),
                name_en=f"Synthetic country {i}",
                is_un_member=True,
                un_admission_date=datetime.date(1945 + rng.randrange(50), 1, 1),
            )
            for i in range(missing)
        )
    regions = list(Region.objects.filter(kind=RegionKind.FIELD))
    if not regions:
        regions = [
            Region.objects.create(
                code=f"SYN-FIELD-{i}", name=f"Synthetic field region {i}", kind=RegionKind.FIELD
            )
            for i in range(5)
        ]
    unassigned = list(Country.objects.filter(field_region__isnull=True))
    for country in unassigned:
        country.field_region = rng.choice(regions)
    Country.objects.bulk_update(unassigned, ["field_region"], batch_size=BATCH)
    return list(Country.objects.filter(is_un_member=True).order_by("pk")[:N_COUNTRIES])


def _instruments() -> list[Instrument]:
    existing = list(Instrument.objects.order_by("seq"))
    next_seq = max((i.seq for i in existing), default=0) + 1
    first_12 = sum(1 for i in existing if i.group == InstrumentGroup.FIRST_12)
    created = []
    for n in range(max(0, N_INSTRUMENTS - len(existing))):
        group = InstrumentGroup.FIRST_12 if first_12 + n < 12 else InstrumentGroup.LATER
        created.append(
            Instrument(
                code=f"SYN_INSTR_{next_seq + n}",
                seq=next_seq + n,
                group=group,
                short_title=f"Synthetic instrument {next_seq + n}",
                title_en=f"Synthetic instrument {next_seq + n}",
                adoption_date=datetime.date(1970, 1, 1),
                depositary="Secretary-General of the United Nations",
                status_coverage="complete",
            )
        )
    Instrument.objects.bulk_create(created)
    return list(Instrument.objects.order_by("seq")[:N_INSTRUMENTS])


def _ratifications(rng: random.Random, countries: list[Country], instruments: list[Instrument]) -> int:
    taken = set(Ratification.objects.values_list("country_id", "instrument_id"))
    rows = [
        Ratification(
            country=country,
            instrument=instrument,
            action=RatificationAction.RATIFICATION,
            deposit_date=max(_day(rng, 1995, YEARS + 8), instrument.adoption_date),
            source="synthetic",
        )
        for country in countries
        for instrument in instruments
        if (country.pk, instrument.pk) not in taken and rng.random() < 0.85
    ]
    Ratification.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _activities(
    rng: random.Random, countries: list[Country], *, n: int, rows: int, seed: int
) -> tuple[int, int]:
    kinds = list(KIND_WEIGHTS)
    weights = list(KIND_WEIGHTS.values())
    regions = list(Region.objects.filter(kind=RegionKind.FIELD))
    per_activity = rows / n  # 5 on average: 1..9 uniformly
    spread = max(1, round(per_activity)) - 1
    made_activities = made_rows = 0
    for offset in range(0, n, BATCH):
        batch = []
        for i in range(offset, min(offset + BATCH, n)):
            kind = rng.choices(kinds, weights)[0]
            start = _day(rng)
            trained = rng.randrange(10, 60) if kind == ActivityKind.TRAINING_COURSE else None
            briefed = (
                rng.randrange(10, 120) if kind in (ActivityKind.BRIEFING, ActivityKind.WORKSHOP) else None
            )
            batch.append(
                Activity(
                    kind=kind,
                    reference=f"SYN-{seed}-{i}",
                    title=f"Synthetic {kind} {i}",
                    start_date=start,
                    end_date=start + datetime.timedelta(days=rng.randrange(5)),
                    status=ActivityStatus.HELD if rng.random() < 0.9 else ActivityStatus.PLANNED,
                    region=rng.choice(regions) if regions else None,
                    host_country=rng.choice(countries),
                    officials_trained=trained,
                    officials_briefed=briefed,
                )
            )
        created = Activity.objects.bulk_create(batch)
        links: list[ActivityCountry] = []
        for activity in created:
            k = 1 + rng.randrange(2 * spread + 1)
            role = CountryRole.BENEFICIARY if activity.kind in DIRECT else CountryRole.PARTICIPANT
            links.extend(
                ActivityCountry(activity_id=activity.pk, country_id=country.pk, role=role)
                for country in rng.sample(countries, min(k, len(countries)))
            )
        ActivityCountry.objects.bulk_create(links, batch_size=BATCH)
        made_activities += len(created)
        made_rows += len(links)
    return made_activities, made_rows


def _others(rng: random.Random, countries: list[Country], *, seed: int, scale: float) -> tuple[int, int, int]:
    kinds = [LegislationKind.INCORPORATION, LegislationKind.NEW_LAW, LegislationKind.DRAFTING]
    events = [
        LegislationEvent(
            country=country,
            kind=rng.choice(kinds),
            title=f"Synthetic act {seed}-{i}",
            date=_day(rng),
            assisted_by_office=rng.random() < 0.6,
        )
        for i, country in enumerate(rng.choices(countries, k=max(1, round(600 * scale))))
    ]
    LegislationEvent.objects.bulk_create(events, batch_size=BATCH)
    tools = [
        Tool(
            code=f"SYN-TOOL-{seed}-{i}",
            name_en=f"Synthetic tool {i}",
            kind=rng.choice(["model law", "legislative guide", "database", "checklist"]),
            status=rng.choice([ToolStatus.COMPLETED, ToolStatus.UPDATED, ToolStatus.IN_DEVELOPMENT]),
            status_date=_day(rng),
        )
        for i in range(max(1, round(100 * scale)))
    ]
    Tool.objects.bulk_create(tools)
    donors = []
    for i, country in enumerate(rng.sample(countries, 20)):
        donor = Donor.objects.filter(country=country).first()
        donors.append(
            donor
            or Donor.objects.create(name=f"Synthetic donor {seed}-{i}", kind=DonorKind.STATE, country=country)
        )
    contributions = [
        Contribution(
            donor=donor,
            kind=rng.choice(
                [ContributionKind.PLEDGE, ContributionKind.PAYMENT, ContributionKind.PAID_OR_PLEDGED]
            ),
            amount=Decimal(rng.randrange(5_000, 500_000)),
            year=year,
            reference=f"SYN-{seed}-{donor.pk}-{year}-{j}",
        )
        for donor in donors
        for year in range(FIRST_YEAR, FIRST_YEAR + YEARS)
        for j in range(max(1, round(2 * scale)))
    ]
    Contribution.objects.bulk_create(contributions, batch_size=BATCH)
    return len(events), len(tools), len(contributions)


def generate(scale: float = 1.0, seed: int = 0) -> str:
    """Add synthetic data at ``scale`` (1.0 = 100,000 activities, 500,000 country rows)."""
    if Activity.objects.filter(reference=f"SYN-{seed}-0").exists():
        return f"seed {seed} already generated; nothing added"
    rng = random.Random(seed)  # noqa: S311 -- synthetic data, not security
    with transaction.atomic():
        countries = _countries(rng)
        instruments = _instruments()
        deposits = _ratifications(rng, countries, instruments)
        activities, rows = _activities(
            rng, countries, n=max(1, round(ACTIVITIES * scale)), rows=round(COUNTRY_ROWS * scale), seed=seed
        )
        events, tools, contributions = _others(rng, countries, seed=seed, scale=scale)
        list_cache.mark_changed()  # bulk_create sends no signals: no cached API page may survive
    return (
        f"{len(countries)} countries, {len(instruments)} instruments, {deposits} deposits added, "
        f"{activities:,} activities, {rows:,} activity-country rows, {events} legislation events, "
        f"{tools} tools, {contributions} contributions"
    )
