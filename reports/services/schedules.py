"""Report schedules: which period a run covers, when the next run is due, and the dispatcher.

Audience: a schedule records who its reports are for when it is created (``audience``): all
(confidential records included) only when its creator sees confidential records
(``Actor.sees_confidential``: a token needs the confidential scope) and none of its addresses
lies outside the organisation; otherwise open. A later change keeps it, or lowers it to open
when an outside address is added; each report is open too when a recipient may not see
confidential records (``audience_of``). Extra addresses are added only by holders of
``reports.add_external_recipients`` (administrators), and one outside the organisation
(``ORGANISATION_EMAIL_DOMAINS``) only when its domain is allowed
(``REPORT_ALLOWED_EXTERNAL_DOMAINS``).

The dispatcher claims each due schedule with a conditional UPDATE (the row moves on only if its
``next_run_at`` is still the value this process read), so two beat or worker processes never
produce the same report twice; the unique constraint on schedule + period is the last guard.
A schedule that fell behind (paused, or given a next run in the past) runs once, for the
latest complete period, and moves to its next future run: the periods in between are not
made up one per dispatch.

One account creates at most ``REPORT_SCHEDULES_PER_USER`` schedules (counted on
``created_by``); ``save_schedule`` refuses the next, for the admin and the API alike.
"""

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from croniter import croniter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from missions.visibility import countries_in_regions, region_ids
from tracker.actors import Actor, Audience
from tracker.history import change_context

from ..choices import Frequency, ReportFormat, RunStatus, ScopeKind
from ..models import Report, ReportSchedule
from . import queueing

logger = logging.getLogger(__name__)

EXTERNAL_RECIPIENTS_PERMISSION = "reports.add_external_recipients"

# A failed report is tried again by the dispatcher, at most this many attempts in all, and
# not sooner than RETRY_AFTER after its last attempt.
MAX_ATTEMPTS = 3
RETRY_AFTER = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date


def _month_start(day: datetime.date, months_back: int = 0) -> datetime.date:
    index = day.year * 12 + (day.month - 1) - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def _at_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def period_for_run(*, frequency: str, cron: str = "", run_at: datetime.datetime) -> Period:
    """The last full period before ``run_at`` (calendar month, quarter or year, in UTC).

    For a cron schedule: from the previous firing of the expression before ``run_at`` up to
    the day before the run (one day at least).
    """
    day = run_at.astimezone(datetime.UTC).date()
    if frequency == Frequency.MONTHLY:
        start = _month_start(day, 1)
        return Period(start, _month_start(day) - datetime.timedelta(days=1))
    if frequency == Frequency.QUARTERLY:
        this_quarter = datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        start = _month_start(this_quarter, 3)
        return Period(start, this_quarter - datetime.timedelta(days=1))
    if frequency == Frequency.YEARLY:
        return Period(datetime.date(day.year - 1, 1, 1), datetime.date(day.year - 1, 12, 31))
    if frequency == Frequency.CRON:
        previous = croniter(cron, run_at.astimezone(datetime.UTC)).get_prev(datetime.datetime)
        start = previous.date()
        end = max(start, day - datetime.timedelta(days=1))
        return Period(start, end)
    raise ValidationError({"frequency": f"Unknown frequency {frequency!r}."})


def next_run_after(*, frequency: str, cron: str = "", after: datetime.datetime) -> datetime.datetime:
    """The first run time strictly after ``after``: the start (00:00 UTC) of the next period."""
    after = after.astimezone(datetime.UTC)
    day = after.date()
    if frequency == Frequency.MONTHLY:
        return _at_midnight(_month_start(_month_start(day), -1))
    if frequency == Frequency.QUARTERLY:
        this_quarter = datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return _at_midnight(_month_start(this_quarter, -3))
    if frequency == Frequency.YEARLY:
        return _at_midnight(datetime.date(day.year + 1, 1, 1))
    if frequency == Frequency.CRON:
        nxt: datetime.datetime = croniter(cron, after).get_next(datetime.datetime)
        return nxt
    raise ValidationError({"frequency": f"Unknown frequency {frequency!r}."})


def _last_period_start(*, frequency: str, cron: str, at: datetime.datetime) -> datetime.datetime:
    """The latest start of a period (a cron expression's firing) at or before ``at``."""
    at = at.astimezone(datetime.UTC)
    day = at.date()
    if frequency == Frequency.MONTHLY:
        return _at_midnight(_month_start(day))
    if frequency == Frequency.QUARTERLY:
        return _at_midnight(datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1))
    if frequency == Frequency.YEARLY:
        return _at_midnight(datetime.date(day.year, 1, 1))
    if frequency == Frequency.CRON:
        minute = at.replace(second=0, microsecond=0)  # cron fires on whole minutes
        if croniter.match(cron, minute):
            return minute
        previous: datetime.datetime = croniter(cron, minute).get_prev(datetime.datetime)
        return previous
    raise ValidationError({"frequency": f"Unknown frequency {frequency!r}."})


def latest_run_at(
    *, frequency: str, cron: str = "", due_at: datetime.datetime, now: datetime.datetime
) -> datetime.datetime:
    """The one run a schedule due at ``due_at`` (at or before ``now``) makes at ``now``.

    ``due_at`` itself while no later run time has come; otherwise the latest run time at or
    before ``now``, so a schedule years behind reports on the latest complete period only, and
    its next run (``next_run_after`` this one) lies after ``now``.
    """
    return max(due_at, _last_period_start(frequency=frequency, cron=cron, at=now))


def validate_schedule(schedule: ReportSchedule) -> None:
    """Check what the model cannot: cron syntax, formats, scope, extra addresses."""
    errors: dict[str, str] = {}
    if schedule.frequency == Frequency.CRON:
        if not schedule.cron.strip():
            errors["cron"] = "A cron schedule needs a cron expression, e.g. '0 6 1 * *'."
        elif not croniter.is_valid(schedule.cron):
            errors["cron"] = f"{schedule.cron!r} is not a valid cron expression (five fields)."
    elif schedule.cron.strip():
        errors["cron"] = "A cron expression is only used with the cron frequency."
    formats = schedule.formats
    allowed = set(ReportFormat.values)
    if not isinstance(formats, list) or not formats:
        errors["formats"] = f"Choose at least one format among {', '.join(sorted(allowed))}."
    elif unknown := sorted({str(f) for f in formats} - allowed):
        errors["formats"] = f"Unknown format(s) {', '.join(unknown)}; use {', '.join(sorted(allowed))}."
    elif len(set(formats)) != len(formats):
        errors["formats"] = "A format is listed twice."
    if schedule.scope_kind == ScopeKind.REGION and not schedule.scope_region_id:
        errors["scope_region"] = "A regional schedule needs its region."
    if schedule.scope_kind == ScopeKind.COUNTRY and not schedule.scope_country_id:
        errors["scope_country"] = "A country schedule needs its country."
    if schedule.scope_kind != ScopeKind.REGION and schedule.scope_region_id:
        errors["scope_region"] = "A region is only set for the regional scope."
    if schedule.scope_kind != ScopeKind.COUNTRY and schedule.scope_country_id:
        errors["scope_country"] = "A country is only set for the country scope."
    for line in extra_addresses(schedule):
        try:
            validate_email(line)
        except ValidationError:
            errors["extra_addresses"] = f"{line!r} is not an e-mail address."
            break
    if errors:
        raise ValidationError(errors)


def check_scope_of(user: object, *, scope_kind: str, scope_region: Any, scope_country: Any) -> None:
    """A report's scope must lie within the regions of whoever asks for it (or created its schedule).

    People limited to their regions (missions.visibility.region_ids) may ask for their regions
    and their countries only; global reports need headquarters (tracker.access_all_regions). A
    system actor (None: Celery tasks) is not limited: what it runs was checked when it was saved.
    """
    if user is None or Actor.of(user).is_system:
        return
    ids = region_ids(user)
    if ids is None:
        return
    if scope_kind == ScopeKind.REGION and scope_region is not None and scope_region.pk not in ids:
        raise ValidationError({"scope_region": f"{scope_region} is outside your regions."})
    country_pk: Any = getattr(scope_country, "pk", None)
    in_scope = countries_in_regions(ids).filter(pk=country_pk)
    if scope_kind == ScopeKind.COUNTRY and scope_country is not None and not in_scope.exists():
        raise ValidationError({"scope_country": f"{scope_country} is outside your regions."})
    if scope_kind == ScopeKind.GLOBAL:
        raise ValidationError(
            {"scope_region": "Choose one of your regions: a global report covers regions outside yours."}
        )


def extra_addresses(schedule: ReportSchedule) -> list[str]:
    return [line.strip() for line in schedule.extra_addresses.splitlines() if line.strip()]


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower()


def is_outside(address: str) -> bool:
    """An address whose domain is not one of the organisation's (ORGANISATION_EMAIL_DOMAINS)."""
    return _domain(address) not in set(getattr(settings, "ORGANISATION_EMAIL_DOMAINS", []))


def sends_outside(schedule: ReportSchedule) -> bool:
    """Whether any extra address lies outside the organisation (its users' accounts do not)."""
    return any(is_outside(address) for address in extra_addresses(schedule))


def check_extra_addresses(actor: Any, schedule: ReportSchedule, *, before: list[str]) -> None:
    """Only administrators add extra addresses, and an outside one only with an allowed domain."""
    known = {address.lower() for address in before}
    added = [address for address in extra_addresses(schedule) if address.lower() not in known]
    if not added:
        return
    if not Actor.of(actor).has_perm(EXTERNAL_RECIPIENTS_PERMISSION):
        raise ValidationError(
            {
                "extra_addresses": (
                    f"You may not add {added[0]}: extra addresses are added by administrators "
                    f"(permission {EXTERNAL_RECIPIENTS_PERMISSION})."
                )
            }
        )
    allowed = set(getattr(settings, "REPORT_ALLOWED_EXTERNAL_DOMAINS", []))
    for address in added:
        if is_outside(address) and _domain(address) not in allowed:
            raise ValidationError(
                {
                    "extra_addresses": (
                        f"{address} is outside the organisation and its domain {_domain(address)} "
                        "is not allowed (REPORT_ALLOWED_EXTERNAL_DOMAINS)."
                    )
                }
            )


def audience_of(schedule: ReportSchedule) -> str:
    """The audience of the schedule's next report: its own, but open as soon as it sends outside
    the organisation or to a recipient who may not see confidential records (a report never
    shows more than each of its readers may see)."""
    if schedule.audience == Audience.OPEN or sends_outside(schedule):
        return Audience.OPEN
    recipients = schedule.recipients.filter(is_active=True)
    if any(not Actor.of(user).sees_confidential for user in recipients):
        return Audience.OPEN
    return Audience.ALL


def recipient_addresses(schedule: ReportSchedule) -> list[str]:
    """Every address a schedule's reports go to: its users' (active, with an address) and the extras."""
    addresses = [
        user.email for user in schedule.recipients.filter(is_active=True).exclude(email="").order_by("email")
    ]
    for address in extra_addresses(schedule):
        if address.lower() not in {a.lower() for a in addresses}:
            addresses.append(address)
    return addresses


def check_schedule_limit(actor: object, *, lock: bool = False) -> None:
    """Refuse a new schedule to an account that already created ``REPORT_SCHEDULES_PER_USER``.

    Counted on ``created_by``: the account whose user creates it (a token's service user). The
    system (None) is not limited. With ``lock``, inside the saving transaction, the account's
    row is locked first, so two creations at once cannot both pass the count.
    """
    user = Actor.of(actor).user
    if user is None or getattr(user, "pk", None) is None:
        return
    limit: int = settings.REPORT_SCHEDULES_PER_USER
    if lock:
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    count = ReportSchedule.objects.filter(created_by=user.pk).count()
    if count >= limit:
        raise ValidationError(
            f"{user} has already created {count} report schedules, the most one account may "
            f"(REPORT_SCHEDULES_PER_USER = {limit}): change or delete one of them instead."
        )


def save_schedule(
    *,
    actor: object,
    schedule: ReportSchedule,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> ReportSchedule:
    """Validate and save a schedule (its recipients are set by the caller afterwards).

    ``actor`` is whoever saves it: ``Actor.of(request)`` (a token keeps its scopes), a user, or
    None for the system. The audience is recorded at creation and only ever lowered later. A
    schedule without a next run gets the start of the period after ``now`` (the time of the call
    unless given: the rule is tested for fixed days, the doors pass the real time).
    """
    validate_schedule(schedule)  # first: a bad cron expression must be an error, not a crash below
    who = Actor.of(actor)
    before = (
        ReportSchedule.objects.filter(pk=schedule.pk).values_list("extra_addresses", "audience").first()
        if schedule.pk is not None
        else None
    )
    check_extra_addresses(
        who, schedule, before=[] if before is None else [a.strip() for a in before[0].splitlines()]
    )
    if before is None:
        schedule.audience = Audience.ALL if who.sees_confidential else Audience.OPEN
    else:
        schedule.audience = before[1]
    if sends_outside(schedule):
        schedule.audience = Audience.OPEN
    if not schedule.next_run_at:
        schedule.next_run_at = next_run_after(
            frequency=schedule.frequency, cron=schedule.cron, after=now or timezone.now()
        )
    schedule.full_clean()
    creator = schedule.created_by if schedule.created_by_id else who
    check_scope_of(
        creator,
        scope_kind=schedule.scope_kind,
        scope_region=schedule.scope_region,
        scope_country=schedule.scope_country,
    )
    creating = schedule.pk is None
    if creating and who.user is not None and getattr(who.user, "pk", None):
        schedule.created_by = who.user
    with transaction.atomic(), change_context(actor=who, reason=reason or "report schedule saved"):
        if creating:
            check_schedule_limit(who, lock=True)
        schedule.save()
    return schedule


def change_schedule(
    *,
    actor: object,
    schedule: ReportSchedule,
    changes: dict[str, Any],
    reason: str = "",
    now: datetime.datetime | None = None,
) -> ReportSchedule:
    """Apply ``changes`` (field values) and save; a new frequency or cron expression moves the
    next run to the start of the next period after ``now`` under it, unless ``changes`` sets
    next_run_at."""
    retimed = any(
        name in changes and changes[name] != getattr(schedule, name) for name in ("frequency", "cron")
    )
    for name, value in changes.items():
        setattr(schedule, name, value)
    if retimed and "next_run_at" not in changes:
        schedule.next_run_at = None  # type: ignore[assignment]  # save_schedule computes it
    return save_schedule(actor=actor, schedule=schedule, reason=reason, now=now)


def enqueue_generation(report_id: int) -> None:
    """Send the report's generation to the workers once the current transaction commits (a
    broker that is away leaves the report pending for the sweep: reports/services/queueing.py)."""
    queueing.queue_generation_on_commit(report_id)


def report_title(schedule: ReportSchedule, period: Period) -> str:
    return f"{schedule.name}: {period.start.isoformat()} to {period.end.isoformat()}"


def dispatch_due(*, now: datetime.datetime) -> list[Report]:
    """Create (pending) the reports of every schedule due at ``now`` and enqueue their generation.

    Safe to run concurrently: each schedule is claimed by a conditional UPDATE, and a report
    for a schedule's period is created at most once (unique constraint). A schedule behind by
    several runs makes one report, for its latest complete period (``latest_run_at``), and its
    next run moves past ``now``. Failed reports with attempts left are also put back in the
    queue (bounded retry).
    """
    created: list[Report] = []
    due = list(
        ReportSchedule.objects.filter(is_active=True, next_run_at__lte=now)
        .order_by("next_run_at", "pk")
        .values_list("pk", "next_run_at", "frequency", "cron")
    )
    for pk, old_run_at, frequency, cron in due:
        run_at = latest_run_at(frequency=frequency, cron=cron, due_at=old_run_at, now=now)
        new_run_at = next_run_after(frequency=frequency, cron=cron, after=run_at)
        with transaction.atomic():
            claimed = ReportSchedule.objects.filter(pk=pk, next_run_at=old_run_at, is_active=True).update(
                next_run_at=new_run_at, last_run_at=now
            )
            if claimed != 1:
                logger.info("schedule %s already claimed by another dispatcher", pk)
                continue
            schedule = ReportSchedule.objects.select_related("scope_region", "scope_country").get(pk=pk)
            period = period_for_run(frequency=frequency, cron=cron, run_at=run_at)
            if run_at != old_run_at:
                logger.info(
                    "schedule %s was due at %s: one report, for %s to %s; next run %s",
                    pk,
                    old_run_at.isoformat(),
                    period.start,
                    period.end,
                    new_run_at.isoformat(),
                )
            try:
                with transaction.atomic():
                    report = Report.objects.create(
                        schedule=schedule,
                        title=report_title(schedule, period),
                        period_start=period.start,
                        period_end=period.end,
                        scope_kind=schedule.scope_kind,
                        scope_region=schedule.scope_region,
                        scope_country=schedule.scope_country,
                        formats=list(schedule.formats),
                        audience=audience_of(schedule),
                    )
            except IntegrityError:
                logger.info("schedule %s already has its report for %s", pk, period)
                continue
            enqueue_generation(report.pk)
            created.append(report)
    retry_failed(now=now)
    return created


def retry_failed(*, now: datetime.datetime) -> list[int]:
    """Put failed reports with attempts left back to pending and enqueue them; returns their ids."""
    retried: list[int] = []
    candidates = Report.objects.filter(
        status=RunStatus.FAILED, attempts__lt=MAX_ATTEMPTS, updated_at__lte=now - RETRY_AFTER
    ).values_list("pk", flat=True)
    for pk in list(candidates):
        with transaction.atomic():
            if (
                Report.objects.filter(pk=pk, status=RunStatus.FAILED, attempts__lt=MAX_ATTEMPTS).update(
                    status=RunStatus.PENDING, updated_at=now
                )
                == 1
            ):
                enqueue_generation(pk)
                retried.append(pk)
    return retried


def request_report(
    *,
    actor: object,
    title: str,
    period_start: datetime.date,
    period_end: datetime.date,
    formats: list[str],
    scope_kind: str = ScopeKind.GLOBAL,
    scope_region: object = None,
    scope_country: object = None,
) -> Report:
    """Create a report on demand (no schedule) and enqueue its generation."""
    who = Actor.of(actor)
    if period_end < period_start:
        raise ValidationError({"period_end": "The period ends before it starts."})
    report = Report(
        title=title,
        period_start=period_start,
        period_end=period_end,
        formats=formats,
        scope_kind=scope_kind,
        scope_region=scope_region,  # type: ignore[misc]  # a Region or None
        scope_country=scope_country,  # type: ignore[misc]  # a Country or None
        requested_by=who.user if getattr(who.user, "pk", None) else None,
        audience=who.audience,  # the requester's: a report never shows more than its reader sees
    )
    probe = ReportSchedule(
        name="-",
        formats=formats,
        scope_kind=scope_kind,
        next_run_at=timezone.now(),
        scope_region=scope_region,
        scope_country=scope_country,  # type: ignore[misc]  # see above
    )
    validate_schedule(probe)
    check_scope_of(who, scope_kind=scope_kind, scope_region=scope_region, scope_country=scope_country)
    report.full_clean()
    with transaction.atomic(), change_context(actor=who, reason="report requested"):
        report.save()
        enqueue_generation(report.pk)
    return report


def regenerate(*, report: Report, actor: object = None, reason: str = "regenerated") -> bool:
    """Put a finished or failed report back to pending (attempts reset) and enqueue it."""
    with transaction.atomic(), change_context(actor=Actor.of(actor), reason=reason):
        changed = Report.objects.filter(pk=report.pk, status__in=[RunStatus.DONE, RunStatus.FAILED]).update(
            status=RunStatus.PENDING, attempts=0, error="", updated_at=timezone.now()
        )
        if changed:
            enqueue_generation(report.pk)
    return bool(changed)


def set_active(*, actor: object, schedule: ReportSchedule, active: bool) -> ReportSchedule:
    """Pause or resume a schedule."""
    reason = "resumed" if active else "paused"
    return change_schedule(actor=actor, schedule=schedule, changes={"is_active": active}, reason=reason)


def delete_schedule(*, actor: object, schedule: ReportSchedule, reason: str) -> None:
    """Delete a schedule; its reports stay (their schedule becomes empty)."""
    with transaction.atomic(), change_context(actor=Actor.of(actor), reason=reason):
        schedule.delete()


__all__ = [
    "MAX_ATTEMPTS",
    "Period",
    "audience_of",
    "change_schedule",
    "check_schedule_limit",
    "delete_schedule",
    "dispatch_due",
    "latest_run_at",
    "next_run_after",
    "period_for_run",
    "recipient_addresses",
    "regenerate",
    "request_report",
    "retry_failed",
    "save_schedule",
    "set_active",
    "validate_schedule",
]
