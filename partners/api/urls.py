"""Routes of the partners resources and of activities."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("activities", views.ActivityViewSet)
router.register("organisations", views.OrganisationViewSet)
router.register("partnerships", views.PartnershipViewSet)
router.register("donors", views.DonorViewSet)
router.register("contributions", views.ContributionViewSet)
router.register("budget-allocations", views.RegularBudgetAllocationViewSet)

urlpatterns = router.urls
