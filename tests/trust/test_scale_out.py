"""Scale-out in CI: a short run of benchmarks/scale_out.py. Two web processes (gunicorn), two
Celery workers and beat, on a private PostgreSQL and a private Redis, under a mixed API load
with report schedules created during it; beat 2 starts at 15% of the run, web 1 and worker 1
are SIGKILLed at 40%, beat 1 at 70%. Every accepted write is stored once, every
report generated once (one file per format, one delivery and one e-mail per recipient), one
beat dispatches at a time, no 5xx. The longer run: ``python -m benchmarks.scale_out``."""

from benchmarks.scale_out import private_stack, report, run, verify, wait_until_drained
from tests.trust.private_servers import NEEDS_PRIVATE_CLUSTER

pytestmark = NEEDS_PRIVATE_CLUSTER

CLIENTS = 6
SECONDS = 16.0


def test_two_of_each_process_with_kills_store_every_write_and_report_once_and_one_beat_dispatches() -> None:
    with private_stack() as stack:
        load, timeline = run(stack, clients=CLIENTS, seconds=SECONDS, report_every=1.5, reports_for=0.6)
        schedules = sum(1 for what in load.accepted if what.startswith("schedule "))
        drain = wait_until_drained(stack, schedules, timeout=45)
        verdict = verify(stack, load, timeline, drain_seconds=drain)
    print(report(verdict, clients=CLIENTS, seconds=SECONDS, timeline=timeline))  # noqa: T201 -- docs' figures
    assert schedules, "no report schedule was accepted"
    assert verdict.figures["beat dispatches"]["beat 2"], "beat 2 never took over"
    assert not verdict.failures, (verdict.failures, load.problems[:5])
