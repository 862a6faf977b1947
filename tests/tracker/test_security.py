"""Accounts and headers: guessing is locked out, production settings pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import UserFactory

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, settings):
    settings.LOGIN_LOCKOUT_FAILURES = 5
    UserFactory.create(username="officer-a", is_staff=True, password="the-right-password-42")
    login = reverse("admin:login")

    for _ in range(5):
        response = client.post(login, {"username": "officer-a", "password": "wrong-guess"})
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()

    response = client.post(login, {"username": "officer-a", "password": "the-right-password-42"})
    assert response.status_code == 200  # the form again, not a redirect into the admin
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_successful_login_clears_earlier_failures(client, settings):
    settings.LOGIN_LOCKOUT_FAILURES = 3
    UserFactory.create(username="officer-b", is_staff=True, password="the-right-password-42")
    login = reverse("admin:login")
    for _ in range(2):
        client.post(login, {"username": "officer-b", "password": "wrong-guess"})
    response = client.post(login, {"username": "officer-b", "password": "the-right-password-42"})
    assert response.status_code == 302
    client.logout()
    for _ in range(2):
        client.post(login, {"username": "officer-b", "password": "wrong-guess"})
    response = client.post(login, {"username": "officer-b", "password": "the-right-password-42"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_every_page_carries_the_security_headers(client):
    response = client.get(reverse("admin:login"))
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_weak_password_is_refused():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        validate_password("short1")
    assert "This password is too short. It must contain at least 12 characters." in excinfo.value.messages


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}}
    return subprocess.run(  # noqa: S603 -- our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_with_no_warning():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="a-production-secret-key-that-is-long-and-varied-0123456789-abcdefghij",
        ALLOWED_HOSTS="tracker.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.django_db
def test_permissions_come_in_one_query_and_equal_djangos(django_assert_num_queries):
    """tracker.security's backend reads direct and group permissions together; same answer."""
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import Group, Permission

    from tracker.security import LockoutModelBackend

    group = Group.objects.create(name="Readers (test)")
    group.permissions.set(Permission.objects.filter(codename__in=["view_activity", "view_country"]))
    user = UserFactory.create(username="mixed")
    user.groups.add(group)
    user.user_permissions.set(Permission.objects.filter(codename__in=["change_activity", "view_activity"]))
    inactive = UserFactory.create(username="gone", is_active=False)
    inactive.user_permissions.set(Permission.objects.filter(codename="view_activity"))
    superuser = UserFactory.create(username="root", is_superuser=True)
    for person in (user, inactive, superuser):
        expected = ModelBackend().get_all_permissions(type(person).objects.get(pk=person.pk))
        fresh = type(person).objects.get(pk=person.pk)
        with django_assert_num_queries(1 if person.is_active else 0):
            assert LockoutModelBackend().get_all_permissions(fresh) == expected
    assert expected == {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.all()}
    assert LockoutModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk)) == {
        "missions.view_activity",
        "missions.view_country",
        "missions.change_activity",
    }


def test_the_cache_can_live_apart_from_the_broker():
    """REDIS_CACHE_URL moves the caches (throttle counts, API pages) off the broker's database."""
    code = (
        "from django.conf import settings; "
        "print(sorted({c['LOCATION'] for c in settings.CACHES.values()}), settings.CELERY_BROKER_URL)"
    )
    apart = _manage(
        "shell", "-c", code, REDIS_URL="redis://127.0.0.1:6379/0", REDIS_CACHE_URL="redis://127.0.0.1:6379/1"
    )
    assert apart.returncode == 0, apart.stderr
    assert apart.stdout.strip().splitlines()[-1] == "['redis://127.0.0.1:6379/1'] redis://127.0.0.1:6379/0"
    shared = _manage("shell", "-c", code, REDIS_URL="redis://127.0.0.1:6379/0", REDIS_CACHE_URL="")
    assert shared.stdout.strip().splitlines()[-1] == "['redis://127.0.0.1:6379/0'] redis://127.0.0.1:6379/0"
