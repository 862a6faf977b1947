"""A lost database connection is a clear 503 with Retry-After (tracker.middleware), never a 500."""

import pytest
from django.db import OperationalError

from tracker.api.authentication import ApiTokenAuthentication

pytestmark = pytest.mark.django_db


def _lose_the_database(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise OperationalError("server closed the connection unexpectedly")


def test_the_api_answers_503_problem_json(api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ApiTokenAuthentication, "authenticate", _lose_the_database)
    response = api.get("/api/v1/organisations/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    assert response.json()["title"] == "Service unavailable"


def test_the_admin_answers_a_503_page(officer_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.admin import sites

    monkeypatch.setattr(sites.AdminSite, "get_app_list", _lose_the_database)
    response = officer_client.get("/admin/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"Service unavailable" in response.content


def test_other_errors_are_not_hidden(api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    monkeypatch.setattr(ApiTokenAuthentication, "authenticate", broken)
    with pytest.raises(RuntimeError):
        api.get("/api/v1/organisations/")
