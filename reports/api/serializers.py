"""Serializers of the reports resources: indicators, their values, schedules and reports."""

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from missions.api.serializers import country_field, region_field
from tracker.api.serializers import ApiModelSerializer

from ..choices import ReportFormat, RunStatus
from ..models import IndicatorDefinition, IndicatorValue, PublishedFigure, Report, ReportFile, ReportSchedule


class IndicatorDefinitionSerializer(ApiModelSerializer):
    formula_version = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Version of its formula in the code (read-only)."
    )
    takes_reference_date = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        help_text="Computed at a reference date (stock), not over a period (flow); from the code.",
    )

    class Meta:
        model = IndicatorDefinition
        fields = [
            "id",
            "code",
            "name",
            "description",
            "unit",
            "source_paragraph",
            "formula_version",
            "takes_reference_date",
            "baseline_value",
            "baseline_date",
            "is_active",
            "display_order",
        ]


class IndicatorValueSerializer(ApiModelSerializer):
    indicator: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Indicator code."
    )
    scope_region = region_field(
        read_only=True, allow_null=True, help_text="Region of a regional value (code)."
    )
    scope_country = country_field(
        read_only=True, allow_null=True, help_text="Country of a country value (ISO3)."
    )
    breakdown = serializers.JSONField(
        read_only=True, help_text="The value's parts (e.g. per country or kind)."
    )

    class Meta:
        model = IndicatorValue
        fields = [
            "id",
            "indicator",
            "period_start",
            "period_end",
            "reference_date",
            "scope_kind",
            "scope_region",
            "scope_country",
            "scope_key",
            "when_key",
            "audience",
            "value",
            "breakdown",
            "input_count",
            "input_fingerprint",
            "coverage",
            "is_complete",
            "formula_version",
            "computed_at",
        ]
        read_only_fields = fields


class PublishedFigureSerializer(ApiModelSerializer):
    indicator: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Indicator code."
    )

    class Meta:
        model = PublishedFigure
        fields = [
            "id",
            "figure_id",
            "indicator",
            "meaning",
            "value",
            "unit",
            "exactness",
            "period_start",
            "period_end",
            "reference_date",
            "document_symbol",
            "paragraph",
            "notes",
        ]
        read_only_fields = fields


class LastResultSerializer(serializers.Serializer):
    """The schedule's latest report: how it went, and when."""

    report = serializers.IntegerField(help_text="Id of the report (GET /reports/{id}/).")
    status = serializers.ChoiceField(choices=RunStatus.choices, help_text="pending, running, done or failed.")
    at = serializers.DateTimeField(help_text="When the report last changed (created, generated or failed).")
    error = serializers.CharField(help_text="Why it failed (empty unless failed).")


class ReportScheduleSerializer(ApiModelSerializer):
    recipients = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        many=True,
        required=False,
        help_text="User names of the recipients.",
    )
    scope_region = region_field(required=False, allow_null=True, help_text="For a regional scope (code).")
    scope_country = country_field(required=False, allow_null=True, help_text="For a country scope (ISO3).")
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=ReportFormat.choices),
        allow_empty=False,
        help_text="Any of pdf, xlsx, html.",
    )
    next_run_at = serializers.DateTimeField(
        required=False,
        help_text=(
            "When the next report is due (default: computed from the frequency). A time in the past "
            "runs once, for the latest complete period, and the next run moves past the present."
        ),
    )
    last_result = serializers.SerializerMethodField(
        help_text="The latest report's id, status, time and error; null before the first report."
    )

    class Meta:
        model = ReportSchedule
        fields = [
            "id",
            "name",
            "recipients",
            "extra_addresses",
            "frequency",
            "cron",
            "scope_kind",
            "scope_region",
            "scope_country",
            "formats",
            "audience",
            "is_active",
            "next_run_at",
            "last_run_at",
            "last_result",
        ]
        read_only_fields = ["last_run_at", "audience"]

    @extend_schema_field(LastResultSerializer(allow_null=True))
    def get_last_result(self, obj: ReportSchedule) -> dict[str, Any] | None:
        # Read from ReportSchedule.objects.with_last_result()'s annotations: no query per row.
        report_id = getattr(obj, "last_report_id", None)
        if report_id is None:
            return None
        return LastResultSerializer(
            {
                "report": report_id,
                "status": obj.last_report_status,  # type: ignore[attr-defined]  # annotation
                "at": obj.last_report_at,  # type: ignore[attr-defined]  # annotation
                "error": obj.last_report_error,  # type: ignore[attr-defined]  # annotation
            }
        ).data


class ReportFileSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(
        help_text=(
            "Absolute URL to download the file with your token (GET /reports/{id}/files/{format}/): "
            "the API checks that you may see the report; the storage is never reached directly."
        )
    )

    class Meta:
        model = ReportFile
        fields = ["format", "download_url", "sha256", "size", "created_at"]
        extra_kwargs = {
            "format": {"help_text": "pdf, xlsx or html."},
            "sha256": {"help_text": "SHA-256 of the file, to check the download."},
            "size": {"help_text": "Size in bytes."},
            "created_at": {"help_text": "When the file was rendered."},
        }

    def get_download_url(self, obj: ReportFile) -> str:
        url: str = reverse(
            "report-file",
            kwargs={"pk": obj.report_id, "fmt": obj.format},
            request=self.context.get("request"),
        )
        return url


class ReportSerializer(ApiModelSerializer):
    schedule: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="Id of the schedule, if any."
    )
    scope_region = region_field(
        read_only=True, allow_null=True, help_text="Region of a regional report (code)."
    )
    scope_country = country_field(
        read_only=True, allow_null=True, help_text="Country of a country report (ISO3)."
    )
    files = ReportFileSerializer(
        many=True, read_only=True, help_text="The rendered files, with download links."
    )
    formats = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Formats asked for."
    )

    class Meta:
        model = Report
        fields = [
            "id",
            "schedule",
            "title",
            "period_start",
            "period_end",
            "scope_kind",
            "scope_region",
            "scope_country",
            "formats",
            "audience",
            "status",
            "error",
            "attempts",
            "created_at",
            "generated_at",
            "updated_at",
            "files",
        ]
        read_only_fields = fields
