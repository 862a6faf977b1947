"""/api/v1/: every resource, the OpenAPI schema and its documentation (served locally, no CDN)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from . import schema  # noqa: F401 -- registers the token scheme with drf-spectacular
from .audit import AuditTrailView
from .root import ApiRootView

urlpatterns = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
    path(
        "docs/",
        # The split view serves its start-up script as a file: the CSP allows no inline script.
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[AllowAny]),
        name="api-docs",
    ),
    path(
        "redoc/",
        SpectacularRedocView.as_view(
            url_name="api-schema", permission_classes=[AllowAny], template_name="api/redoc.html"
        ),
        name="api-redoc",
    ),
    path("audit/", AuditTrailView.as_view(), name="api-audit"),
    path("", include("missions.api.urls")),
    path("", include("partners.api.urls")),
    path("", include("reports.api.urls")),
]
