import datetime
import string

import factory
from factory.django import DjangoModelFactory

from missions import choices
from missions.models import (
    ActionPlan,
    Activity,
    ActivityCountry,
    Country,
    FollowUpRequest,
    Instrument,
    LegislationEvent,
    OutcomeDocument,
    Participation,
    Ratification,
    Region,
    Tool,
)

__all__ = [
    "ActionPlanFactory",
    "ActivityCountryFactory",
    "ActivityFactory",
    "CountryFactory",
    "FollowUpRequestFactory",
    "InstrumentFactory",
    "LegislationEventFactory",
    "OutcomeDocumentFactory",
    "ParticipationFactory",
    "RatificationFactory",
    "RegionFactory",
    "ToolFactory",
]

# ISO 3166 user-assigned codes (X?? / Q[M-Z]?), which no real country uses, so factory
# countries never collide with the reference data every database holds.
_ISO2 = [f"X{c}" for c in string.ascii_uppercase] + [f"Q{c}" for c in "MNOPQRSTUVWXYZ"]


class RegionFactory(DjangoModelFactory[Region]):
    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"TEST-{n}")
    name = factory.Sequence(lambda n: f"Test region {n}")
    kind = choices.RegionKind.FIELD


class CountryFactory(DjangoModelFactory[Country]):
    class Meta:
        model = Country

    iso2 = factory.Sequence(lambda n: _ISO2[n % len(_ISO2)])
    iso3 = factory.Sequence(
        lambda n: f"X{string.ascii_uppercase[n // 26 % 26]}{string.ascii_uppercase[n % 26]}"
    )
    # 900-969: codes M49 does not use; tests that name a country's codes take 970-999.
    m49 = factory.Sequence(lambda n: f"{900 + n % 70:03d}")
    name_en = factory.Sequence(lambda n: f"Testland {n}")
    name_fr = factory.LazyAttribute(lambda o: f"{o.name_en} (fr)")
    name_zh = "测试国"
    name_ar = "بلد الاختبار"
    is_un_member = True
    un_admission_date = datetime.date(1960, 1, 1)
    field_region = None


class InstrumentFactory(DjangoModelFactory[Instrument]):
    class Meta:
        model = Instrument

    code = factory.Sequence(lambda n: f"TEST_INSTR_{n}")
    seq = factory.Sequence(lambda n: 100 + n)
    group = choices.InstrumentGroup.FIRST_12
    short_title = factory.Sequence(lambda n: f"Test Convention {n}")
    title_en = factory.LazyAttribute(lambda o: f"{o.short_title} on something")
    adoption_date = datetime.date(1980, 1, 1)
    depositary = "Secretary-General of the United Nations"
    status_coverage = choices.Coverage.COMPLETE


class RatificationFactory(DjangoModelFactory[Ratification]):
    class Meta:
        model = Ratification

    country = factory.SubFactory(CountryFactory)
    instrument = factory.SubFactory(InstrumentFactory)
    action = choices.RatificationAction.RATIFICATION
    deposit_date = datetime.date(2000, 6, 1)
    source = "test"


class LegislationEventFactory(DjangoModelFactory[LegislationEvent]):
    class Meta:
        model = LegislationEvent

    country = factory.SubFactory(CountryFactory)
    kind = choices.LegislationKind.NEW_LAW
    title = factory.Sequence(lambda n: f"Counter-Terrorism Act {n}")
    date = datetime.date(2006, 5, 1)


class ActivityFactory(DjangoModelFactory[Activity]):
    class Meta:
        model = Activity

    kind = choices.ActivityKind.MISSION
    title = factory.Sequence(lambda n: f"Activity {n}")
    start_date = datetime.date(2006, 3, 1)
    end_date = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(days=2))
    status = choices.ActivityStatus.HELD


class ActivityCountryFactory(DjangoModelFactory[ActivityCountry]):
    class Meta:
        model = ActivityCountry

    activity = factory.SubFactory(ActivityFactory)
    country = factory.SubFactory(CountryFactory)
    role = choices.CountryRole.BENEFICIARY


class ParticipationFactory(DjangoModelFactory[Participation]):
    class Meta:
        model = Participation

    activity = factory.SubFactory(ActivityFactory, kind=choices.ActivityKind.TRAINING_COURSE)
    role = choices.ParticipantRole.PROSECUTORS
    count = 10


class ActionPlanFactory(DjangoModelFactory[ActionPlan]):
    class Meta:
        model = ActionPlan

    mission = factory.SubFactory(ActivityFactory)
    country = factory.SubFactory(CountryFactory)
    title = factory.Sequence(lambda n: f"Action plan {n}")


class FollowUpRequestFactory(DjangoModelFactory[FollowUpRequest]):
    class Meta:
        model = FollowUpRequest

    mission = factory.SubFactory(ActivityFactory)
    country = factory.SubFactory(CountryFactory)
    kind = choices.FollowUpKind.LEGISLATIVE_DRAFTING


class OutcomeDocumentFactory(DjangoModelFactory[OutcomeDocument]):
    class Meta:
        model = OutcomeDocument

    activity = factory.SubFactory(ActivityFactory, kind=choices.ActivityKind.WORKSHOP)
    kind = choices.OutcomeKind.DECLARATION
    title = factory.Sequence(lambda n: f"Declaration {n}")


class ToolFactory(DjangoModelFactory[Tool]):
    class Meta:
        model = Tool

    code = factory.Sequence(lambda n: f"T-TEST-{n}")
    name_en = factory.Sequence(lambda n: f"Model law {n}")
    kind = "model law"
    status = choices.ToolStatus.COMPLETED
    status_date = datetime.date(2006, 6, 1)
