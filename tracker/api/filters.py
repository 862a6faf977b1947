"""Filters shared by every list: ``updated_since`` for incremental synchronisation."""

from datetime import datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.request import Request

# Query parameters that belong to pagination, search, ordering and format, not to a FilterSet.
NOT_FILTERS = frozenset({"cursor", "page_size", "ordering", "search", "format"})


class ApiFilterBackend(DjangoFilterBackend):
    """django-filter, skipped when a request carries no filter parameter at all.

    Building and validating a FilterSet's form costs about a millisecond, a large share of an
    unfiltered page; with no parameter to read it would filter nothing anyway.
    """

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        if not set(request.query_params) - NOT_FILTERS:
            return queryset
        return super().filter_queryset(request, queryset, view)  # type: ignore[no-any-return]


def changed_since(queryset: QuerySet[Any], name: str, value: datetime | None) -> QuerySet[Any]:
    """Objects changed at or after ``value``: by ``updated_at`` where the model has one, else by
    its history (django-simple-history), so every audited model can be synchronised incrementally."""
    if value is None:
        return queryset
    model = queryset.model
    if any(f.name == "updated_at" for f in model._meta.get_fields()):
        return queryset.filter(updated_at__gte=value)
    history = getattr(model, "history", None)
    if history is None:
        return queryset
    changed = history.model.objects.filter(history_date__gte=value).values("id")
    return queryset.filter(pk__in=changed)


class ApiFilterSet(django_filters.FilterSet):
    updated_since = django_filters.IsoDateTimeFilter(
        method=changed_since,
        help_text=(
            "Only objects created or changed at or after this ISO 8601 date-time (e.g. 2026-01-31T00:00:00Z)."
        ),
    )


def codes(field_name: str, help_text: str, **kwargs: Any) -> django_filters.BaseInFilter:
    """A comma-separated list of codes, e.g. ?country=NER,MLI."""
    return CharInFilter(field_name=field_name, lookup_expr="in", help_text=help_text, **kwargs)


class CharInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    pass


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (years, ids): 0.5 or 1e9 are refused with 400, not passed to the database."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**31 - 1)
        super().__init__(*args, **kwargs)
