"""Root URLs: the admin, and the versioned API under /api/v1/."""

from django.contrib import admin
from django.urls import path

admin.site.site_header = "tracker: counter-terrorism legal assistance"
admin.site.site_title = "tracker"
admin.site.index_title = "Records and impact"

urlpatterns = [
    path("admin/", admin.site.urls),
]
