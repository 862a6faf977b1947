"""Routes of the missions resources (activities are routed by partners.api, which adds organisations)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("regions", views.RegionViewSet)
router.register("countries", views.CountryViewSet)
router.register("instruments", views.InstrumentViewSet)
router.register("ratifications", views.RatificationViewSet)
router.register("legislation-events", views.LegislationEventViewSet)
router.register("tools", views.ToolViewSet)
router.register("action-plans", views.ActionPlanViewSet)
router.register("follow-up-requests", views.FollowUpRequestViewSet)

urlpatterns = router.urls
