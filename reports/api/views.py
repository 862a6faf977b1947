"""Viewsets of the reports resources."""

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponseBase
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from missions import visibility
from tracker.actors import Actor
from tracker.api.exceptions import Conflict
from tracker.api.idempotency import idempotent
from tracker.api.permissions import ChangePermission, TokenScope
from tracker.api.viewsets import ApiModelViewSet, ApiReadOnlyViewSet

from .. import filtersets
from ..choices import ReportFormat
from ..models import IndicatorDefinition, IndicatorValue, PublishedFigure, Report, ReportFile, ReportSchedule
from ..services import definitions, downloads
from ..services.recovery import retry_report
from ..services.reporting import CONTENT_TYPES
from ..services.schedules import change_schedule, delete_schedule, regenerate, save_schedule
from . import serializers


class IndicatorDefinitionViewSet(ApiModelViewSet):
    """Indicator definitions: what is measured, in which unit, from which paragraph."""

    queryset = IndicatorDefinition.objects.all()
    serializer_class = serializers.IndicatorDefinitionSerializer
    filterset_class = filtersets.IndicatorDefinitionFilterSet
    search_fields = ["code", "name", "description"]
    ordering_fields = ["id", "code", "display_order"]
    ordering = ["id"]

    # Writes go through reports.services.definitions (administrators only; a known formula).
    def create_record(self, data: dict[str, Any]) -> IndicatorDefinition:
        return definitions.create_definition(actor=self.actor(), reason=self.reason(), **data)

    def update_record(self, instance: IndicatorDefinition, data: dict[str, Any]) -> IndicatorDefinition:
        return definitions.update_definition(
            actor=self.actor(), reason=self.reason(), definition=instance, changes=data
        )

    def delete_record(self, instance: IndicatorDefinition) -> None:
        definitions.delete_definition(actor=self.actor(), reason=self.reason(), definition=instance)


class IndicatorValueViewSet(ApiReadOnlyViewSet):
    """Computed indicator values per period or reference date and scope (read-only: computed)."""

    queryset = IndicatorValue.objects.select_related("indicator", "scope_region", "scope_country")
    serializer_class = serializers.IndicatorValueSerializer
    filterset_class = filtersets.IndicatorValueFilterSet
    search_fields = ["indicator__code", "scope_key"]
    ordering_fields = ["id", "computed_at", "period_start", "reference_date"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Any]:
        # The values of the caller's audience only: without confidential records unless the
        # token has the confidential scope (and its user the permission).
        return visibility.visible(Actor.of(self.request), super().get_queryset())


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

    # The latest report's status, time and error come in the same query (last_result); on the
    # class queryset, so the reload after a write and the If-Match check show them too.
    queryset = (
        ReportSchedule.objects.with_last_result()
        .select_related("scope_region", "scope_country")
        .prefetch_related("recipients")
    )
    serializer_class = serializers.ReportScheduleSerializer
    filterset_class = filtersets.ReportScheduleFilterSet
    search_fields = ["name"]
    ordering_fields = ["id", "name", "next_run_at"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Any]:
        return visibility.visible(Actor.of(self.request), super().get_queryset())

    def create_record(self, data: dict[str, Any]) -> ReportSchedule:
        recipients = data.pop("recipients", [])
        with transaction.atomic():
            schedule = save_schedule(
                actor=self.actor(), schedule=ReportSchedule(**data), reason=self.reason()
            )
            schedule.recipients.set(recipients)
        return schedule

    def update_record(self, instance: ReportSchedule, data: dict[str, Any]) -> ReportSchedule:
        recipients = data.pop("recipients", None)
        with transaction.atomic():
            schedule = change_schedule(
                actor=self.actor(), schedule=instance, changes=data, reason=self.reason()
            )
            if recipients is not None:
                schedule.recipients.set(recipients)
        return schedule

    def delete_record(self, instance: ReportSchedule) -> None:
        delete_schedule(actor=self.actor(), schedule=instance, reason=self.reason())


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
        return visibility.visible(Actor.of(self.request), super().get_queryset())

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
        if not regenerate(report=report, actor=Actor.of(self.request), reason=self.reason()):
            raise Conflict(
                f"The report is {report.status}; it can be regenerated once it is done or failed "
                "(a stuck one: POST retry/)."
            )
        report.refresh_from_db()
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={202: serializers.ReportSerializer},
        description=(
            "Retry a failed, stuck (running under a lapsed lease) or pending report, or, when it "
            "is done, its failed, stuck or pending deliveries, with their attempts reset, as the "
            "admin's Retry actions do. A report running under a live lease, or done and fully "
            "delivered, gets 409. Needs the write scope and the change permission on reports "
            "(and on deliveries for those)."
        ),
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated, TokenScope, ChangePermission],
    )
    def retry(self, request: Request, pk: str | None = None) -> Response:
        return idempotent(request, lambda: self._retry())

    def _retry(self) -> Response:
        report = self.get_object()
        actor = Actor.of(self.request)
        if not retry_report(actor=actor, report=report, reason=self.reason(), now=timezone.now()):
            raise Conflict(f"The report is {report.status} with nothing to retry.")
        report.refresh_from_db()
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)

    # --- Downloads: GET /reports/{id}/files/{format}/ ------------------------------------------
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A file answers in its own type whatever Accept or ?format= ask for (errors stay JSON).
        return super().perform_content_negotiation(request, force=force or self.action == "download")

    @extend_schema(
        operation_id="reports_files_download",
        parameters=[
            OpenApiParameter(
                "fmt",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=ReportFormat.values,
                description="pdf, xlsx or html.",
            ),
            OpenApiParameter("format", exclude=True),  # the file's format is in the path
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The ETag of a copy you hold: 304 while the file is unchanged.",
            ),
        ],
        responses={
            **{
                (200, content_type.split(";")[0]): OpenApiResponse(
                    OpenApiTypes.BINARY,
                    description=(
                        "The file, as an attachment (Content-Disposition: attachment; filename=...), "
                        'in its format\'s type; ETag: its SHA-256 in quotes ("<sha256>").'
                    ),
                )
                for content_type in CONTENT_TYPES.values()
            },
            304: OpenApiResponse(description="Not modified: If-None-Match names the file's ETag."),
        },
        description=(
            "Download one of a report's files (``files[].download_url``). A report you may not see "
            "is 404, as a missing one. Needs the read scope and the view permission on reports."
        ),
    )
    @action(detail=True, methods=["get"], url_path=r"files/(?P<fmt>[^/.]+)", url_name="file")
    def download(self, request: Request, pk: str | None = None, fmt: str = "") -> HttpResponseBase:
        record = downloads.visible_file(actor=Actor.of(request), report_id=pk, fmt=fmt)
        if record is None:
            raise NotFound()
        return downloads.file_response(record, if_none_match=request.headers.get("If-None-Match", ""))
