"""The API's front page: links to every resource and to the documentation."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

# route -> the router's basename (the model's name in lower case)
RESOURCES = {
    "regions": "region",
    "countries": "country",
    "instruments": "instrument",
    "ratifications": "ratification",
    "legislation-events": "legislationevent",
    "activities": "activity",
    "action-plans": "actionplan",
    "follow-up-requests": "followuprequest",
    "tools": "tool",
    "organisations": "organisation",
    "partnerships": "partnership",
    "donors": "donor",
    "contributions": "contribution",
    "budget-allocations": "regularbudgetallocation",
    "indicators": "indicatordefinition",
    "indicator-values": "indicatorvalue",
    "published-figures": "publishedfigure",
    "report-schedules": "reportschedule",
    "reports": "report",
}


class ApiRootView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        links = {route: reverse(f"{basename}-list", request=request) for route, basename in RESOURCES.items()}
        for name in ("schema", "docs", "redoc"):
            links[name] = reverse(f"api-{name}", request=request)
        return Response(links)
