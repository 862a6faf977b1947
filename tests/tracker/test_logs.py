"""Log lines (tracker/logs.py): JSON, the request id on every line of a request and of the tasks
it enqueued, credentials redacted, and a credential in a query string refused
(tracker/query_credentials.py)."""

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django_guid.log_filters import CorrelationId

from tests.waiting import wait_for
from tracker.celery import app
from tracker.logs import (
    JSON_FIELDS,
    GunicornAccess,
    JsonFormatter,
    TaskContext,
    gunicorn_logconfig_dict,
    redact,
)

ROOT = Path(__file__).resolve().parent.parent.parent
REQUEST_ID = "4f1c2b0e9a7d4c3b8e6f5a4d3c2b1a09"
task_logger = logging.getLogger("tests.logs.task")


@app.task(name="tests.tracker.test_logs.log_a_line_task")
def log_a_line_task(text: str) -> None:
    task_logger.info(text)


class Lines:
    def __init__(self, stream: io.StringIO, handler: logging.Handler) -> None:
        self.stream = stream
        self.handler = handler

    def attach(self) -> None:
        """(Again: a worker starting configures logging anew, from settings.LOGGING.)"""
        root = logging.getLogger()
        if self.handler not in root.handlers:
            root.addHandler(self.handler)
        root.setLevel(logging.INFO)

    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.text().splitlines() if line.strip()]

    def with_message(self, message: str) -> dict:
        found = [record for record in self.records() if record["message"] == message]
        assert len(found) == 1, (message, self.records())
        return found[0]


def _handler(stream: io.StringIO, *extra: logging.Filter) -> logging.Handler:
    """The handler settings.LOGGING builds (tracker.logs.logging_config), writing to ``stream``."""
    handler = logging.StreamHandler(stream)
    for log_filter in (CorrelationId("request_id"), TaskContext(), *extra):
        handler.addFilter(log_filter)
    handler.setFormatter(
        JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})
    )
    return handler


@pytest.fixture
def lines() -> Iterator[Lines]:
    stream = io.StringIO()
    handler = _handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield Lines(stream, handler)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_valid_incoming_request_id_is_kept_returned_and_on_the_lines(client, lines, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/nowhere/", HTTP_X_REQUEST_ID=REQUEST_ID)
    assert response.status_code == 404
    assert response["X-Request-ID"] == REQUEST_ID
    line = lines.with_message("Not Found: /nowhere/")
    assert (line["logger"], line["level"], line["request_id"]) == ("django.request", "WARNING", REQUEST_ID)


def test_a_missing_or_invalid_request_id_is_replaced_by_a_new_one(client, lines, db) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/nowhere/")["X-Request-ID"]
    second = client.get("/nowhere/", HTTP_X_REQUEST_ID="not-an-id; DROP")["X-Request-ID"]
    for given in (first, second):
        assert len(given) == 32
        assert int(given, 16) >= 0  # hexadecimal
    assert first != second
    assert [line["request_id"] for line in lines.records() if line["logger"] == "django.request"] == [
        first,
        second,
    ]


@pytest.mark.parametrize("parameter", ["token", "access_token", "api_key", "key", "Token"])
def test_a_credential_in_the_query_string_is_refused_and_never_logged(client, lines, db, parameter) -> None:  # type: ignore[no-untyped-def]
    secret = "trk_" + "S3cr3tValue" * 3
    response = client.get(f"/api/v1/activities/?page_size=5&{parameter}={secret}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content) == {
        "type": "https://tracker.invalid/problems/credential_in_query",
        "title": "Bad request",
        "status": 400,
        "detail": f"The query parameter '{parameter}' carries a credential, which would be written to "
        "logs: send it in the Authorization header instead (Authorization: Bearer <token>).",
        "errors": [
            {
                "field": parameter,
                "message": "Credentials are not accepted in the query string; use the Authorization header.",
                "code": "credential_in_query",
            }
        ],
    }
    assert lines.with_message("Bad Request: /api/v1/activities/")["request_id"] == response["X-Request-ID"]
    assert secret not in lines.text()


def test_other_query_parameters_pass(client, db) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/health/live?tokens=1&monkey=2").status_code == 200


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /api/v1/x/?a=1&token=abc123&b=2 HTTP/1.1", "GET /api/v1/x/?a=1&token=[redacted]&b=2 HTTP/1.1"),
        ("/p?API_KEY=zzz", "/p?API_KEY=[redacted]"),
        ("Authorization: Bearer trk_abcdefghijkl", "Authorization: [redacted]"),
        ("{'HTTP_AUTHORIZATION': 'Token abcdefghijkl'}", "{'HTTP_AUTHORIZATION': '[redacted]'}"),
        ("sent Bearer abcdefghijklmnop to x", "sent Bearer [redacted] to x"),
        ("secret is trk_abcdefghijklmnop", "secret is [redacted]"),
        ("password=hunter2hunter2 user=bob", "password=[redacted] user=bob"),
        ('{"client_secret": "abc", "n": 1}', '{"client_secret": "[redacted]", "n": 1}'),
        ("EMAIL_HOST_PASSWORD: p4ss", "EMAIL_HOST_PASSWORD: [redacted]"),
        (
            "nothing to hide in /api/v1/activities/?page_size=5",
            "nothing to hide in /api/v1/activities/?page_size=5",
        ),
    ],
)
def test_what_is_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_credential_in_a_log_calls_arguments_is_redacted(lines, caplog) -> None:  # type: ignore[no-untyped-def]
    logging.getLogger("tests.logs").warning("calling %s with %s", "/x?token=abcdef", {"password": "pw123456"})
    assert lines.records()[-1]["message"] == "calling /x?token=[redacted] with {'password': '[redacted]'}"
    # The record itself is left alone for the other handlers.
    assert caplog.records[-1].args == ("/x?token=abcdef", {"password": "pw123456"})


def test_a_traceback_is_redacted_too(lines) -> None:  # type: ignore[no-untyped-def]
    try:
        raise ValueError("bad url /x?api_key=zzz-secret-zzz")
    except ValueError:
        logging.getLogger("tests.logs").exception("failed")
    assert "zzz-secret-zzz" not in lines.text()
    assert "api_key=[redacted]" in lines.records()[-1]["exc_info"]


def test_the_gunicorn_access_line_is_json_with_the_request_id_and_no_credential() -> None:
    from gunicorn.glogging import SafeAtoms

    stream = io.StringIO()
    handler = _handler(stream, GunicornAccess())
    atoms = SafeAtoms(
        {
            "h": "127.0.0.1",
            "m": "GET",
            "U": "/api/v1/activities/",
            "q": "token=trk_abcdefghijklmnop",
            "r": "GET /api/v1/activities/?token=trk_abcdefghijklmnop HTTP/1.1",
            "s": "400",
            "B": 312,
            "D": 4500,
            "a": "curl/8",
            "{x-request-id}o": REQUEST_ID,
        }
    )
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s" %(s)s', (atoms,), None
    )
    handler.handle(record)
    line = json.loads(stream.getvalue())
    assert {key: line[key] for key in ("message", "method", "path", "status", "bytes", "duration_ms")} == {
        "message": "GET /api/v1/activities/?token=[redacted] 400",
        "method": "GET",
        "path": "/api/v1/activities/?token=[redacted]",
        "status": 400,
        "bytes": 312,
        "duration_ms": 4.5,
    }
    assert line["request_id"] == REQUEST_ID
    assert "abcdefghijklmnop" not in stream.getvalue()


def test_gunicorn_logconfig_dict_is_a_valid_configuration() -> None:
    config = gunicorn_logconfig_dict(log_format="json", level="INFO")
    assert config["loggers"]["gunicorn.access"] == {
        "handlers": ["access"],
        "level": "INFO",
        "propagate": False,
    }
    assert config["handlers"]["access"]["filters"] == ["request_id", "task", "gunicorn_access"]
    logging.config.dictConfig({**config, "root": {"level": "INFO", "handlers": []}, "incremental": False})
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)  # back to the test process's own


def _settings_in_a_new_process(**env: str) -> subprocess.CompletedProcess[str]:
    code = "from django.conf import settings; print(settings.LOG_FORMAT)"
    return subprocess.run(  # noqa: S603 -- our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tracker.settings",
            "SECRET_KEY": "x" * 50,
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("debug", "log_format", "expected"),
    [("false", None, "json"), ("true", None, "text"), ("false", "text", "text"), ("true", "JSON", "json")],
)
def test_log_format_is_json_unless_debug_is_on(debug: str, log_format: str | None, expected: str) -> None:
    env = {"DEBUG": debug, **({"LOG_FORMAT": log_format} if log_format else {})}
    if log_format is None:
        env["LOG_FORMAT"] = ""  # unset for the child, whatever this process has
    result = _settings_in_a_new_process(**env)
    assert (result.returncode, result.stdout.strip()) == (0, expected), result.stderr


def test_a_bad_log_format_names_the_setting() -> None:
    result = _settings_in_a_new_process(LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be json or text, not 'xml'" in result.stderr


# --- The request id in the tasks a request enqueued -------------------------------------------
@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[None]:
    """The file-system broker in a folder of this test (no stray message for another run);
    the configured Redis database when the services pass runs."""
    if not str(app.conf.broker_url).startswith("filesystem://"):
        yield
        return
    previous = app.conf.broker_transport_options
    folders = {name: tmp_path / name for name in ("out", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    app.conf.broker_transport_options = {
        "data_folder_in": str(folders["out"]),
        "data_folder_out": str(folders["out"]),
        "data_folder_processed": str(folders["processed"]),
        "control_folder": str(folders["control"]),
    }
    app._pool = None  # noqa: SLF001 -- a new connection with these folders
    app.amqp._producer_pool = None  # noqa: SLF001
    try:
        yield
    finally:
        app.conf.broker_transport_options = previous
        app._pool = None  # noqa: SLF001
        app.amqp._producer_pool = None  # noqa: SLF001


@pytest.mark.urls("tests.tracker.logs_urls")
@pytest.mark.django_db(transaction=True)
def test_the_lines_of_a_task_carry_the_id_of_the_request_that_enqueued_it(
    client, lines, private_broker
) -> None:  # type: ignore[no-untyped-def]
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        lines.attach()
        response = client.get("/test-enqueue/", HTTP_X_REQUEST_ID=REQUEST_ID)
        assert response.status_code == 200
        wait_for(lambda: "the task runs" in lines.text(), timeout=60, what="the task's log line")
    view_line = lines.with_message("the view enqueues a task")
    task_line = lines.with_message("the task runs")
    assert view_line["request_id"] == REQUEST_ID
    assert task_line["request_id"] == REQUEST_ID
    assert task_line["task_name"] == "tests.tracker.test_logs.log_a_line_task"
    assert task_line["task_id"]
    assert view_line["task_name"] is None
