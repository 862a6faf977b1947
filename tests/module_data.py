"""Data loaded once for a whole test module, as Django's ``TestCase.setUpTestData`` does.

Loading the 2006 report takes one to five seconds; a module of a dozen tests that each load it
again spent a minute of every CI pass on it. ``module_data(load)`` makes a module-scoped
fixture that loads once inside an outer transaction; each test's own transaction (pytest-django's
``db``) is then a savepoint inside it, so whatever a test changes is rolled back to the loaded
state, and the outer transaction is rolled back after the module's last test: no other module
ever sees the data. Not for tests that need real commits (``transaction=True``, live servers).
"""

from collections.abc import Callable, Iterator

import pytest
from django.db import transaction
from pytest_django import DjangoDbBlocker


def module_data(load: Callable[[], object], *, autouse: bool = True) -> Callable[..., Iterator[None]]:
    """Autouse by default: every test of the module then sees the same data, whatever order
    the tests run in (a test that did not ask for it would otherwise see it or not by chance)."""

    @pytest.fixture(scope="module", autouse=autouse)
    def loaded_once(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
        with django_db_blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
            try:
                load()
                yield
            finally:
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)

    return loaded_once
