"""Who may do what, through real URLs and real authentication, as a table."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.conftest import Credentials, client_for, make_account
from tests.factories import UserFactory
from tracker.api.authentication import hash_secret, issue_token
from tracker.models import ApiToken

LISTS = [
    "regions",
    "countries",
    "instruments",
    "ratifications",
    "legislation-events",
    "activities",
    "action-plans",
    "follow-up-requests",
    "tools",
    "organisations",
    "partnerships",
    "donors",
    "contributions",
    "budget-allocations",
    "indicators",
    "indicator-values",
    "published-figures",
    "report-schedules",
    "reports",
]

UNAUTHENTICATED = {
    "type": "https://tracker.invalid/problems/not_authenticated",
    "title": "Not authenticated",
    "status": 401,
    "detail": "Authentication credentials were not provided.",
}


@pytest.fixture
def clients(db, read_credentials, write_credentials, expired_credentials, revoked_credentials, officer):  # type: ignore[no-untyped-def]
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(officer)
    return {
        "anonymous": APIClient(),
        "bad token": client_for("trk_not-a-real-token"),
        "expired token": client_for(expired_credentials.secret),
        "revoked token": client_for(revoked_credentials.secret),
        "read token": client_for(read_credentials.secret),
        "write token": client_for(write_credentials.secret),
        "officer session": session,
    }


READ_EXPECTED = {
    "anonymous": 401,
    "bad token": 401,
    "expired token": 401,
    "revoked token": 401,
    "read token": 200,
    "write token": 200,
    "officer session": 200,
}


@pytest.mark.django_db
def test_reading_every_list_needs_valid_credentials(clients) -> None:
    for resource in LISTS:
        got = {who: client.get(f"/api/v1/{resource}/").status_code for who, client in clients.items()}
        assert got == READ_EXPECTED, resource


WRITE_BODY = {"code": "API-TEST", "name": "API test region", "kind": "field"}
WRITE_EXPECTED = {
    "anonymous": 401,
    "bad token": 401,
    "expired token": 401,
    "revoked token": 401,
    "read token": 403,
    "write token": 201,
    # The browser session must send a CSRF token; without it the write is refused.
    "officer session": 403,
}


@pytest.mark.django_db
def test_writing_needs_the_write_scope_and_csrf_for_sessions(clients) -> None:
    got = {}
    for who, client in clients.items():
        body = {**WRITE_BODY, "code": f"API-{who}", "name": f"API test {who}"}
        got[who] = client.post("/api/v1/regions/", body, format="json").status_code
    assert got == WRITE_EXPECTED


@pytest.mark.django_db
def test_errors_say_why_in_problem_json(clients) -> None:
    response = clients["anonymous"].get("/api/v1/activities/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == UNAUTHENTICATED
    assert clients["expired token"].get("/api/v1/activities/").json()["detail"] == "This token has expired."
    assert (
        clients["revoked token"].get("/api/v1/activities/").json()["detail"] == "This token has been revoked."
    )
    forbidden = clients["read token"].post("/api/v1/regions/", WRITE_BODY, format="json")
    assert forbidden.json() == {
        "type": "https://tracker.invalid/problems/permission_denied",
        "title": "Forbidden",
        "status": 403,
        "detail": "Your token's scopes do not allow this request.",
    }


@pytest.mark.django_db
def test_write_scope_does_not_grant_what_model_permissions_refuse() -> None:
    token, secret = issue_token(account=make_account("viewer", write=True, perms="view"))
    client = client_for(secret)
    assert client.get("/api/v1/regions/").status_code == 200
    assert client.post("/api/v1/regions/", WRITE_BODY, format="json").status_code == 403


@pytest.mark.django_db
def test_session_with_csrf_token_may_write(officer) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(officer)
    client.get("/admin/")  # its log-out form sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post("/api/v1/regions/", WRITE_BODY, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 201


@pytest.mark.django_db
def test_malformed_authorization_headers_get_401_not_500(read_credentials: Credentials) -> None:
    for header in ["Bearer", "Bearer a b", "Bearer \u00e9t\u00e9", "Token "]:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get("/api/v1/regions/").status_code == 401, header


@pytest.mark.django_db
def test_only_the_hash_is_stored_and_the_secret_works(read_credentials: Credentials) -> None:
    assert read_credentials.secret is not None
    token = ApiToken.objects.get()
    assert token.key_hash == hash_secret(read_credentials.secret)
    assert read_credentials.secret not in (token.key_hash, token.prefix)
    assert read_credentials.secret.startswith(token.prefix)


@pytest.mark.django_db
def test_last_used_is_written_at_most_once_a_minute(
    read_credentials: Credentials, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(read_credentials.secret)
    client.get("/api/v1/instruments/")
    token = ApiToken.objects.get()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/instruments/")
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    client.get("/api/v1/instruments/")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at > first - datetime.timedelta(seconds=1)


@pytest.mark.django_db
def test_inactive_account_is_refused(read_credentials: Credentials) -> None:
    assert read_credentials.token is not None
    account = read_credentials.token.account
    account.is_active = False
    account.save()
    assert client_for(read_credentials.secret).get("/api/v1/regions/").status_code == 401


@pytest.mark.django_db
def test_throttling_is_per_token(
    read_credentials: Credentials, write_credentials: Credentials, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from tracker.api.throttling import TokenRateThrottle

    cache.clear()
    monkeypatch.setattr(TokenRateThrottle, "rate", "2/minute", raising=False)
    monkeypatch.setattr(TokenRateThrottle, "num_requests", 2, raising=False)
    reader, writer = client_for(read_credentials.secret), client_for(write_credentials.secret)
    assert [reader.get("/api/v1/regions/").status_code for _ in range(3)] == [200, 200, 429]
    limited = reader.get("/api/v1/regions/")
    assert limited["Content-Type"] == "application/problem+json"
    assert "Retry-After" in limited
    assert writer.get("/api/v1/regions/").status_code == 200
    cache.clear()


@pytest.mark.django_db
def test_confidential_activities_need_the_confidential_scope() -> None:
    from tests.factories import ActivityFactory

    ActivityFactory.create(is_confidential=True, title="secret")
    ActivityFactory.create(title="open")
    _, plain = issue_token(account=make_account("plain", write=False))
    _, trusted = issue_token(account=make_account("trusted", write=False, confidential=True))

    def titles(secret: str) -> list[str]:
        return [a["title"] for a in client_for(secret).get("/api/v1/activities/").json()["results"]]

    assert titles(plain) == ["open"]
    assert sorted(titles(trusted)) == ["open", "secret"]


@pytest.mark.django_db
def test_token_admin_shows_the_secret_once_and_revokes(client) -> None:  # type: ignore[no-untyped-def]
    admin_user = UserFactory.create(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    account = make_account("cted", write=False)
    response = client.post(
        "/admin/tracker/apitoken/add/",
        {"account": account.pk, "label": "nightly", "expires_at_0": "2099-01-01", "expires_at_1": "00:00:00"},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(account=account)
    messages = [str(m) for m in response.context["messages"]]
    secret = next(word for m in messages for word in m.split() if word.startswith("trk_"))
    assert hash_secret(secret) == token.key_hash
    assert client_for(secret).get("/api/v1/regions/").status_code == 200
    # Never again: the change page does not show it.
    page = client.get(f"/admin/tracker/apitoken/{token.pk}/change/").content.decode()
    assert secret not in page
    client.post(
        "/admin/tracker/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
        follow=True,
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_at <= timezone.now()
    assert client_for(secret).get("/api/v1/regions/").status_code == 401
