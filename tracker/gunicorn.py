"""gunicorn's configuration for the web process (Procfile: ``--config python:tracker.gunicorn``).

Read from the environment (README, "Configuration"; docs/deploy.md sizes them):

- ``WEB_BIND``: the address to listen on, default ``127.0.0.1:$PORT`` with ``PORT`` 8000:
  loopback, behind a reverse proxy. ``0.0.0.0:8000`` listens on every interface.
- ``WEB_WORKERS`` processes of ``WEB_THREADS`` threads each (gthread): at most workers x
  threads requests at once. Each process has its own pool of ``DB_POOL_MAX`` database
  connections (tracker/settings.py), shared by its threads.
- ``WEB_TIMEOUT``: seconds a request may take before its worker is killed and replaced.
- ``WEB_GRACEFUL_TIMEOUT``: on SIGTERM (Ctrl-C under honcho, a restart) the workers stop
  accepting and finish the requests they hold for up to this long.

The access log goes to standard output without the query string (``%(U)s``, the path alone,
never ``%(r)s``, the request line): a token or other secret sent in a query string is never
written to it, nor is the Referer (which may carry one).
"""

import os

from tracker.logs import gunicorn_logconfig_dict
from tracker.metrics import child_exit, on_starting  # noqa: F401 -- gunicorn's server hooks (Prometheus multiprocess)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise SystemExit(f"{name} must be 1 or more, not {value}")
    return value


bind = [os.environ.get("WEB_BIND") or f"127.0.0.1:{_int('PORT', 8000)}"]
worker_class = "gthread"
workers = _int("WEB_WORKERS", 2)
threads = _int("WEB_THREADS", 4)
timeout = _int("WEB_TIMEOUT", 60)
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# A worker is replaced after about this many requests (the jitter keeps them from all
# restarting at once): slow leaks cannot grow without end.
max_requests = 2000
max_requests_jitter = 200
# Each worker imports the application itself: no database pool or Redis connection opened
# before the fork may end up shared between processes.
preload_app = False
# No control socket (gunicorn 25+): its default path is one per user, shared by every gunicorn
# that user runs; stop and reload with signals (TERM, HUP) instead.
control_socket_disable = True

access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
# Error and access logs through tracker's own configuration (LOG_FORMAT, LOG_LEVEL: JSON lines
# with the request id, credentials redacted). No ``accesslog`` setting: logconfig_dict enables
# the access log and writes it through its handler (with it, each line would come twice).
logconfig_dict = gunicorn_logconfig_dict()
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
