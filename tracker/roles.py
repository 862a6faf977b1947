"""The roles of the office's users, as Django groups with exactly these permissions.

- Officer: adds, changes, deletes and views the work (missions, partners, reports); the
  object-level rules (missions.visibility) limit writes to the regions of their
  OfficerAssignment rows. They read, but do not change, the reference data that decides whose
  work is whose (regions, countries, instruments and officer assignments); they do not create,
  change or delete indicator definitions, nor add extra addresses to report schedules
  (administrators do).
- Manager: views everything of their scope (their regions, or every region when also given
  tracker.access_all_regions) and may be a report recipient.
- Auditor: views everything of every region, including the history of every record and the
  audit trail of every account (tracker.view_audit_trail, tracker.access_all_regions).
- Administrator: every permission, among them missions.change_reference_data.
- Integration: the service users of the REST API's integration accounts; every model permission
  of the work but the reference-data writes (as officers), narrowed by the account's token
  scopes (read, write, confidential). Integration users see every region
  (missions.visibility.is_integration); their scopes decide the rest.

Roles are groups, so an account may hold several; ``manage.py setup_roles`` creates or resets
them (idempotent; ``manage.py bootstrap`` runs it).
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q, QuerySet

WORK_APPS = ("missions", "partners", "reports")
OFFICER, MANAGER, AUDITOR, ADMINISTRATOR, INTEGRATION = (
    "Officer",
    "Manager",
    "Auditor",
    "Administrator",
    "Integration",
)
ROLES = (OFFICER, MANAGER, AUDITOR, ADMINISTRATOR, INTEGRATION)

# Who works in which region is decided by administrators, not by officers or integrations:
# regions, countries (their regions decide whose work an activity is), instruments and the
# officers' region assignments are written only by holders of missions.change_reference_data
# (missions.services.reference_data). Everyone keeps the view permissions. Ratifications and
# legislation events are the office's own records of countries' legal status: officers keep
# writing them (and importing them).
_REFERENCE_MODELS = ("region", "country", "instrument", "officerassignment")
_REFERENCE_WRITES = Q(
    content_type__app_label="missions",
    codename__in=[
        "change_reference_data",
        *(f"{action}_{model}" for model in _REFERENCE_MODELS for action in ("add", "change", "delete")),
    ],
)

# Indicator definitions (each tied to a formula in the code) and extra report addresses are
# decided by administrators; officers and integrations read the definitions.
_REPORTS_ADMINISTRATION = Q(
    content_type__app_label="reports",
    codename__in=[
        "add_indicatordefinition",
        "change_indicatordefinition",
        "delete_indicatordefinition",
        "add_external_recipients",
    ],
)


def _work() -> QuerySet[Permission]:
    return Permission.objects.filter(content_type__app_label__in=WORK_APPS)


def _tracker(*codenames: str) -> QuerySet[Permission]:
    return Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)


def role_permissions(role: str) -> QuerySet[Permission]:
    """The exact permissions of ``role``."""
    if role == OFFICER:
        return _work().exclude(_REFERENCE_WRITES).exclude(_REPORTS_ADMINISTRATION)
    if role == MANAGER:
        return _work().filter(codename__startswith="view_")
    if role == AUDITOR:
        views = Permission.objects.filter(
            content_type__app_label__in=[*WORK_APPS, "tracker"], codename__startswith="view_"
        )
        return views | _tracker("view_audit_trail", "access_all_regions")
    if role == ADMINISTRATOR:
        return Permission.objects.all()
    if role == INTEGRATION:
        return _work().exclude(_REFERENCE_WRITES).exclude(_REPORTS_ADMINISTRATION)
    raise ValueError(f"Unknown role {role!r}; the roles are {', '.join(ROLES)}.")


def setup_roles() -> dict[str, int]:
    """Create the groups, or reset their permissions to the definition above. Returns the counts."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        for role in ROLES:
            group, _ = Group.objects.get_or_create(name=role)
            permissions = list(role_permissions(role).distinct())
            group.permissions.set(permissions)
            counts[role] = len(permissions)
    return counts
