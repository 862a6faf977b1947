"""The test run's settings: tracker.settings, given the two values production requires.

The PostgreSQL pass (DATABASE_URL and REDIS_URL set, DEBUG unset) is production to
tracker.settings, which then refuses to start without SECRET_KEY and SITE_URL. They are set
here, as defaults in the environment (so the servers and workers that the services tests start
inherit them), instead of asking whoever runs the tests to export them. On the embedded
defaults (the SQLite passes) nothing is set: those tests see exactly what `make run` sees.
"""

import atexit
import os
import shutil
import tempfile

if os.environ.get("DATABASE_URL") or os.environ.get("REDIS_URL"):
    os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-" + "k" * 40)
    os.environ.setdefault("SITE_URL", "http://testserver")

# Each test process keeps its Prometheus samples apart (tracker.settings reads this before
# prometheus_client is imported): two pytest-xdist workers sharing var/prometheus/ would count
# each other's requests in the metrics tests.
# Set, not defaulted: xdist's workers inherit the controller's environment, which this module
# has already changed there.
_metrics_dir = tempfile.mkdtemp(prefix=f"tracker-prometheus-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")
atexit.register(shutil.rmtree, _metrics_dir, ignore_errors=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir

from tracker.settings import *  # noqa: E402, F403 -- the project's settings, after the environment above
