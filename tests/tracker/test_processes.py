"""Safe defaults of the process set: DEBUG off unless set, production refuses to start without
SECRET_KEY and SITE_URL, plain error pages outside /api/ and problem+json inside, static files
served with DEBUG off, and bootstrap keeping the administrator's password off the screen."""

import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import django
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# What a settings probe prints: the settings that the environment switches.
PROBE = """
import django, json
django.setup()
from django.conf import settings as s
print(json.dumps({
    "DEBUG": s.DEBUG,
    "SITE_URL": s.SITE_URL,
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "SECURE_PROXY_SSL_HEADER": getattr(s, "SECURE_PROXY_SSL_HEADER", None),
    "SECRET_KEY": s.SECRET_KEY,
    "pool": s.DATABASES["default"].get("OPTIONS", {}).get("pool", {}).get("max_size"),
    "CONN_MAX_AGE": s.DATABASES["default"]["CONN_MAX_AGE"],
}))
"""

PRODUCTION = {
    "DATABASE_URL": "postgres://tracker@db.example.org:5432/tracker",
    "REDIS_URL": "redis://redis.example.org:6379/0",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-varied-0123456789",
    "SITE_URL": "https://tracker.example.org",
}


def _settings(var_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """tracker.settings loaded in a fresh interpreter with only ``env`` of ours set."""
    ours = {"DEBUG", "SECRET_KEY", "SITE_URL", "DATABASE_URL", "REDIS_URL", "REDIS_CACHE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in ours and not k.startswith(("SECURE_", "DB_"))}
    return subprocess.run(  # noqa: S603 -- our own interpreter and code
        [sys.executable, "-c", PROBE],
        cwd=BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "tracker.settings", "TRACKER_VAR_DIR": str(var_dir), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _loaded(var_dir: Path, **env: str) -> dict[str, object]:
    result = _settings(var_dir, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_debug_is_off_unless_set_and_the_embedded_defaults_need_nothing_set(tmp_path):
    loaded = _loaded(tmp_path)
    key_file = tmp_path / "secret-key"
    assert loaded == {
        "DEBUG": False,
        "SITE_URL": "http://127.0.0.1:8000",
        # plain HTTP on loopback (make run): no redirect, no HSTS, cookies that come back
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_PROXY_SSL_HEADER": None,
        "SECRET_KEY": key_file.read_text().strip(),
        "pool": None,  # SQLite
        "CONN_MAX_AGE": 60,
    }
    assert len(str(loaded["SECRET_KEY"])) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert _loaded(tmp_path)["SECRET_KEY"] == loaded["SECRET_KEY"]  # made once, then kept
    assert _loaded(tmp_path, DEBUG="true")["DEBUG"] is True


def test_production_at_an_https_address_redirects_sends_hsts_and_pools_connections(tmp_path):
    assert _loaded(tmp_path, **PRODUCTION) == {
        "DEBUG": False,
        "SITE_URL": "https://tracker.example.org",
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECRET_KEY": PRODUCTION["SECRET_KEY"],
        "pool": 4,
        "CONN_MAX_AGE": 0,
    }
    assert not (tmp_path / "secret-key").exists()
    tuned = _loaded(tmp_path, **PRODUCTION, SECURE_PROXY_SSL_HEADER="", DB_POOL_MAX="0")
    assert (tuned["SECURE_PROXY_SSL_HEADER"], tuned["pool"], tuned["CONN_MAX_AGE"]) == (None, None, 60)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY must be set when DEBUG is off on PostgreSQL or Redis (production)"),
        ("SITE_URL", "SITE_URL must be set when DEBUG is off on PostgreSQL or Redis (production), "),
    ],
)
def test_production_refuses_to_start_without_secret_key_or_site_url(tmp_path, missing, message):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    for services in ({"DATABASE_URL": env["DATABASE_URL"]}, {"REDIS_URL": env["REDIS_URL"]}):
        one_service = {k: v for k, v in env.items() if k not in ("DATABASE_URL", "REDIS_URL")} | services
        result = _settings(tmp_path, **one_service)
        assert result.returncode != 0
        assert f"django.core.exceptions.ImproperlyConfigured: {message}" in result.stderr
    assert _settings(tmp_path, **env, DEBUG="true").returncode == 0  # a developer on PostgreSQL


@pytest.mark.parametrize("bad", ["tracker.example.org", "https://tracker.example.org/app", "ftp://x"])
def test_a_site_url_that_is_not_an_address_is_refused(tmp_path, bad):
    result = _settings(tmp_path, **{**PRODUCTION, "SITE_URL": bad})
    assert result.returncode != 0
    assert f"SITE_URL must be http(s)://host[:port] with no path, not {bad!r}" in result.stderr


# --- Error pages (DEBUG is off in tests, as in production) ----------------------------------
def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("internal detail: /srv/secret/path")


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


urlpatterns = [
    path("api/v1/plain-failure/", _fails),
    path("api/v1/plain-forbidden/", _forbidden),
    path("plain-failure/", _fails),
    path("plain-forbidden/", _forbidden),
    path("", include("tracker.urls")),
]
handler400 = "tracker.api.exceptions.bad_request"
handler403 = "tracker.api.exceptions.permission_denied"
handler404 = "tracker.api.exceptions.page_not_found"
handler500 = "tracker.api.exceptions.server_error"

INTERNALS = re.compile(r"Traceback|SECRET_KEY|DATABASES|INSTALLED_APPS|/srv/secret|site-packages|DEBUG")


@pytest.fixture
def failing_views(settings):  # type: ignore[no-untyped-def]
    settings.ROOT_URLCONF = __name__


@pytest.mark.django_db
@pytest.mark.usefixtures("failing_views")
@pytest.mark.parametrize(
    ("url", "status", "title"),
    [
        ("/no-such-page/", 404, "Page not found"),
        ("/plain-failure/", 500, "Server error"),
        ("/plain-forbidden/", 403, "Forbidden"),
    ],
)
def test_an_error_outside_the_api_is_a_plain_page_with_no_internals(client, url, status, title):
    client.raise_request_exception = False
    response = client.get(url)
    assert response.status_code == status
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    assert f"<title>{title} | tracker</title>" in page
    assert f"<h1>{title}</h1>" in page
    assert not INTERNALS.search(page), page


@pytest.mark.django_db
@pytest.mark.usefixtures("failing_views")
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/api/v1/plain-failure/",
            {
                "type": "https://tracker.invalid/problems/server_error",
                "title": "Internal server error",
                "status": 500,
                "detail": "The server failed; the error has been logged.",
            },
        ),
        (
            "/api/v1/plain-forbidden/",
            {
                "type": "https://tracker.invalid/problems/forbidden",
                "title": "Forbidden",
                "status": 403,
                "detail": "You may not do this.",
            },
        ),
        (
            "/api/no-such-version/",
            {
                "type": "https://tracker.invalid/problems/not_found",
                "title": "Not found",
                "status": 404,
                "detail": "No such resource.",
            },
        ),
    ],
)
def test_an_error_under_the_api_outside_drf_is_problem_json(client, url, expected):
    client.raise_request_exception = False
    response = client.get(url)
    assert response["Content-Type"] == "application/problem+json"
    assert (response.status_code, response.json()) == (expected["status"], expected)


# --- Static files with DEBUG off (WhiteNoise) ------------------------------------------------
def test_the_admins_static_files_are_served_with_debug_off(client, settings):
    assert settings.DEBUG is False
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    shipped = Path(django.__file__).parent / "contrib/admin/static/admin/css/base.css"
    assert b"".join(response.streaming_content) == shipped.read_bytes()


@pytest.mark.django_db
def test_every_static_file_the_api_docs_load_is_served_with_debug_off(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assets = sorted(set(re.findall(r"""["'](/static/[^"']+)["']""", page.content.decode())))
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset


# --- bootstrap --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_bootstrap_writes_the_admin_password_to_an_owner_only_file_never_to_the_screen(
    settings, tmp_path, monkeypatch
):
    monkeypatch.delenv("TRACKER_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("TRACKER_ADMIN_USERNAME", raising=False)
    settings.VAR_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path / "static"
    out = io.StringIO()
    call_command("bootstrap", stdout=out)
    credentials = tmp_path / "admin-credentials.txt"
    username, password = credentials.read_text().splitlines()
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert get_user_model().objects.get(username="admin").check_password(password)
    lines = out.getvalue().splitlines()
    assert password not in out.getvalue()
    assert lines[-1] == (
        f"Admin account 'admin' created; its password is in {credentials} (readable only by you)."
    )
    assert sum(str(credentials) in line for line in lines) == 1  # said once, at the end
    assert (tmp_path / "static" / "admin" / "css" / "base.css").exists()

    again = io.StringIO()
    call_command("bootstrap", stdout=again)
    assert password not in again.getvalue()
    last = again.getvalue().splitlines()[-1]
    assert last == f"Admin account 'admin' exists; its password is in {credentials}."
    assert credentials.read_text() == f"{username}\n{password}\n"
