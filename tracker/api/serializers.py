"""The base serializer every resource uses: model validation, described fields."""

from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers
from rest_framework.fields import empty


class ApiModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer that runs the model's full_clean() and describes every field.

    Model clean() and constraints are checked before saving, so their errors name the field
    (400) instead of surfacing as database errors.
    """

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

    def full_clean(self, instance: models.Model, exclude: list[str] | None = None) -> None:
        try:
            instance.full_clean(exclude=exclude)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            ) from exc

    def create(self, validated_data: dict[str, Any]) -> Any:
        many = self._pop_many(validated_data)
        instance = cast(type[models.Model], self.Meta.model)(**validated_data)
        self.full_clean(instance)
        instance.save()
        self._set_many(instance, many)
        return instance

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        many = self._pop_many(validated_data)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        self.full_clean(instance)
        instance.save()
        self._set_many(instance, many)
        return instance

    def _pop_many(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        model = cast(type[models.Model], self.Meta.model)
        names = [f.name for f in model._meta.many_to_many]
        return {name: validated_data.pop(name) for name in names if name in validated_data}

    @staticmethod
    def _set_many(instance: Any, many: dict[str, Any]) -> None:
        for name, value in many.items():
            getattr(instance, name).set(value)

    def run_validation(self, data: Any = empty) -> Any:
        if data is not empty and data is not None and not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": ["Expected a JSON object."]}, code="invalid"
            )
        return super().run_validation(data)
