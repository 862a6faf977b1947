"""Concurrent retries and concurrent updates on the real PostgreSQL (two threads, real commits)."""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from missions.models import Region
from tests.api.conftest import client_for, make_account
from tracker.api.authentication import issue_token
from tracker.models import IdempotencyKey

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def in_threads(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment, each in its own thread (and database connection)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_concurrent_retries_with_one_key_create_one_record() -> None:
    assert connection.vendor == "postgresql"
    _, secret = issue_token(account=make_account("racer", write=True))
    body = {"code": "RACE-1", "name": "Race region", "kind": "field"}

    def post() -> Any:
        return client_for(secret).post(
            "/api/v1/regions/", body, format="json", HTTP_IDEMPOTENCY_KEY="race-key"
        )

    first, second = in_threads(post, post)
    assert sorted([first.status_code, second.status_code]) == [201, 201]
    assert first.json() == second.json()
    assert sorted(r.get("Idempotent-Replayed", "") for r in (first, second)) == ["", "true"]
    assert Region.objects.filter(code="RACE-1").count() == 1
    assert IdempotencyKey.objects.filter(key="race-key").count() == 1


def test_two_concurrent_updates_with_the_same_etag_apply_once() -> None:
    _, secret = issue_token(account=make_account("updater", write=True))
    client = client_for(secret)
    created = client.post(
        "/api/v1/regions/", {"code": "RACE-2", "name": "Before", "kind": "field"}, format="json"
    )
    url, etag = created["Location"], created["ETag"]

    def patch(name: str) -> Callable[[], Any]:
        return lambda: client_for(secret).patch(url, {"name": name}, format="json", HTTP_IF_MATCH=etag)

    first, second = in_threads(patch("From A"), patch("From B"))
    assert sorted([first.status_code, second.status_code]) == [200, 412]
    winner = first if first.status_code == 200 else second
    assert Region.objects.get(code="RACE-2").name == winner.json()["name"]
