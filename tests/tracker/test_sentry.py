"""Sentry (tracker/sentry.py): initialised with the Django and Celery integrations and no personal
data when SENTRY_DSN is set; nothing at all when it is not. Each case loads the settings in a new
process (sentry_sdk.init is process-wide)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tracker.sentry import _scrub

ROOT = Path(__file__).resolve().parent.parent.parent
PROBE = """
import json, django, sentry_sdk
django.setup()
client = sentry_sdk.get_client()
print(json.dumps({
    "active": client.is_active(),
    "options": {k: client.options.get(k) for k in ("send_default_pii", "environment", "release")}
    if client.is_active() else None,
    "integrations": sorted(client.integrations) if client.is_active() else [],
}))
"""


def _probe(**env: str) -> dict:
    result = subprocess.run(  # noqa: S603 -- our own interpreter and code
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")},
            "DJANGO_SETTINGS_MODULE": "tracker.settings",
            "DEBUG": "false",
            "SECRET_KEY": "x" * 50,
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_nothing_is_initialised_without_a_dsn() -> None:
    assert _probe() == {"active": False, "options": None, "integrations": []}


def test_a_dsn_turns_on_the_django_and_celery_integrations_without_personal_data() -> None:
    found = _probe(
        SENTRY_DSN="http://public@127.0.0.1:9/1",  # loopback, discard port: nothing is sent here anyway
        SENTRY_RELEASE="abc123",
    )
    assert found["active"] is True
    assert found["options"] == {"send_default_pii": False, "environment": "production", "release": "abc123"}
    assert {"django", "celery"} <= set(found["integrations"])


def test_events_are_redacted_before_they_leave() -> None:
    event = {
        "logentry": {"message": "GET /x?token=abcdef failed"},
        "breadcrumbs": {"values": [{"message": "Authorization: Bearer trk_abcdefghijkl"}]},
        "request": {"query_string": "page=2&api_key=zzz"},
    }
    assert _scrub(event, None) == {
        "logentry": {"message": "GET /x?token=[redacted] failed"},
        "breadcrumbs": {"values": [{"message": "Authorization: [redacted]"}]},
        "request": {"query_string": "page=2&api_key=[redacted]"},
    }
