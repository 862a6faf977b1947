"""Parallel password guesses on the real PostgreSQL: only the allowed number reach the password.

Each guess is a real admin sign-in in its own thread, with its own database connection, all
released at once. The password hasher counts the passwords it checks.
"""

import threading

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

GUESSES = 10


class CountingHasher(PBKDF2PasswordHasher):
    """Django's default hasher (the same algorithm name, so it checks the stored hashes), counting
    every password it verifies."""

    checked = 0
    _lock = threading.Lock()

    def verify(self, password: str, encoded: str) -> bool:
        with CountingHasher._lock:
            CountingHasher.checked += 1
        return super().verify(password, encoded)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_ten_parallel_wrong_passwords_check_only_the_first_five(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.PASSWORD_HASHERS = ["tests.tracker.test_login_concurrency.CountingHasher"]
    CountingHasher.checked = 0
    UserFactory.create(username="officer-p", is_staff=True, password="the-right-password-42")
    start = threading.Barrier(GUESSES)
    statuses: list[int] = []

    def guess() -> None:
        try:
            client = Client()
            start.wait(timeout=30)
            response = client.post(
                reverse("admin:login"),
                {"username": "officer-p", "password": "wrong-guess"},
                REMOTE_ADDR="198.51.100.9",
            )
            statuses.append(response.status_code)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=guess) for _ in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(statuses) == GUESSES
    assert CountingHasher.checked == 5
    # Locked out: the five refused and the fifth checked (an earlier one may finish after it).
    assert statuses.count(429) >= 6
    assert set(statuses) <= {200, 429}
    assert AccessAttempt.objects.get().failures_since_start == GUESSES
