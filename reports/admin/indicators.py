"""Admin for indicator definitions, published figures, snapshots and computation runs.

Each definition has a page of its values over time (reports/templates/admin/reports/
indicatordefinition/values.html) against its baseline, targets and published figures, each
value with its coverage and its difference from what was published. Officers request a
recompute there (or with the changelist action) and follow it on the ComputationRun pages.

Every value shown is of the reader's audience (``missions.visibility.visible``: without
confidential records unless they may see them). Definitions are created, changed and deleted
by administrators only, through ``reports.services.definitions``; officers read them.
"""

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from missions import visibility
from missions.admin.visible import NoFormWrites, VisibleLogAdmin
from tracker.actors import Actor

from ..indicators import formula_for
from ..models import ComputationRun, IndicatorDefinition, IndicatorTarget, IndicatorValue, PublishedFigure
from ..services import definitions, recovery
from ..services.recompute import request_computation
from ..services.snapshots import comparable_when_key, scope_from_key

YEAR_2006 = "2006-01-01..2006-12-31"
JAN_2003 = "2003-01-01"
JAN_2007 = "2007-01-01"
RECOMPUTE_PERMISSION = "reports.add_computationrun"


def _value_at(actor: Actor, when_key: str) -> Subquery:
    values = IndicatorValue.objects.filter(indicator=OuterRef("pk"), when_key=when_key, scope_key="global")
    return Subquery(visibility.visible(actor, values).values("value")[:1])


class IndicatorTargetInline(admin.TabularInline):
    model = IndicatorTarget
    extra = 0


class PublishedFigureInline(admin.TabularInline):
    model = PublishedFigure
    extra = 0
    fields = (
        "figure_id",
        "value",
        "unit",
        "exactness",
        "period_start",
        "period_end",
        "reference_date",
        "paragraph",
    )
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RecomputeForm(forms.Form):
    period_start = forms.DateField(required=False)
    period_end = forms.DateField(required=False)
    reference_date = forms.DateField(required=False)
    scope_key = forms.CharField(initial="global", max_length=40)


@admin.register(IndicatorDefinition)
class IndicatorDefinitionAdmin(SimpleHistoryAdmin):
    list_display = (
        "code",
        "name",
        "unit",
        "source_paragraph",
        "value_2006",
        "value_jan_2003",
        "value_jan_2007",
        "values_link",
    )
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    readonly_fields = ("formula_version", "takes_reference_date")
    inlines = (IndicatorTargetInline, PublishedFigureInline)
    actions = ("recompute_standard",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[IndicatorDefinition]:
        actor = Actor.of(request)
        return (
            super()
            .get_queryset(request)
            .annotate(
                v2006=_value_at(actor, YEAR_2006),
                v2003=_value_at(actor, JAN_2003),
                v2007=_value_at(actor, JAN_2007),
            )
        )

    # --- writes, through reports.services.definitions ---------------------------------------
    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # reverting would write around the service; edit the record instead

    def save_model(self, request: HttpRequest, obj: IndicatorDefinition, form: Any, change: bool) -> None:
        reason = "changed in the admin" if change else "added in the admin"
        definitions.save_definition(actor=Actor.of(request), reason=reason, definition=obj)

    def delete_model(self, request: HttpRequest, obj: IndicatorDefinition) -> None:
        definitions.delete_definition(actor=Actor.of(request), reason="deleted in the admin", definition=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[IndicatorDefinition]) -> None:
        for definition in queryset:
            self.delete_model(request, definition)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The targets inline, through the service (the published figures inline is read-only).

        Fills the lists Django's change message reads (new, changed and deleted objects)."""
        actor = Actor.of(request)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            target = inline_form.instance
            if formset.can_delete and inline_form.cleaned_data.get("DELETE"):
                if target.pk is not None:
                    definitions.delete_target(
                        actor=actor, reason="target deleted in the admin", target=target
                    )
                    formset.deleted_objects.append(target)
                continue
            if not inline_form.has_changed():
                continue
            added = target.pk is None
            setattr(target, formset.fk.name, formset.instance)  # the definition, saved just before
            definitions.save_target(actor=actor, reason="target set in the admin", target=target)
            if added:
                formset.new_objects.append(target)
            else:
                formset.changed_objects.append((target, inline_form.changed_data))

    @admin.display(description="2006 (global)")
    def value_2006(self, obj: Any) -> Any:
        return obj.v2006 if obj.v2006 is not None else "—"

    @admin.display(description="1 Jan 2003")
    def value_jan_2003(self, obj: Any) -> Any:
        return obj.v2003 if obj.v2003 is not None else "—"

    @admin.display(description="1 Jan 2007")
    def value_jan_2007(self, obj: Any) -> Any:
        return obj.v2007 if obj.v2007 is not None else "—"

    @admin.display(description="Values over time")
    def values_link(self, obj: IndicatorDefinition) -> str:
        url = reverse("admin:reports_indicatordefinition_values", args=[obj.pk])
        return format_html('<a href="{}">values</a>', url)

    def has_recompute_permission(self, request: HttpRequest) -> bool:
        """Officers request computations (they no longer change definitions)."""
        return bool(request.user.has_perm(RECOMPUTE_PERMISSION))

    @admin.action(
        description="Recompute the standard periods and dates of the selected indicators",
        permissions=["recompute"],
    )
    def recompute_standard(self, request: HttpRequest, queryset: QuerySet[IndicatorDefinition]) -> None:
        runs = [request_computation(indicator=d, actor=request.user) for d in queryset]
        self.message_user(request, f"{len(runs)} computation run(s) requested.", messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:pk>/values/",
                self.admin_site.admin_view(self.values_view),
                name="reports_indicatordefinition_values",
            ),
            path(
                "<int:pk>/recompute/",
                self.admin_site.admin_view(self.recompute_view),
                name="reports_indicatordefinition_recompute",
            ),
        ]
        return own + super().get_urls()

    # --- the values page ------------------------------------------------------------------
    def values_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        definition = get_object_or_404(IndicatorDefinition, pk=pk)
        if not self.has_view_permission(request, definition):
            raise PermissionDenied
        scope_key = request.GET.get("scope", "global")
        actor = Actor.of(request)
        values = IndicatorValue.objects.filter(indicator=definition, scope_key=scope_key)
        snapshots = list(visibility.visible(actor, values))
        previous = _previous_values(definition, scope_key, audience=actor.audience)
        figures = list(definition.published_figures.all())
        by_key = {s.when_key: s for s in snapshots}
        published_by_key: dict[str, list[dict[str, Any]]] = {}
        figure_rows = []
        for figure in figures:
            key, how = comparable_when_key(figure, takes_reference_date=bool(definition.takes_reference_date))
            ours = by_key.get(key) if key else None
            row = {
                "figure": figure,
                "key": key,
                "how": how,
                "ours": ours,
                "difference": ours.value - figure.value if ours is not None else None,
            }
            figure_rows.append(row)
            if key:
                published_by_key.setdefault(key, []).append(row)
        rows = [
            {
                "snapshot": s,
                "previous": previous.get(s.pk),
                "published": published_by_key.get(s.when_key, []),
            }
            for s in sorted(snapshots, key=lambda s: (s.reference_date or s.period_start, s.when_key))
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{definition.code}: values over time",
            "definition": definition,
            "scope_key": scope_key,
            "rows": rows,
            "figure_rows": figure_rows,
            "targets": list(definition.targets.all()),
            "chart": _chart(definition, snapshots),
            "runs": list(
                ComputationRun.objects.filter(indicator=definition).select_related("requested_by")[:10]
            ),
            "form": RecomputeForm(initial={"scope_key": scope_key}),
            "can_recompute": request.user.has_perm(RECOMPUTE_PERMISSION),
        }
        return TemplateResponse(request, "admin/reports/indicatordefinition/values.html", context)

    def recompute_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        definition = get_object_or_404(IndicatorDefinition, pk=pk)
        if request.method != "POST" or not request.user.has_perm(RECOMPUTE_PERMISSION):
            raise PermissionDenied
        form = RecomputeForm(request.POST)
        values_url = reverse("admin:reports_indicatordefinition_values", args=[pk])
        if not form.is_valid():
            self.message_user(request, f"Not requested: {form.errors.as_text()}", messages.ERROR)
            return HttpResponseRedirect(values_url)
        data = form.cleaned_data
        start, end = data["period_start"], data["period_end"]
        try:
            if bool(start) != bool(end):
                raise ValidationError(
                    {"period_end" if start else "period_start": "A period needs both ends."}
                )
            scope_from_key(data["scope_key"])
            formula_for(definition)
            run = request_computation(
                indicator=definition,
                period=(start, end) if start and end else None,
                reference_date=data["reference_date"],
                scope_key=data["scope_key"],
                actor=request.user,
            )
        except ValidationError as exc:
            detail = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in exc.message_dict.items())
            self.message_user(request, f"Not requested: {detail}", messages.ERROR)
            return HttpResponseRedirect(values_url)
        run_url = reverse("admin:reports_computationrun_change", args=[run.pk])
        self.message_user(
            request,
            format_html('Computation run <a href="{}">{}</a> requested.', run_url, run.pk),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(values_url)


def _previous_values(definition: IndicatorDefinition, scope_key: str, *, audience: str) -> dict[int, Decimal]:
    """Each snapshot's value before its latest change, from its history (one query)."""
    rows = (
        IndicatorValue.history.filter(indicator_id=definition.pk, scope_key=scope_key, audience=audience)  # type: ignore[attr-defined]  # django-simple-history
        .order_by("id", "-history_date", "-history_id")
        .values_list("id", "value")
    )
    latest: dict[int, Decimal] = {}
    previous: dict[int, Decimal] = {}
    for snapshot_id, value in rows:
        if snapshot_id not in latest:
            latest[snapshot_id] = value
        elif snapshot_id not in previous and value != latest[snapshot_id]:
            previous[snapshot_id] = value
    return previous


def _chart(definition: IndicatorDefinition, snapshots: list[IndicatorValue]) -> dict[str, Any] | None:
    """A small line chart: values at 1 January (stocks) or per calendar year (flows)."""

    def x_of(s: IndicatorValue) -> datetime.date | None:
        if s.reference_date is not None:
            return s.reference_date
        start, end = s.period_start, s.period_end
        if (
            start
            and end
            and (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)
            and start.year == end.year
        ):
            return start
        return None

    points = sorted((x, s.value) for s in snapshots if (x := x_of(s)) is not None)
    if len(points) < 2:
        return None
    width, height, pad = 640, 220, 40
    years = [p[0].year for p in points]
    low, high = min(years), max(years)
    top = max(max(p[1] for p in points), definition.baseline_value or 0, Decimal(1))

    def xy(year: int, value: Decimal) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * (year - low) / max(high - low, 1)
        y = height - pad - (height - 2 * pad) * float(value) / float(top)
        return round(x, 1), round(y, 1)

    coords = [xy(d.year, v) for d, v in points]
    return {
        "width": width,
        "height": height,
        "polyline": " ".join(f"{x},{y}" for x, y in coords),
        "points": [
            {"x": x, "y": y, "label": f"{d.isoformat()}: {v}"}
            for (x, y), (d, v) in zip(coords, points, strict=True)
        ],
        "low": low,
        "high": high,
        "top": top,
        "axis_y": height - pad,
        "axis_x_end": width - pad,
        "pad": pad,
    }


@admin.register(PublishedFigure)
class PublishedFigureAdmin(SimpleHistoryAdmin):
    list_display = (
        "figure_id",
        "indicator",
        "value",
        "unit",
        "exactness",
        "period_start",
        "period_end",
        "reference_date",
        "paragraph",
    )
    list_filter = ("exactness", "indicator")
    list_select_related = ("indicator",)
    search_fields = ("figure_id", "meaning", "notes")

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # reverting would write around the service; edit the record instead

    def save_model(self, request: HttpRequest, obj: PublishedFigure, form: Any, change: bool) -> None:
        reason = "changed in the admin" if change else "added in the admin"
        definitions.save_published_figure(actor=Actor.of(request), reason=reason, figure=obj)

    def delete_model(self, request: HttpRequest, obj: PublishedFigure) -> None:
        definitions.delete_published_figure(
            actor=Actor.of(request), reason="deleted in the admin", figure=obj
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PublishedFigure]) -> None:
        for figure in queryset:
            self.delete_model(request, figure)


@admin.register(IndicatorValue)
class IndicatorValueAdmin(NoFormWrites, SimpleHistoryAdmin):
    """Snapshots are written by the computation only; their history shows every earlier value."""

    list_display = (
        "indicator",
        "when_key",
        "scope_key",
        "audience",
        "value",
        "coverage",
        "is_complete",
        "input_count",
        "computed_at",
    )
    list_filter = ("indicator", "scope_kind", "is_complete")
    list_select_related = ("indicator",)
    search_fields = ("indicator__code", "when_key", "scope_key")

    def get_queryset(self, request: HttpRequest) -> QuerySet[IndicatorValue]:
        return visibility.visible(Actor.of(request), super().get_queryset(request))

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        # django-simple-history falls back to the history rows of an object the queryset hides.
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404
        return super().history_view(request, object_id, extra_context)


@admin.register(ComputationRun)
class ComputationRunAdmin(VisibleLogAdmin):
    list_display = (
        "pk",
        "indicator",
        "period_start",
        "period_end",
        "reference_date",
        "scope_key",
        "status",
        "requested_by",
        "requested_at",
        "finished_at",
        "values_written",
        "values_changed",
        "attempts",
    )
    list_filter = ("status", "indicator")
    list_select_related = ("indicator", "requested_by")
    readonly_fields = [f.name for f in ComputationRun._meta.fields]
    actions = ("request_again", "retry")

    # Runs are a log written by reports.services.recompute: read-only here; "request again"
    # asks the service for a new run.

    def has_request_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RECOMPUTE_PERMISSION)

    @admin.action(description="Request the selected computations again", permissions=["request"])
    def request_again(self, request: HttpRequest, queryset: QuerySet[ComputationRun]) -> None:
        for run in queryset.select_related("indicator"):
            request_computation(
                indicator=run.indicator,
                period=(run.period_start, run.period_end) if run.period_start and run.period_end else None,
                reference_date=run.reference_date,
                scope_key=run.scope_key,
                actor=request.user,
            )
        self.message_user(request, f"{queryset.count()} computation run(s) requested.", messages.SUCCESS)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(recovery.RUN_RETRY_PERMISSION)

    @admin.action(description="Retry the selected failed or stuck runs", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[ComputationRun]) -> None:
        retried = recovery.retry_runs(
            actor=Actor.of(request), runs=queryset, reason="retried in the admin", now=timezone.now()
        )
        self.message_user(request, f"{len(retried)} computation run(s) queued again.", messages.SUCCESS)
