"""Every write of the office's work: activities with their countries, participants and outcomes,
and the action plans and follow-up requests that missions lead to.

Admin, API and imports call these functions; they validate every object (``full_clean``) before
writing anything, write inside one transaction, and leave history rows carrying actor and reason.
Sets (countries, participations, outcomes) are replaced by difference: rows that stay the same
are not touched, so repeating a call changes nothing and writes no history.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from tracker.history import change_context
from tracker.writing import bump_version, save_record

from .. import visibility
from ..choices import ActivityKind, CountryRole, FollowUpStatus
from ..models import (
    ActionPlan,
    Activity,
    ActivityCountry,
    Country,
    FollowUpRequest,
    OutcomeDocument,
    Participation,
)
from .records import normalized, not_found, refuse_unknown

__all__ = [
    "country_by_code",
    "create_action_plan",
    "create_activity",
    "create_follow_up_request",
    "delete_action_plan",
    "delete_activity",
    "delete_follow_up_request",
    "set_follow_up_status",
    "update_action_plan",
    "update_activity",
    "update_follow_up_request",
]

CountryInput = tuple[Country | str, str]

# Fields a caller may set on an activity (kind is an argument of its own when creating).
_ACTIVITY_FIELDS = frozenset(
    name
    for field in Activity._meta.concrete_fields
    if field.name not in {"id", "created_at", "updated_at", "version"}
    for name in {field.name, field.attname}
)
_PARTICIPATION_FIELDS = frozenset({"role", "count", "count_qualifier", "trained", "briefed", "notes"})
_OUTCOME_FIELDS = frozenset({"kind", "title", "symbol", "adopted_on", "summary"})
_ACTION_PLAN_FIELDS = frozenset({"country", "title", "status", "adopted_on", "notes", "mission"})
_FOLLOW_UP_FIELDS = frozenset(
    {"mission", "country", "kind", "status", "requested_on", "description", "fulfilled_by"}
)


# --- Small helpers -------------------------------------------------------------------------
def country_by_code(code: str, *, field: str = "countries") -> Country:
    """The country with this ISO 3166 alpha-3 (or alpha-2) code; ValidationError naming ``field``."""
    normalized = (code or "").strip().upper()
    lookup = {"iso3": normalized} if len(normalized) == 3 else {"iso2": normalized}
    try:
        return Country.objects.get(**lookup)
    except Country.DoesNotExist:
        raise ValidationError({field: f"Unknown country code '{code}'."}) from None


def _messages(error: ValidationError) -> list[str]:
    """Flatten a model's ValidationError into 'field: message' lines."""
    if hasattr(error, "error_dict"):
        return [
            f"{name}: {message}" if name != "__all__" else message
            for name, errors in error.message_dict.items()
            for message in errors
        ]
    return list(error.messages)


def _differs(obj: models.Model, values: Mapping[str, Any]) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


def _assign(obj: models.Model, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        setattr(obj, name, value)


# --- Child sets ----------------------------------------------------------------------------
def _resolve_countries(countries: Iterable[CountryInput]) -> list[tuple[Country, str]]:
    resolved: list[tuple[Country, str]] = []
    seen: set[tuple[int, str]] = set()
    for item in countries:
        try:
            country, role = item
        except (TypeError, ValueError):
            raise ValidationError({"countries": f"Expected (country, role), got {item!r}."}) from None
        if isinstance(country, str):
            country = country_by_code(country)
        if not isinstance(country, Country) or country.pk is None:
            raise ValidationError({"countries": f"Not a stored country: {country!r}."})
        if role not in CountryRole.values:
            roles = ", ".join(CountryRole.values)
            raise ValidationError({"countries": f"Unknown role '{role}' for {country}; use one of {roles}."})
        if (country.pk, role) in seen:
            raise ValidationError({"countries": f"{country} appears twice as {role}."})
        seen.add((country.pk, role))
        resolved.append((country, role))
    return resolved


def _build_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    model: type[models.Model],
    allowed: frozenset[str],
    key: tuple[str, ...],
    field: str,
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Validate dict rows of a child model (without the activity) and key them naturally."""
    built: dict[tuple[Any, ...], dict[str, Any]] = {}
    errors: list[str] = []
    for position, row in enumerate(rows, start=1):
        unknown = sorted(set(row) - allowed)
        if unknown:
            errors.append(f"Row {position}: unknown field(s) {', '.join(unknown)}.")
            continue
        candidate = model(**row)
        try:
            candidate.full_clean(exclude=["activity"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors.extend(f"Row {position}: {message}" for message in _messages(error))
            continue
        values = {name: getattr(candidate, name) for name in allowed}
        natural_key = tuple(values[name] for name in key)
        if natural_key in built:
            errors.append(f"Row {position}: {' / '.join(str(part) for part in natural_key)} appears twice.")
            continue
        built[natural_key] = values
    if errors:
        raise ValidationError({field: errors})
    return built


def _participation_rows(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    # Trained and briefed within the count: Participation.clean, run by _build_rows.
    return _build_rows(
        rows, model=Participation, allowed=_PARTICIPATION_FIELDS, key=("role",), field="participations"
    )


def _outcome_rows(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return _build_rows(
        rows, model=OutcomeDocument, allowed=_OUTCOME_FIELDS, key=("kind", "title"), field="outcomes"
    )


def _sync_countries(activity: Activity, countries: list[tuple[Country, str]]) -> bool:
    """Make the activity's countries ``countries``; True when a row was written."""
    existing = {(row.country_id, row.role): row for row in activity.country_roles.all()}
    wanted = {(country.pk, role): country for country, role in countries}
    changed = False
    for key, row in existing.items():
        if key not in wanted:
            row.delete()
            changed = True
    for (country_id, role), country in wanted.items():
        if (country_id, role) not in existing:
            row = ActivityCountry(activity=activity, country=country, role=role)
            row.full_clean()
            row.save()
            changed = True
    return changed


def _sync_rows(
    activity: Activity,
    manager: Any,
    model: type[models.Model],
    rows: dict[tuple[Any, ...], dict[str, Any]],
    key: tuple[str, ...],
) -> bool:
    """Make the activity's rows of ``model`` ``rows``; True when a row was written."""
    existing = {tuple(getattr(obj, name) for name in key): obj for obj in manager.all()}
    changed = False
    for natural_key, obj in existing.items():
        if natural_key not in rows:
            obj.delete()
            changed = True
    for natural_key, values in rows.items():
        obj = existing.get(natural_key)
        if obj is None:
            obj = model(activity=activity, **values)
        elif not _differs(obj, values):
            continue
        else:
            _assign(obj, values)
        obj.full_clean()
        obj.save()
        changed = True
    return changed


def _check_activity(activity: Activity) -> None:
    activity.full_clean(validate_unique=True)
    if (
        activity.follow_up_of_id is not None
        and activity.pk is not None
        and activity.follow_up_of_id == activity.pk
    ):
        raise ValidationError({"follow_up_of": "An activity cannot be a follow-up of itself."})


def _refuse_hidden(actor: Any, fields: Mapping[str, Any], *, stored: models.Model | None = None) -> None:
    """Refuse links to records the actor may not see, or to countries outside their regions.

    An activity named as ``mission``, ``follow_up_of`` or ``fulfilled_by`` must be visible to the
    actor (missions.visibility); a hidden one gets the error of a missing id, word for word, so
    the two cannot be told apart. A ``country`` must lie in the actor's regions. What is already
    stored (``stored``) may stay as it is.
    """
    for name in ("mission", "follow_up_of", "fulfilled_by"):
        if name not in fields and f"{name}_id" not in fields:
            continue
        value = fields.get(name)
        pk = value.pk if value is not None else fields.get(f"{name}_id")
        if pk is None or (stored is not None and getattr(stored, f"{name}_id") == pk):
            continue
        if not visibility.activities(actor).filter(pk=pk).exists():
            raise not_found(name, pk)
    country = fields.get("country")
    changed = country is not None and (stored is None or getattr(stored, "country_id", None) != country.pk)
    if changed and visibility.scope_errors(actor, countries=[country], require_some=False):
        raise ValidationError(
            {"country": f"{country} is outside your regions; you may not record work there."}
        )


def _keep_hidden_links(actor: Any, fields: dict[str, Any], stored: models.Model) -> dict[str, Any]:
    """A link to an activity the actor may not see is kept when they send null: they were shown
    null (missions.api.serializers.VisibleActivityField), so null means "as it is", not "remove"."""
    kept = dict(fields)
    for name in ("follow_up_of", "fulfilled_by", "activity"):
        pk = getattr(stored, f"{name}_id", None)
        if pk is None or fields.get(name, fields.get(f"{name}_id", 0)) is not None:
            continue
        if not visibility.activities(actor).filter(pk=pk).exists():
            kept.pop(name, None)
            kept.pop(f"{name}_id", None)
    return kept


def _refuse_outside_scope(actor: Any, activity: Activity, countries: Any) -> None:
    """An officer records work of their own regions only (missions.visibility.scope_errors): the
    activity's region, host country and countries (a list, or a callable giving it) lie in them."""
    if visibility.region_ids(actor) is None:
        return  # headquarters, integrations without regions, the system
    chosen = list(countries()) if callable(countries) else countries
    errors = visibility.scope_errors(
        actor, region=activity.region, host_country=activity.host_country, countries=chosen
    )
    if errors:
        raise ValidationError(errors)


# --- Activities ----------------------------------------------------------------------------
def create_activity(
    *,
    actor: Any,
    reason: str,
    kind: str,
    countries: Iterable[CountryInput] = (),
    participations: Iterable[Mapping[str, Any]] = (),
    outcomes: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> Activity:
    """Create an activity of ``kind`` with its countries (country, role), participations and outcomes."""
    refuse_unknown(fields, _ACTIVITY_FIELDS - {"kind"}, "An activity")
    _refuse_hidden(actor, fields)
    country_rows = _resolve_countries(countries)
    participation_rows = _participation_rows(participations)
    outcome_rows = _outcome_rows(outcomes)
    activity = Activity(kind=kind, **fields)
    _check_activity(activity)
    _refuse_outside_scope(actor, activity, [country for country, _ in country_rows])
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        activity.save()
        _sync_countries(activity, country_rows)
        _sync_rows(activity, activity.participations, Participation, participation_rows, ("role",))
        _sync_rows(activity, activity.outcomes, OutcomeDocument, outcome_rows, ("kind", "title"))
    return activity


def update_activity(
    *,
    actor: Any,
    reason: str,
    activity: Activity,
    countries: Iterable[CountryInput] | None = None,
    participations: Iterable[Mapping[str, Any]] | None = None,
    outcomes: Iterable[Mapping[str, Any]] | None = None,
    expected_version: int | None = None,
    **fields: Any,
) -> Activity:
    """Change an activity's fields; a given set (countries, participations, outcomes) replaces the stored one.

    None leaves a set unchanged. Only what differs is written, so a repeated call writes nothing
    and leaves the version as it was; any change adds one to it. With ``expected_version`` (the
    version the caller's form was built from) a newer stored version refuses the whole call.
    Returns the stored activity (always an ``Activity``, even when a proxy instance is passed,
    because history is kept on the concrete model).
    """
    refuse_unknown(fields, _ACTIVITY_FIELDS, "An activity")
    fields = normalized(Activity, fields)
    country_rows = _resolve_countries(countries) if countries is not None else None
    participation_rows = _participation_rows(participations) if participations is not None else None
    outcome_rows = _outcome_rows(outcomes) if outcomes is not None else None
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        current = Activity.objects.select_for_update().get(pk=activity.pk)
        if expected_version is not None and current.version != expected_version:
            raise ValidationError(
                f"This activity was changed since you opened it (version {expected_version}, now "
                f"{current.version}); reload it to see that change (yours was not saved)."
            )
        fields = _keep_hidden_links(actor, fields, current)
        _refuse_hidden(actor, fields, stored=current)
        changed = _differs(current, fields)
        if changed:
            _assign(current, fields)
        if changed or country_rows is not None:
            given = None if country_rows is None else [country for country, _ in country_rows]
            _refuse_outside_scope(actor, current, current.countries.all if given is None else given)
        if changed:  # what is stored was valid: only a change needs checking
            _check_activity(current)
            current.version += 1
            current.save()
        rows_changed = [
            country_rows is not None and _sync_countries(current, country_rows),
            participation_rows is not None
            and _sync_rows(current, current.participations, Participation, participation_rows, ("role",)),
            outcome_rows is not None
            and _sync_rows(current, current.outcomes, OutcomeDocument, outcome_rows, ("kind", "title")),
        ]
        if any(rows_changed) and not changed:
            bump_version(current)
    return current


def delete_activity(*, actor: Any, reason: str, activity: Activity) -> None:
    """Delete an activity with its countries, participations and outcomes (history keeps them)."""
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        current = Activity.objects.get(pk=activity.pk)
        for child in [*current.country_roles.all(), *current.participations.all(), *current.outcomes.all()]:
            child.delete()
        current.delete()


# --- Action plans and follow-up requests ------------------------------------------------------
def _require_mission(mission: Activity | None) -> Activity:
    if mission is None:
        raise ValidationError({"mission": "This needs the technical-assistance mission it follows."})
    if mission.kind != ActivityKind.MISSION:
        raise ValidationError({"mission": f"'{mission}' is not a technical-assistance mission."})
    return mission


def _save(obj: models.Model, *, actor: Any, reason: str, missions: Iterable[int] = ()) -> None:
    """Save an action plan or follow-up request; a change of one is a change of its mission(s)."""
    with transaction.atomic():
        save_record(obj, actor=actor, reason=reason)
        for mission_id in sorted(set(missions)):
            bump_version(Activity(pk=mission_id))


def create_action_plan(
    *, actor: Any, reason: str, mission: Activity | None, country: Country, title: str, **fields: Any
) -> ActionPlan:
    """An action plan a country drew up after a technical-assistance mission."""
    refuse_unknown(fields, _ACTION_PLAN_FIELDS, "An action plan")
    _refuse_hidden(actor, {"mission": mission, "country": country, **fields})
    plan = ActionPlan(mission=_require_mission(mission), country=country, title=title, **fields)
    _save(plan, actor=actor, reason=reason, missions=[plan.mission_id])
    return plan


def update_action_plan(*, actor: Any, reason: str, action_plan: ActionPlan, **fields: Any) -> ActionPlan:
    refuse_unknown(fields, _ACTION_PLAN_FIELDS, "An action plan")
    fields = normalized(ActionPlan, fields)
    # Compare with what is stored: the caller's instance may already carry the new values (forms).
    current = ActionPlan.objects.get(pk=action_plan.pk)
    _refuse_hidden(actor, fields, stored=current)
    if "mission" in fields:
        _require_mission(fields["mission"])
    if _differs(current, fields):
        before = current.mission_id
        _assign(current, fields)
        _save(current, actor=actor, reason=reason, missions=[before, current.mission_id])
    return current


def delete_action_plan(*, actor: Any, reason: str, action_plan: ActionPlan) -> None:
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        action_plan.delete()
        bump_version(Activity(pk=action_plan.mission_id))


def create_follow_up_request(
    *, actor: Any, reason: str, mission: Activity | None, country: Country, kind: str, **fields: Any
) -> FollowUpRequest:
    """A country's request for more specialised help after a mission (legislative drafting, training ...)."""
    refuse_unknown(fields, _FOLLOW_UP_FIELDS, "A follow-up request")
    _refuse_hidden(actor, {"mission": mission, "country": country, **fields})
    request = FollowUpRequest(mission=_require_mission(mission), country=country, kind=kind, **fields)
    _save(request, actor=actor, reason=reason, missions=[request.mission_id])
    return request


def update_follow_up_request(
    *, actor: Any, reason: str, follow_up_request: FollowUpRequest, **fields: Any
) -> FollowUpRequest:
    refuse_unknown(fields, _FOLLOW_UP_FIELDS, "A follow-up request")
    fields = normalized(FollowUpRequest, fields)
    current = FollowUpRequest.objects.get(pk=follow_up_request.pk)
    fields = _keep_hidden_links(actor, fields, current)
    _refuse_hidden(actor, fields, stored=current)
    if "mission" in fields:
        _require_mission(fields["mission"])
    if _differs(current, fields):
        before = current.mission_id
        _assign(current, fields)
        _save(current, actor=actor, reason=reason, missions=[before, current.mission_id])
    return current


def set_follow_up_status(
    *,
    actor: Any,
    reason: str,
    follow_up_request: FollowUpRequest,
    status: str,
    fulfilled_by: Activity | None = None,
) -> FollowUpRequest:
    """Move a follow-up request to ``status``; a completed request may name the activity that fulfilled it."""
    if status not in FollowUpStatus.values:
        raise ValidationError(
            {"status": f"Unknown status '{status}'; use one of {', '.join(FollowUpStatus.values)}."}
        )
    if fulfilled_by is not None and status != FollowUpStatus.COMPLETED:
        raise ValidationError(
            {"fulfilled_by": "Only a completed request names the activity that fulfilled it."}
        )
    fields: dict[str, Any] = {"status": status}
    if fulfilled_by is not None:
        fields["fulfilled_by"] = fulfilled_by
    return update_follow_up_request(actor=actor, reason=reason, follow_up_request=follow_up_request, **fields)


def delete_follow_up_request(*, actor: Any, reason: str, follow_up_request: FollowUpRequest) -> None:
    with transaction.atomic(), change_context(actor=actor, reason=reason):
        follow_up_request.delete()
        bump_version(Activity(pk=follow_up_request.mission_id))
