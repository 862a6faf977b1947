"""Waiting for a real worker or server in end-to-end tests: poll a condition, fail by name."""

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Return once ``condition()`` holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
