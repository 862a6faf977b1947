"""Fixtures of the trust tests: reference rows every write path needs, and API clients."""

import pytest

from tests.api.conftest import client_for, make_account
from tests.factories import CountryFactory, DonorFactory, InstrumentFactory, OrganisationFactory
from tracker.api.authentication import issue_token


@pytest.fixture
def refs(db):  # type: ignore[no-untyped-def]
    """Two countries, an organisation, an instrument and a donor, with known codes."""
    host = CountryFactory.create(iso3="QHO", iso2="Q1", m49="981")
    return {
        "host": host,
        "guest": CountryFactory.create(iso3="QGE", iso2="Q2", m49="982"),
        "org": OrganisationFactory.create(code="ORG-T1"),
        "instrument": InstrumentFactory.create(code="TEST_CONV"),
        "donor": DonorFactory.create(name="Donor T", country=host),
    }


@pytest.fixture
def api(db):  # type: ignore[no-untyped-def]
    """An API client with a write token of an integration account holding every model permission."""
    from django.core.cache import cache

    cache.clear()  # throttle counts are keyed by token id, which repeats across rolled-back tests
    _, secret = issue_token(account=make_account("trust", write=True), label="write")
    return client_for(secret)
