"""GET /api/v1/audit/: the audit trail (tracker.audit), read-only, for holders of tracker.view_audit_trail."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tracker.audit import MAX_PAGE_SIZE, VIEW_AUDIT_TRAIL, audit_trail

from .permissions import TokenScope


class CanViewAuditTrail(permissions.BasePermission):
    message = "Reading the audit trail needs the permission tracker.view_audit_trail."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm(VIEW_AUDIT_TRAIL))


class AuditQuerySerializer(serializers.Serializer):
    account = serializers.IntegerField(
        required=False, min_value=1, help_text="Id of the account whose changes."
    )
    model = serializers.CharField(
        required=False, max_length=100, help_text='Audited model, e.g. "missions.activity".'
    )
    since = serializers.DateTimeField(required=False, help_text="Changes at or after this time (ISO 8601).")
    until = serializers.DateTimeField(required=False, help_text="Changes before this time (ISO 8601).")
    offset = serializers.IntegerField(required=False, min_value=0, default=0)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=50)


_ENTRY_FIELDS: dict[str, Any] = {
    "model": serializers.CharField(help_text='The audited model, e.g. "missions.activity".'),
    "object_id": serializers.CharField(help_text="Primary key of the record changed."),
    "object_repr": serializers.CharField(help_text="The record as it read after the change."),
    "action": serializers.ChoiceField(choices=["created", "changed", "deleted"], help_text="What was done."),
    "at": serializers.DateTimeField(help_text="When (UTC)."),
    "actor_id": serializers.IntegerField(
        allow_null=True, help_text="Id of the account; null for a system change."
    ),
    "actor": serializers.CharField(help_text='User name; "" for a system change (import, task).'),
    "reason": serializers.CharField(help_text="The reason recorded with the change."),
    "changed_fields": serializers.ListField(
        child=serializers.CharField(), help_text="Fields that differ from the record's previous version."
    ),
    "history_id": serializers.IntegerField(help_text="Id of the history row."),
}


class AuditTrailView(APIView):
    """Every change of every audited record, newest first: who, when, what, which fields, why."""

    permission_classes = [permissions.IsAuthenticated, TokenScope, CanViewAuditTrail]
    renderer_classes = [JSONRenderer]  # a list of changes, in JSON only; errors are problem+json

    @extend_schema(
        parameters=[
            OpenApiParameter("account", OpenApiTypes.INT, description="Id of the account whose changes."),
            OpenApiParameter(
                "model", OpenApiTypes.STR, description='Audited model, e.g. "missions.activity".'
            ),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="At or after this time."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Before this time."),
            OpenApiParameter("offset", OpenApiTypes.INT, description="Entries to skip (default 0)."),
            OpenApiParameter(
                "limit", OpenApiTypes.INT, description=f"Entries per page (1 to {MAX_PAGE_SIZE})."
            ),
        ],
        responses=inline_serializer(
            name="AuditTrailPage",
            fields={
                "count": serializers.IntegerField(help_text="How many changes match."),
                "results": inline_serializer(
                    name="AuditEntry", fields=_ENTRY_FIELDS, many=True, help_text="The changes, newest first."
                ),
            },
        ),
        tags=["audit"],
    )
    def get(self, request: Request) -> Response:
        query = AuditQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        args: dict[str, Any] = query.validated_data
        try:
            total, entries = audit_trail(
                viewer=request,
                actor=args.get("account"),
                model=args.get("model"),
                since=args.get("since"),
                until=args.get("until"),
                offset=args["offset"],
                limit=args["limit"],
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        results = [
            {**entry.__dict__, "object_id": str(entry.object_id), "at": _iso(entry.at)} for entry in entries
        ]
        return Response({"count": total, "results": results})


def _iso(value: datetime.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
