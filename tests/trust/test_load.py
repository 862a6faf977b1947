"""A short run of benchmarks/load.py in CI: mixed load on gunicorn against a private PostgreSQL,
no 5xx, every accepted write stored exactly once (the full run: ``python -m benchmarks.load``)."""

from benchmarks.load import check, private_site, run_load, stored_codes, summary
from tests.trust.private_servers import NEEDS_PRIVATE_CLUSTER

pytestmark = NEEDS_PRIVATE_CLUSTER

SECONDS = 8.0


def test_a_short_mixed_load_loses_and_duplicates_nothing() -> None:
    with private_site(accounts=3) as (cluster, server, tokens):
        result = run_load(server.port, tokens, clients=8, seconds=SECONDS, retry_share=0.3)
        stored = stored_codes(cluster.url)
    print(summary(result, SECONDS, stored))  # noqa: T201 -- the figure for docs/reliability.md
    assert result.accepted, "no write was accepted"
    assert not check(result, stored), (check(result, stored), result.problems[:5])
