"""Root URLs: the admin, the versioned API under /api/v1/, health checks and metrics."""

from django.contrib import admin
from django.urls import include, path

from . import health, metrics

admin.site.site_header = "tracker: counter-terrorism legal assistance"
admin.site.site_title = "tracker"
admin.site.index_title = "Records and impact"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api.urls")),
    # No authentication, no throttle (docs/deploy.md "Health and observability").
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ReadyView.as_view(), name="health-ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
]

# Under /api/ these answer in application/problem+json; elsewhere the plain pages of
# tracker/templates/<status>.html (no internals: DEBUG is off unless asked for).
handler400 = "tracker.api.exceptions.bad_request"
handler403 = "tracker.api.exceptions.permission_denied"
handler404 = "tracker.api.exceptions.page_not_found"
handler500 = "tracker.api.exceptions.server_error"
