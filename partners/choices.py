"""Kinds and statuses of the partners app."""

from django.db import models


class OrganisationKind(models.TextChoices):
    UN_ENTITY = "un_entity", "UN entity"
    SECURITY_COUNCIL_BODY = "sc_body", "Security Council body"
    REGIONAL = "regional", "Regional or subregional organisation"
    INTERGOVERNMENTAL = "intergovernmental", "Intergovernmental organisation"
    PROFESSIONAL_ASSOCIATION = "professional_association", "Professional association"
    GOVERNMENT = "government", "Government or government body"
    UNODC_UNIT = "unodc_unit", "UNODC unit"
    OTHER = "other", "Other"


class PartnershipKind(models.TextChoices):
    MOU = "mou", "Memorandum of understanding"
    EXCHANGE_OF_LETTERS = "exchange_of_letters", "Exchange of letters"
    FORMAL_AGREEMENT = "formal_agreement", "Formal agreement"
    WORKING_ARRANGEMENT = "working_arrangement", "Working arrangement"


class OrganisationRole(models.TextChoices):
    CO_ORGANISER = "co_organiser", "Co-organiser"
    HOST = "host", "Host"
    FUNDER = "funder", "Funder"
    PARTICIPANT = "participant", "Participant"
    CONTRIBUTOR = "contributor", "Contributor (experts)"
    ASSISTED = "assisted", "Assisted"


class ContributionKind(models.TextChoices):
    """FTS statuses, with the IATI 2.03 incoming transaction type codes in brackets."""

    PLEDGE = "pledge", "Pledge (IATI 13)"
    COMMITMENT = "commitment", "Commitment (IATI 11)"
    PAYMENT = "payment", "Paid (IATI 1)"
    PAID_OR_PLEDGED = "paid_or_pledged", "Paid or pledged (not told apart by the source)"


class DonorKind(models.TextChoices):
    STATE = "state", "State"
    ORGANISATION = "organisation", "Organisation"


class ReportedFigureKind(models.TextChoices):
    UNPAID_PLEDGES = "unpaid_pledges", "Unpaid pledges included in the totals"
