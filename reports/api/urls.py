"""Routes of the reports resources."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("indicators", views.IndicatorDefinitionViewSet)
router.register("indicator-values", views.IndicatorValueViewSet)
router.register("published-figures", views.PublishedFigureViewSet)
router.register("report-schedules", views.ReportScheduleViewSet)
router.register("reports", views.ReportViewSet)

urlpatterns = router.urls
