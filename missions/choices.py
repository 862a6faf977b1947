"""Kinds and statuses of the missions app, in the report's words."""

from django.db import models


class RegionKind(models.TextChoices):
    FIELD = "field", "Office field region (para 13)"
    MENTOR = "mentor", "GPML mentor region (para 14)"
    M49_REGION = "m49_region", "UN M49 region"
    M49_SUBREGION = "m49_subregion", "UN M49 sub-region"
    M49_INTERMEDIATE = "m49_intermediate", "UN M49 intermediate region"


class InstrumentGroup(models.TextChoices):
    FIRST_12 = "first_12", "First 12 (1963-1999)"
    ADOPTED_2005 = "adopted_2005", "Adopted in 2005"
    LATER = "later", "Adopted after 2005"


class Coverage(models.TextChoices):
    """How complete the shipped status data of an instrument is (see fixtures/PROVENANCE.md)."""

    COMPLETE = "complete", "Complete"
    PARTIAL = "partial", "Partial"
    MISSING = "missing", "Missing"


class RatificationAction(models.TextChoices):
    RATIFICATION = "ratification", "Ratification"
    ACCESSION = "accession", "Accession"
    ACCEPTANCE = "acceptance", "Acceptance"
    APPROVAL = "approval", "Approval"
    SUCCESSION = "succession", "Succession"


class LegislationKind(models.TextChoices):
    INCORPORATION = "incorporation", "Incorporated the instruments' provisions"
    NEW_LAW = "new_law", "Adopted a new counter-terrorism law"
    AMENDMENT = "amendment", "Amended a counter-terrorism law"
    DRAFTING = "drafting", "Drafting a counter-terrorism law"


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class Qualifier(models.TextChoices):
    """How exactly a printed count is stated (the report's vocabulary)."""

    EXACT = "exact", "Exact"
    MORE_THAN = "more_than", "More than"
    AT_LEAST = "at_least", "At least"
    ABOUT = "about", "About"
    ESTIMATED = "estimated", "Estimated"
    DERIVED = "derived", "Derived from a printed list"


class ActivityKind(models.TextChoices):
    # The report lists the countries it assisted directly without always saying how (para 15):
    # this kind records that fact without inventing a mission.
    DIRECT_ASSISTANCE = "direct_assistance", "Direct technical assistance (form not stated)"
    MISSION = "mission", "Technical-assistance mission"
    VIDEO_CONFERENCE = "video_conference", "Video conference"
    CTC_REPORT_SUPPORT = "ctc_report_support", "Support for a report to the CTC"
    DELEGATION_VISIT = "delegation_visit", "Delegation visit to the office"
    CTED_JOINT_VISIT = "cted_joint_visit", "Joint visit with CTED"
    TRAINING_COURSE = "training_course", "Training course"
    WORKSHOP = "workshop", "Subregional or regional workshop"
    MINISTERIAL_MEETING = "ministerial_meeting", "Ministerial meeting"
    EXPERT_MEETING = "expert_meeting", "Expert meeting"
    BRIEFING = "briefing", "Briefing"
    OTHER_EVENT = "other_event", "Other event"


# Kinds that count as direct assistance to a country (para 9: missions, video conferences,
# visits of national officials to the office); workshops are indirect assistance.
DIRECT_ASSISTANCE_KINDS = (
    ActivityKind.DIRECT_ASSISTANCE,
    ActivityKind.MISSION,
    ActivityKind.VIDEO_CONFERENCE,
    ActivityKind.CTC_REPORT_SUPPORT,
    ActivityKind.DELEGATION_VISIT,
)


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class ActivityLevel(models.TextChoices):
    NATIONAL = "national", "National"
    SUBREGIONAL = "subregional", "Subregional"
    REGIONAL = "regional", "Regional"
    INTERNATIONAL = "international", "International"


class CountryRole(models.TextChoices):
    BENEFICIARY = "beneficiary", "Beneficiary (assisted country)"
    PARTICIPANT = "participant", "Participating country"
    CONTRIBUTOR = "contributor", "Contributing country (experts)"
    HOST = "host", "Host"


class ParticipantRole(models.TextChoices):
    CRIMINAL_JUSTICE_OFFICIALS = "criminal_justice_officials", "Criminal justice officials"
    PROSECUTORS = "prosecutors", "Prosecutors"
    JUDGES = "judges", "Judges"
    MAGISTRATES = "magistrates", "Magistrates"
    JUDICIAL_POLICE = "judicial_police", "Judicial police"
    MINISTERS = "ministers", "Ministers"
    EXPERTS = "experts", "Experts"
    GOVERNMENT_REPRESENTATIVES = "government_representatives", "Government representatives"
    OTHER = "other", "Other"


class FollowUpKind(models.TextChoices):
    LEGISLATIVE_DRAFTING = "legislative_drafting", "Legislative drafting"
    TRAINING = "training", "Training"
    OTHER = "other", "Other"


class FollowUpStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"


class ActionPlanStatus(models.TextChoices):
    DRAFTED = "drafted", "Drafted"
    ADOPTED = "adopted", "Adopted"
    IN_IMPLEMENTATION = "in_implementation", "Being implemented"
    COMPLETED = "completed", "Completed"


class OutcomeKind(models.TextChoices):
    DECLARATION = "declaration", "Declaration"
    PLAN_OF_ACTION = "plan_of_action", "Plan of action"
    RECOMMENDATIONS = "recommendations", "Recommendations"
    RESOLUTION = "resolution", "Resolution"
    NEEDS_ASSESSMENT = "needs_assessment", "Needs assessment"
    REPORT = "report", "Report"
    OTHER = "other", "Other"


class ToolStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PREPARATION = "in_preparation", "In preparation"
    IN_DEVELOPMENT = "in_development", "In development"
    COMPLETED = "completed", "Completed"
    UPDATED = "updated", "Updated"


class ImportKind(models.TextChoices):
    RATIFICATIONS = "ratifications", "Ratifications"
    LEGISLATION = "legislation", "Legislation events"
