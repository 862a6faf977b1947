"""show_annex prints the annex from the database and writes the same figures as CSV."""

import csv
import io

import pytest
from django.core.management import call_command

from partners.services.report_2006 import load_funding_2006


@pytest.fixture
def annex_loaded(countries_2006):  # type: ignore[no-untyped-def]
    load_funding_2006()


def test_show_annex_prints_the_printed_totals_and_writes_csv(annex_loaded, tmp_path):
    out = io.StringIO()
    call_command("show_annex", "--csv", str(tmp_path / "annex.csv"), stdout=out)
    text = out.getvalue()
    assert "15,434,904" in text
    assert "876,936    1,573,403    2,076,627    4,738,682    6,169,256" in text
    assert "Including unpaid pledges of USD 878,141" in text
    rows = list(csv.reader((tmp_path / "annex.csv").open(encoding="utf-8")))
    assert rows[20][1:3] == ["Total", "15434904"]
