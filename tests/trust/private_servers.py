"""The marks of a test module that starts its own PostgreSQL cluster (benchmarks.load.PrivatePostgres)."""

import os
import shutil

import pytest

NEEDS_PRIVATE_CLUSTER = [
    pytest.mark.services,
    # initdb and pg_ctl run as the postgres user through runuser, which needs root.
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("runuser") is None, reason="a private PostgreSQL cluster needs root"
    ),
]
