"""Root URLs: the admin, and the versioned API under /api/v1/."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "tracker: counter-terrorism legal assistance"
admin.site.site_title = "tracker"
admin.site.index_title = "Records and impact"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api.urls")),
]

# Under /api/ these answer in application/problem+json; elsewhere the plain pages of
# tracker/templates/<status>.html (no internals: DEBUG is off unless asked for).
handler400 = "tracker.api.exceptions.bad_request"
handler403 = "tracker.api.exceptions.permission_denied"
handler404 = "tracker.api.exceptions.page_not_found"
handler500 = "tracker.api.exceptions.server_error"
