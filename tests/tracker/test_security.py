"""Accounts and headers: guessing is locked out per user name and address, production
settings pass check --deploy."""

import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from freezegun import freeze_time

from tests.factories import UserFactory
from tracker.roles import ADMINISTRATOR, setup_roles
from tracker.security import client_ip
from tracker.tasks import prune_login_records_task

BASE_DIR = Path(__file__).resolve().parents[2]


OFFICER_ADDRESS = "192.0.2.10"
STRANGER_ADDRESS = "198.51.100.9"
PASSWORD = "the-right-password-42"
WRONG = "Please enter the correct username and password"
LOCKED = "Sign-in locked: 5 failed attempts for this user name from your address."


def _sign_in(client, username, password, address=OFFICER_ADDRESS, **headers):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


@pytest.fixture
def officer_a(db):
    return UserFactory.create(username="officer-a", is_staff=True, password=PASSWORD)


def test_five_wrong_passwords_lock_the_name_at_that_address_even_for_the_right_one(client, officer_a):
    for _ in range(4):
        response = _sign_in(client, "officer-a", "wrong-guess")
        assert response.status_code == 200
        assert WRONG in response.content.decode()

    fifth = _sign_in(client, "officer-a", "wrong-guess")
    right = _sign_in(client, "officer-a", PASSWORD)

    for response in (fifth, right):
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "900"
        page = response.content.decode()
        assert LOCKED in page
        assert "Try again in 15 minutes (each further attempt restarts the wait)" in page
    assert "_auth_user_id" not in client.session
    assert list(AccessAttempt.objects.values_list("username", "ip_address", "failures_since_start")) == [
        ("officer-a", OFFICER_ADDRESS, 6)
    ]


def test_a_stranger_guessing_elsewhere_does_not_lock_the_officer_out_of_their_address(client, officer_a):
    for _ in range(6):
        _sign_in(client, "officer-a", "wrong-guess", address=STRANGER_ADDRESS)
    assert LOCKED in _sign_in(client, "officer-a", PASSWORD, address=STRANGER_ADDRESS).content.decode()

    response = _sign_in(client, "officer-a", PASSWORD, address=OFFICER_ADDRESS)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(officer_a.pk)


def test_a_forged_x_forwarded_for_does_not_escape_the_lock_without_trusted_proxies(client, officer_a):
    for n in range(5):
        _sign_in(client, "officer-a", "wrong-guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    response = _sign_in(client, "officer-a", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")

    assert response.status_code == 429


def test_behind_a_trusted_proxy_each_client_is_counted_at_its_own_address(client, officer_a, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for _ in range(5):
        _sign_in(client, "officer-a", "wrong-guess", address=proxy, HTTP_X_FORWARDED_FOR=STRANGER_ADDRESS)
    assert (
        _sign_in(
            client, "officer-a", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=STRANGER_ADDRESS
        ).status_code
        == 429
    )

    # What a client writes before the proxy's entry is its own word, and ignored.
    response = _sign_in(
        client,
        "officer-a",
        PASSWORD,
        address=proxy,
        HTTP_X_FORWARDED_FOR=f"{STRANGER_ADDRESS}, {OFFICER_ADDRESS}",
    )

    assert response.status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [STRANGER_ADDRESS]


def test_a_successful_login_clears_earlier_failures(db, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory.create(username="officer-b", is_staff=True, password=PASSWORD)
    for _ in range(2):
        _sign_in(client, "officer-b", "wrong-guess")
    assert _sign_in(client, "officer-b", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        _sign_in(client, "officer-b", "wrong-guess")
    assert _sign_in(client, "officer-b", PASSWORD).status_code == 302


def test_the_lock_ends_once_the_cool_off_passes_without_an_attempt(client, officer_a):
    with freeze_time("2027-03-01 09:00:00") as frozen:
        for _ in range(5):
            _sign_in(client, "officer-a", "wrong-guess")
        frozen.tick(timedelta(seconds=899))
        assert _sign_in(client, "officer-a", PASSWORD).status_code == 429  # and the wait restarts
        frozen.tick(timedelta(seconds=899))
        assert _sign_in(client, "officer-a", PASSWORD).status_code == 429
        frozen.tick(timedelta(seconds=901))

        response = _sign_in(client, "officer-a", PASSWORD)

    assert response.status_code == 302


def test_an_administrator_unlocks_a_name_in_the_admin(client, officer_a):
    setup_roles()
    administrator = UserFactory.create(username="administrator", is_staff=True)
    administrator.groups.add(Group.objects.get(name=ADMINISTRATOR))
    for _ in range(5):
        _sign_in(client, "officer-a", "wrong-guess")
    attempt = AccessAttempt.objects.get()
    admin_client = Client()
    admin_client.force_login(administrator)
    changelist = reverse("admin:axes_accessattempt_changelist")
    listed = admin_client.get(changelist)
    assert listed.status_code == 200
    assert "officer-a" in listed.content.decode()

    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert _sign_in(client, "officer-a", PASSWORD).status_code == 302


def test_the_admin_action_cleans_up_only_expired_attempts(officer_a):
    with freeze_time("2027-03-01 09:00:00") as frozen:
        admin_client = Client()  # signed in first: a sign-in also clears expired attempts
        admin_client.force_login(UserFactory.create(username="root", is_staff=True, is_superuser=True))
        _sign_in(Client(), "officer-a", "wrong-guess", address=STRANGER_ADDRESS)
        frozen.tick(timedelta(seconds=901))
        _sign_in(Client(), "officer-a", "wrong-guess")

        response = admin_client.post(
            reverse("admin:axes_accessattempt_changelist"),
            {
                "action": "cleanup_expired_attempts",
                "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
            },
            follow=True,
        )

    assert response.status_code == 200
    assert "Cleaned up 1 expired access attempt." in response.content.decode()
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [OFFICER_ADDRESS]


def test_axes_reset_username_unlocks_a_name_at_every_address(client, officer_a):
    for address in (OFFICER_ADDRESS, STRANGER_ADDRESS):
        for _ in range(5):
            _sign_in(client, "officer-a", "wrong-guess", address=address)

    call_command("axes_reset_username", "officer-a", stdout=io.StringIO())

    assert not AccessAttempt.objects.exists()
    assert _sign_in(client, "officer-a", PASSWORD).status_code == 302


def test_old_attempts_and_sign_in_logs_are_pruned(officer_a, settings):
    settings.LOGIN_LOG_DAYS = 90
    with freeze_time("2027-03-01 09:00:00") as frozen:
        assert _sign_in(Client(), "officer-a", PASSWORD).status_code == 302  # an AccessLog row
        _sign_in(Client(), "officer-a", "wrong-guess", address=STRANGER_ADDRESS)
        frozen.tick(timedelta(days=90, seconds=1))
        _sign_in(Client(), "officer-a", "wrong-guess")  # within its cool-off: kept

        first = prune_login_records_task()
        again = prune_login_records_task()

    assert first == {"attempts": 1, "logs": 1}
    assert again == {"attempts": 0, "logs": 0}
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [OFFICER_ADDRESS]
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize(
    ("proxies", "header", "meta", "expected"),
    [
        (0, "X-Forwarded-For", {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}, "192.0.2.1"),
        (1, "X-Forwarded-For", {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}, "203.0.113.5"),
        (1, "X-Forwarded-For", {"HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.5"}, "203.0.113.5"),
        (
            2,
            "X-Forwarded-For",
            {"HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.5, 10.0.0.3"},
            "203.0.113.5",
        ),
        (2, "X-Forwarded-For", {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}, "192.0.2.1"),  # not via both
        (1, "X-Forwarded-For", {}, "192.0.2.1"),
        (1, "X-Forwarded-For", {"HTTP_X_FORWARDED_FOR": "not-an-address"}, "192.0.2.1"),
        (1, "X-Forwarded-For", {"HTTP_X_FORWARDED_FOR": "2001:DB8::1"}, "2001:db8::1"),
        (
            1,
            "X-Real-IP",
            {"HTTP_X_REAL_IP": "203.0.113.5", "HTTP_X_FORWARDED_FOR": "198.51.100.1"},
            "203.0.113.5",
        ),
    ],
)
def test_the_client_address_is_remote_addr_unless_trusted_proxies_are_configured(
    settings, proxies, header, meta, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    settings.CLIENT_IP_HEADER = header
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="192.0.2.1", **meta)

    assert client_ip(request) == expected


def test_an_unusable_remote_addr_counts_as_no_address():
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="")) is None


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
    unset = {"DEBUG", "SECRET_KEY", "SITE_URL", "DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
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
        DATABASE_URL="postgres://tracker@db.example.org:5432/tracker",
        SECRET_KEY="a-production-secret-key-that-is-long-and-varied-0123456789-abcdefghij",
        SITE_URL="https://tracker.example.org",
        ALLOWED_HOSTS="tracker.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_negative_proxy_count_or_bad_header_name_is_refused_at_start_up():
    result = _manage("check", TRUSTED_PROXY_COUNT="-1")
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be 0 or more, not -1" in result.stderr
    result = _manage("check", CLIENT_IP_HEADER="X-Forwarded-For:")
    assert result.returncode != 0
    assert "CLIENT_IP_HEADER must be an HTTP header name, not 'X-Forwarded-For:'" in result.stderr


@pytest.mark.django_db
def test_permissions_come_in_one_query_and_equal_djangos(django_assert_num_queries):
    """tracker.security's backend reads direct and group permissions together; same answer."""
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import Group, Permission

    from tracker.security import OneQueryModelBackend

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
            assert OneQueryModelBackend().get_all_permissions(fresh) == expected
    assert expected == {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.all()}
    assert OneQueryModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk)) == {
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
