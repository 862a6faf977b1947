"""The base viewset every resource uses.

It adds, to DRF's ModelViewSet: the visibility rule (missions.visibility) on every read, ETags
(If-None-Match on reads, If-Match required on updates and deletes), Idempotency-Key on creates,
and JSON problem bodies whatever format was asked for.

Writes go through services only. A writable viewset declares how it writes, with three
methods that call its aggregate's service with ``actor=self.actor()`` and
``reason=self.reason()``::

    def create_record(self, data):            # the serializer's validated data -> the new record
    def update_record(self, instance, data):  # -> the stored record
    def delete_record(self, instance):

The base calls them inside one transaction (with the If-Match check and the Idempotency-Key
on creates) and refuses to write for a viewset that declares none: there is no generic save.
"""

from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from rest_framework import mixins, status, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from missions import visibility
from tracker.actors import Actor

from . import list_cache
from .etags import check_if_match, etag_for, matches_if_none_match
from .idempotency import idempotent
from .reading import reader_for


class ApiReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """Lists and single objects, scoped, with ETags."""

    #: True on big nested lists: pages are built from values() rows, not model instances
    #: (tracker/api/reading.py); the representation is the serializer's all the same.
    list_from_values = False
    #: True where list pages and single objects may be served from tracker/api/list_cache.py:
    #: the models the representation and the scope read must then be watched (list_cache.watch).
    list_cache = False

    def get_queryset(self) -> QuerySet[Any]:
        # The one visibility rule narrows every list, object, export and reload, so a hidden
        # record answers exactly as a missing one (404 with the same body).
        return visibility.visible(Actor.of(self.request), super().get_queryset())

    def list_cache_scope(self) -> Any:
        """What, besides the user and token, decides which rows this caller sees (a JSON value)."""
        return None

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        key = None
        if self.list_cache:
            key = list_cache.page_key(request, type(self).__name__, self.list_cache_scope())
        if key is not None:
            hit = list_cache.cached_page(key)
            if hit is not None:
                return hit
        response = self._list(request, *args, **kwargs)
        if key is None:
            return response
        return self._rendered_and_kept(key, response.data, {})

    def _rendered_and_kept(self, key: str, data: Any, headers: dict[str, str]) -> HttpResponse:
        """Render ``data`` as DRF would for this request, and keep it in the page cache."""
        media_type = self.request.accepted_media_type
        body = self.request.accepted_renderer.render(data, media_type, self.get_renderer_context())
        page = HttpResponse(body, content_type=media_type, headers=headers)
        list_cache.store_page(key, page)
        return page

    def _list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not self.list_from_values:
            return super().list(request, *args, **kwargs)
        reader = reader_for(self.get_serializer_class())
        ordering_fields = getattr(self, "ordering_fields", None)
        extra = ordering_fields if isinstance(ordering_fields, list | tuple) else ()
        queryset = reader.values(self.filter_queryset(self.get_queryset()), extra)
        page = self.paginate_queryset(queryset)
        context = dict(self.get_serializer_context())  # one per page: fields may keep look-ups in it
        if page is None:
            return Response(reader.represent(queryset, context))
        return self.get_paginated_response(reader.represent(page, context))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        key = None
        if self.list_cache:
            key = list_cache.page_key(request, f"{type(self).__name__}.detail", self.list_cache_scope())
        if key is not None:
            hit = list_cache.cached_page(key)
            if hit is not None:
                if matches_if_none_match(request, hit["ETag"]):
                    return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": hit["ETag"]})
                return hit
        instance = self.get_object()
        data = self.get_serializer(instance).data
        etag = etag_for(instance, data)
        if matches_if_none_match(request, etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        if key is None:
            return Response(data, headers={"ETag": etag})
        return self._rendered_and_kept(key, data, {"ETag": etag})

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        # Errors are always problem+json, even when the client asked for CSV or XLSX.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = response.get("Content-Type", "application/problem+json")
        return response

    def actor(self) -> Actor:
        """Who is writing: the request's user, narrowed by its token's scopes."""
        return Actor.of(self.request)

    def reason(self) -> str:
        token = getattr(self.request, "auth", None)
        via = f"token {token.prefix}" if token is not None and hasattr(token, "prefix") else "session"
        return f"API {self.request.method} {self.request.path} ({via})"[:100]


class WriteNotDeclared(NotImplementedError):
    """A viewset was asked to write without declaring the service it writes with."""


class ApiCreateMixin(mixins.CreateModelMixin):
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return idempotent(request, lambda: self._create(request))

    def _create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)  # type: ignore[attr-defined]  # GenericAPIView
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            self.perform_create(serializer)
        stored = self._reload(serializer.instance)
        fresh = self.get_serializer(stored).data  # type: ignore[attr-defined]
        headers = {"ETag": etag_for(stored, fresh), "Location": f"{request.path.rstrip('/')}/{stored.pk}/"}
        return Response(fresh, status=status.HTTP_201_CREATED, headers=headers)

    def _reload(self, instance: Model) -> Model:
        """Re-read through the viewset's queryset, so the response matches a later GET (and its ETag)."""
        queryset = self.filter_queryset_for_reload()
        return queryset.get(pk=instance.pk)

    def filter_queryset_for_reload(self) -> QuerySet[Any]:
        return type(self).queryset.all()  # type: ignore[attr-defined,union-attr]  # set on every viewset

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = self.create_record(dict(serializer.validated_data))

    def create_record(self, data: dict[str, Any]) -> Model:
        """Create the record from the validated ``data`` through the aggregate's service."""
        raise WriteNotDeclared(f"{type(self).__name__} declares no create_record: it cannot create.")


class ApiWriteMixin(ApiCreateMixin):
    """Updates and deletes need If-Match with the current ETag (428 without, 412 when stale)."""

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self._locked_object()
            check_if_match(request, self._etag(instance))
            serializer = self.get_serializer(instance, data=request.data, partial=partial)  # type: ignore[attr-defined]
            serializer.is_valid(raise_exception=True)
            self.perform_update(serializer)
        stored = self._reload(serializer.instance)
        fresh = self.get_serializer(stored).data  # type: ignore[attr-defined]
        return Response(fresh, headers={"ETag": etag_for(stored, fresh)})

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            instance = self._locked_object()
            check_if_match(request, self._etag(instance))
            self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _etag(self, instance: Model) -> str:
        """The current ETag, as the last GET gave it (the version of the locked row, if it has one)."""
        return etag_for(instance, self.get_serializer(instance).data)  # type: ignore[attr-defined]  # GenericAPIView

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = self.update_record(serializer.instance, dict(serializer.validated_data))

    def perform_destroy(self, instance: Model) -> None:
        self.delete_record(instance)

    def update_record(self, instance: Any, data: dict[str, Any]) -> Model:
        """Change ``instance`` to the validated ``data`` (a PATCH's fields only) through the service."""
        raise WriteNotDeclared(f"{type(self).__name__} declares no update_record: it cannot update.")

    def delete_record(self, instance: Any) -> None:
        """Delete ``instance`` through the aggregate's service."""
        raise WriteNotDeclared(f"{type(self).__name__} declares no delete_record: it cannot delete.")

    def _locked_object(self) -> Model:
        """The object, after locking its row so the If-Match comparison and the write are one step."""
        instance = self.get_object()  # type: ignore[attr-defined]  # 404 and object permissions
        model = type(instance)
        list(model._default_manager.select_for_update().filter(pk=instance.pk).values_list("pk"))
        return self.get_object()  # type: ignore[attr-defined]  # re-read after the lock


class ApiModelViewSet(ApiWriteMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, ApiReadOnlyViewSet):
    """Read, create, update (If-Match) and delete (If-Match)."""
