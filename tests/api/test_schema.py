"""The OpenAPI contract: valid, every field described, every error documented, docs offline."""

import re

import pytest
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient


@pytest.fixture
def schema(db) -> dict:  # type: ignore[no-untyped-def]
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi(schema: dict) -> None:
    validate_schema(schema)  # raises on any violation of the OpenAPI 3.0 JSON schema


def test_every_field_is_described(schema: dict) -> None:
    undescribed = []
    for name, component in schema["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            if not spec.get("description") and "$ref" not in spec and "allOf" not in spec:
                undescribed.append(f"{name}.{field}")
    assert undescribed == []


def test_every_operation_documents_its_errors_and_headers(schema: dict) -> None:
    missing = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            need = {"400", "401", "403", "404", "429"}
            if method in ("put", "patch", "delete"):
                need |= {"412", "428"}
                headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
                if "If-Match" not in headers:
                    missing.append(f"{method} {path}: If-Match")
            if method == "post":
                need |= {"422", "415"}
                headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
                if "Idempotency-Key" not in headers:
                    missing.append(f"{method} {path}: Idempotency-Key")
            if need - codes:
                missing.append(f"{method} {path}: {sorted(need - codes)}")
    assert missing == []
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


def test_every_resource_is_in_the_schema(schema: dict) -> None:
    from tracker.api.root import RESOURCES

    for route in RESOURCES:
        assert f"/api/v1/{route}/" in schema["paths"], route
        assert f"/api/v1/{route}/{{id}}/" in schema["paths"], route


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_documentation_is_served_without_any_cdn(page: str) -> None:
    response = APIClient().get(page)
    assert response.status_code == 200
    html = response.content.decode()
    external = re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", html)
    assert external == []
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_documentation_runs_under_the_content_security_policy(page: str) -> None:
    """The CSP allows scripts from this site only: the pages may hold no inline script."""
    response = APIClient().get(page)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    html = response.content.decode()
    inline = [tag for tag in re.findall(r"<script[^>]*>", html) if "src=" not in tag]
    assert inline == []
    own = [s for s in re.findall(r"""<script[^>]*src=["']([^"']+)""", html) if not s.startswith("/static/")]
    for src in own:  # the start-up script, served by the view itself
        script = APIClient().get(src.replace("&amp;", "&"))
        assert script.status_code == 200, src
        assert "javascript" in script["Content-Type"]
