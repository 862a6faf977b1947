"""Viewsets of the reports resources."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.api.exceptions import Conflict
from tracker.api.idempotency import idempotent
from tracker.api.permissions import ChangePermission, TokenScope
from tracker.api.viewsets import ApiModelViewSet, ApiReadOnlyViewSet

from .. import filtersets
from ..models import IndicatorDefinition, IndicatorValue, PublishedFigure, Report, ReportFile, ReportSchedule
from ..services.schedules import regenerate, visible_scoped
from . import serializers


class IndicatorDefinitionViewSet(ApiModelViewSet):
    """Indicator definitions: what is measured, in which unit, from which paragraph."""

    queryset = IndicatorDefinition.objects.all()
    serializer_class = serializers.IndicatorDefinitionSerializer
    filterset_class = filtersets.IndicatorDefinitionFilterSet
    search_fields = ["code", "name", "description"]
    ordering_fields = ["id", "code", "display_order"]
    ordering = ["id"]


class IndicatorValueViewSet(ApiReadOnlyViewSet):
    """Computed indicator values per period or reference date and scope (read-only: computed)."""

    queryset = IndicatorValue.objects.select_related("indicator", "scope_region", "scope_country")
    serializer_class = serializers.IndicatorValueSerializer
    filterset_class = filtersets.IndicatorValueFilterSet
    search_fields = ["indicator__code", "scope_key"]
    ordering_fields = ["id", "computed_at", "period_start", "reference_date"]
    ordering = ["id"]


class PublishedFigureViewSet(ApiReadOnlyViewSet):
    """Figures the office published (e.g. in E/CN.15/2007/9), beside the computed values."""

    queryset = PublishedFigure.objects.select_related("indicator")
    serializer_class = serializers.PublishedFigureSerializer
    filterset_class = filtersets.PublishedFigureFilterSet
    search_fields = ["figure_id", "meaning"]
    ordering_fields = ["id", "figure_id"]
    ordering = ["id"]


class ReportScheduleViewSet(ApiModelViewSet):
    """Report schedules: read, create, change (pause with ``is_active: false``) and delete.

    Every write goes through reports.services.schedules.save_schedule, as in the admin: the
    schedule is validated and its scope must lie within its creator's regions.
    """

    queryset = ReportSchedule.objects.select_related("scope_region", "scope_country").prefetch_related(
        "recipients"
    )
    serializer_class = serializers.ReportScheduleSerializer
    filterset_class = filtersets.ReportScheduleFilterSet
    search_fields = ["name"]
    ordering_fields = ["id", "name", "next_run_at"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Any]:
        return visible_scoped(self.request.user, super().get_queryset())

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "reason": self.reason()}


class ReportViewSet(ApiReadOnlyViewSet):
    """Generated reports with links to download their files (read-only)."""

    queryset = Report.objects.select_related("scope_region", "scope_country").prefetch_related(
        Prefetch("files", queryset=ReportFile.objects.order_by("format"))
    )
    serializer_class = serializers.ReportSerializer
    filterset_class = filtersets.ReportFilterSet
    search_fields = ["title"]
    ordering_fields = ["id", "created_at", "period_start"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Any]:
        return visible_scoped(self.request.user, super().get_queryset())

    @extend_schema(
        request=None,
        responses={202: serializers.ReportSerializer},
        description=(
            "Render a finished or failed report again (its files are replaced when done), as the "
            "admin's Regenerate action does. A pending or running report gets 409. Needs the write "
            "scope and the change permission on reports."
        ),
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated, TokenScope, ChangePermission],
    )
    def regenerate(self, request: Request, pk: str | None = None) -> Response:
        return idempotent(request, lambda: self._regenerate())

    def _regenerate(self) -> Response:
        report = self.get_object()
        if not regenerate(report=report):
            raise Conflict(f"The report is {report.status}; it can be regenerated once it is done or failed.")
        report.refresh_from_db()
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)
