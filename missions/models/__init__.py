"""Models of the missions app, one module per concept."""

from .activities import (
    ActionPlan,
    Activity,
    ActivityCountry,
    CtcReportSupport,
    CtedJointVisit,
    DelegationVisit,
    FollowUpRequest,
    MinisterialMeeting,
    Mission,
    OfficerAssignment,
    OtherEvent,
    OutcomeDocument,
    Participation,
    TrainingCourse,
    VideoConference,
    Workshop,
)
from .imports import ImportJob
from .legal import LegislationEvent, Ratification
from .reference import Country, Instrument, Region
from .tools import Tool

__all__ = [
    "ActionPlan",
    "Activity",
    "ActivityCountry",
    "Country",
    "CtcReportSupport",
    "CtedJointVisit",
    "DelegationVisit",
    "FollowUpRequest",
    "ImportJob",
    "Instrument",
    "LegislationEvent",
    "MinisterialMeeting",
    "Mission",
    "OfficerAssignment",
    "OtherEvent",
    "OutcomeDocument",
    "Participation",
    "Ratification",
    "Region",
    "Tool",
    "TrainingCourse",
    "VideoConference",
    "Workshop",
]
