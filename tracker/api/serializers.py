"""The base serializer every resource uses: input checked field by field, fields described.

Serializers do not write. They check what a request sends (types, choices, that related
objects exist and are visible to the caller); the viewset hands the validated data to its
service (``create_record`` / ``update_record`` in tracker/api/viewsets.py), which checks the
model's own rules once (``tracker.writing.save_record``: constraints and ``clean()``) and
stores it. A model rule is therefore never re-checked here: its error comes from the service,
naming the field, as a 400 problem (tracker/api/exceptions.py).
"""

from typing import Any, cast

from django.db import models
from rest_framework import serializers
from rest_framework.fields import empty


class ApiModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer that describes every field and refuses to save by itself."""

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        model = cast(type[models.Model], self.Meta.model)
        for name, field in fields.items():
            if not field.help_text:
                try:
                    model_field = model._meta.get_field(
                        field.source if field.source and field.source != "*" else name
                    )
                    label = str(getattr(model_field, "verbose_name", name))
                except Exception:  # noqa: BLE001 -- a computed field: fall back to its name
                    label = name.replace("_", " ")
                field.help_text = label[:1].upper() + label[1:] + "."
        return fields

    def create(self, validated_data: dict[str, Any]) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} does not write: the viewset's create_record calls the service."
        )

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} does not write: the viewset's update_record calls the service."
        )

    def run_validation(self, data: Any = empty) -> Any:
        if data is not empty and data is not None and not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Expected a JSON object."]}, code="invalid"
            )
        return super().run_validation(data)
