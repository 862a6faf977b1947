"""The bad-input catalogue: hostile and malformed inputs tried on every write path.

Each row names the input, the write path, the answer expected (a 4xx problem+json naming the
field, or a form error naming it, or an import report naming line and column) and checks that
nothing was stored (rows counted before and after). Runs on SQLite and on PostgreSQL (where a
NUL character reaching the database would be a 500: it must be refused before).

| input                                  | paths                           | expected              |
|----------------------------------------|---------------------------------|-----------------------|
| wrong type ("twenty" for a number)     | API: all four                   | 400, field named      |
| missing required field                 | API: all four                   | 400, field named      |
| unknown code (country, instrument...)  | API: all four; importer         | 400 / row error       |
| date out of range, impossible date     | API: 3 of 4; importer           | 400 / row error       |
| negative and huge numbers (10**30)     | API: activities, contributions  | 400, field named      |
| very long strings (over max_length)    | API: all four; admin            | 400 / form error      |
| NUL character, C0 controls             | API, admin, CSV import          | 400 / form/row error  |
| six UN languages, RTL, astral plane    | API, admin, CSV/XLSX import     | stored intact         |
| deeply nested JSON (kB of [[[...]]])   | API: all four                   | 400 problem+json      |
| oversized body (> 2.5 MB)              | API: all four                   | 413 problem+json      |
| malformed JSON, NaN, a list body       | API: all four                   | 400 problem+json      |
| wrong content type (form, text, XML)   | API: all four                   | 415 problem+json      |
| CSV not UTF-8, garbage, bad XLSX       | ratification importer           | line + encoding named |
| cells starting with = + - @            | API CSV/XLSX exports, annex     | apostrophe prefixed   |
"""

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from django.db.models import Model

from missions.models import Activity, Ratification
from missions.services.legal_import import import_ratifications
from partners.models import Contribution, Organisation

pytestmark = pytest.mark.django_db

LANGUAGES = {
    "ar": "مكتب الأمم المتحدة المعني بالمخدرات والجريمة",
    "zh": "联合国毒品和犯罪问题办公室",
    "en": "United Nations Office on Drugs and Crime",
    "fr": "Office des Nations Unies contre la drogue et le crime",
    "ru": "Управление Организации Объединенных Наций по наркотикам и преступности",
    "es": "Oficina de las Naciones Unidas contra la Droga y el Delito",
}
ALL_LANGUAGES = " | ".join(LANGUAGES.values()) + " 𠀋 \u200f"  # an astral-plane CJK character, an RTL mark


def activity() -> dict[str, Any]:
    return {
        "kind": "workshop",
        "reference": "W-trust",
        "title": "Regional workshop",
        "start_date": "2006-10-02",
        "end_date": "2006-10-04",
        "host_country": "QHO",
        "countries": [{"country": "QHO", "role": "host"}, {"country": "QGE", "role": "participant"}],
        "participations": [{"role": "prosecutors", "count": 20}],
        "outcomes": [{"kind": "declaration", "title": "Final declaration"}],
        "organisations": [{"organisation": "ORG-T1", "role": "co_organiser"}],
    }


def contribution() -> dict[str, Any]:
    return {"donor": "Donor T", "kind": "pledge", "amount": "1000.00", "currency": "USD", "year": 2006}


def ratification() -> dict[str, Any]:
    return {
        "country": "QHO",
        "instrument": "TEST_CONV",
        "action": "ratification",
        "deposit_date": "2006-05-01",
    }


def organisation() -> dict[str, Any]:
    return {"code": "ORG-NEW", "name_en": "New organisation", "kind": "regional"}


PATHS: dict[str, tuple[str, Callable[[], dict[str, Any]], type[Model]]] = {
    "activities": ("/api/v1/activities/", activity, Activity),
    "contributions": ("/api/v1/contributions/", contribution, Contribution),
    "ratifications": ("/api/v1/ratifications/", ratification, Ratification),
    "organisations": ("/api/v1/organisations/", organisation, Organisation),
}


def _set(body: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path (``participations.0.count``); the value ``DROP`` removes the key."""
    *parents, last = path.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is DROP:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


DROP = object()
LONG = "x" * 5_000
NUL = "a\x00b"

# (path, field to change, hostile value, field the error must name)
FIELD_CASES = [
    # wrong types
    ("activities", "participations.0.count", "twenty", "participations.0.count"),
    ("activities", "countries", "QHO", "countries"),
    ("activities", "start_date", 20061002, "start_date"),
    ("contributions", "amount", "a lot", "amount"),
    ("contributions", "year", [2006], "year"),
    ("ratifications", "deposit_date", True, "deposit_date"),
    ("organisations", "name_en", {"en": "x"}, "name_en"),
    # missing fields
    ("activities", "title", DROP, "title"),
    ("activities", "start_date", DROP, "start_date"),
    ("contributions", "donor", DROP, "donor"),
    ("contributions", "amount", DROP, "amount"),
    ("ratifications", "instrument", DROP, "instrument"),
    ("organisations", "kind", DROP, "kind"),
    # unknown codes
    ("activities", "host_country", "ZZZ", "host_country"),
    ("activities", "countries.1.country", "ZZZ", "countries.1.country"),
    ("activities", "organisations.0.organisation", "NO-SUCH-ORG", "organisations.0.organisation"),
    ("activities", "kind", "picnic", "kind"),
    ("contributions", "donor", "Nobody", "donor"),
    ("contributions", "kind", "gift", "kind"),
    ("ratifications", "instrument", "NO_SUCH_CONV", "instrument"),
    ("ratifications", "country", "ZZZ", "country"),
    ("organisations", "kind", "club", "kind"),
    # dates out of range or impossible
    ("activities", "start_date", "10000-01-01", "start_date"),
    ("activities", "end_date", "2006-02-30", "end_date"),
    ("activities", "end_date", "2006-09-01", "end_date"),  # before the start
    ("contributions", "date", "0000-01-01", "date"),
    ("ratifications", "deposit_date", "2006-13-01", "deposit_date"),
    # negative and huge numbers
    ("activities", "participations.0.count", -1, "participations.0.count"),
    ("activities", "participations.0.count", 10**30, "participations.0.count"),
    ("contributions", "amount", str(10**30), "amount"),
    ("contributions", "amount", "1e400", "amount"),
    ("contributions", "year", -2006, "year"),
    ("contributions", "year", 10**30, "year"),
    # very long strings
    ("activities", "title", LONG, "title"),
    ("activities", "reference", LONG, "reference"),
    ("contributions", "currency", "US dollars", "currency"),
    ("ratifications", "source", LONG, "source"),
    ("organisations", "code", LONG, "code"),
    # control characters: NUL is refused before it reaches the database
    ("activities", "title", NUL, "title"),
    ("activities", "outcomes.0.title", NUL, "outcomes.0.title"),
    ("contributions", "notes", NUL, "notes"),
    ("ratifications", "reservations", NUL, "reservations"),
    ("organisations", "name_en", NUL, "name_en"),
]


def _ids(case: tuple[Any, ...]) -> str:
    return f"{case[0]}:{case[1]}={str(case[2])[:20]!r}"


def _assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


@pytest.mark.parametrize("case", FIELD_CASES, ids=_ids)
def test_a_hostile_field_is_refused_naming_it_and_nothing_is_stored(api, refs, case) -> None:  # type: ignore[no-untyped-def]
    name, field, value, named = case
    url, make, model = PATHS[name]
    body = make()
    _set(body, field, value)
    before = model._default_manager.count()
    response = api.post(url, json.dumps(body), content_type="application/json")
    problem = _assert_problem(response, 400)
    assert named in [error["field"] for error in problem["errors"]], problem
    assert model._default_manager.count() == before


@pytest.mark.parametrize("name", list(PATHS))
def test_a_valid_body_of_each_path_is_accepted(api, refs, name) -> None:  # type: ignore[no-untyped-def]
    url, make, model = PATHS[name]
    response = api.post(url, make(), format="json")
    assert response.status_code == 201, response.content[:500]
    assert model._default_manager.count() >= 1


def test_an_update_with_a_nul_is_refused_and_the_record_is_unchanged(api, refs) -> None:  # type: ignore[no-untyped-def]
    created = api.post("/api/v1/organisations/", organisation(), format="json")
    url = f"/api/v1/organisations/{created.json()['id']}/"
    etag = api.get(url)["ETag"]
    response = api.patch(url, {"name_en": NUL}, format="json", HTTP_IF_MATCH=etag)
    _assert_problem(response, 400)
    assert Organisation.objects.get(code="ORG-NEW").name_en == "New organisation"


def test_six_languages_are_stored_and_returned_intact(api, refs) -> None:  # type: ignore[no-untyped-def]
    body = activity()
    body["title"] = ALL_LANGUAGES[:400]
    body["outcomes"][0]["title"] = LANGUAGES["ar"]
    response = api.post("/api/v1/activities/", body, format="json")
    assert response.status_code == 201, response.content[:500]
    read = api.get(response["Location"]).json()
    assert read["title"] == ALL_LANGUAGES[:400]
    assert read["outcomes"][0]["title"] == LANGUAGES["ar"]
    assert Activity.objects.get(reference="W-trust").title == ALL_LANGUAGES[:400]
    for code, text in LANGUAGES.items():
        org = {"code": f"ORG-{code}", "name_en": text, "kind": "regional", "notes": ALL_LANGUAGES}
        if code == "zh":
            org["name_zh"] = text
        created = api.post("/api/v1/organisations/", org, format="json")
        assert created.status_code == 201, created.content[:500]
        again = api.get(f"/api/v1/organisations/{created.json()['id']}/").json()
        assert (again["name_en"], again["notes"]) == (text, ALL_LANGUAGES)
    csv_text = api.get("/api/v1/organisations/?format=csv").content.decode("utf-8")
    assert LANGUAGES["ar"] in csv_text
    assert LANGUAGES["zh"] in csv_text


DEEP_ARRAY = "[" * 20_000 + "]" * 20_000  # 40 kB: Python's json module recurses on it
DEEP_OBJECT = '{"a":' * 5_000 + "1" + "}" * 5_000

# (what, raw body, content type, status)
TRANSPORT_CASES = [
    ("deeply nested array", DEEP_ARRAY, "application/json", 400),
    ("deeply nested object", DEEP_OBJECT, "application/json", 400),
    ("nested 40 levels under a field", '{"title": ' + "[" * 40 + "]" * 40 + "}", "application/json", 400),
    ("oversized body", '{"title": "' + "x" * 3_000_000 + '"}', "application/json", 413),
    ("malformed JSON", '{"title": ', "application/json", 400),
    ("NaN", '{"amount": NaN}', "application/json", 400),
    ("a list instead of an object", "[1, 2, 3]", "application/json", 400),
    ("not UTF-8", b'{"title": "\xff\xfe"}', "application/json", 400),
    ("form body", "title=x&kind=workshop", "application/x-www-form-urlencoded", 415),
    ("text body", "title: x", "text/plain", 415),
    ("XML body", "<title>x</title>", "application/xml", 415),
]


@pytest.mark.parametrize("name", list(PATHS))
@pytest.mark.parametrize("case", TRANSPORT_CASES, ids=[case[0] for case in TRANSPORT_CASES])
def test_a_broken_body_gets_a_json_4xx_never_a_500(api, refs, name, case) -> None:  # type: ignore[no-untyped-def]
    url, _, model = PATHS[name]
    _, raw, content_type, status = case
    before = model._default_manager.count()
    response = api.post(url, raw, content_type=content_type)
    _assert_problem(response, status)
    assert model._default_manager.count() == before


# --- importers ---------------------------------------------------------------------------
HEADER = "instrument,iso3,action,deposit_date,reservations,source\r\n"


def _import(data: bytes, filename: str = "r.csv") -> Any:
    return import_ratifications(data, actor=None, reason="trust test", filename=filename)


@pytest.mark.parametrize(
    ("what", "data", "line", "field", "words"),
    [
        (
            "Latin-1 bytes",
            (HEADER + "TEST_CONV,QHO,ratification,2006-05-01,caf\xe9,x\r\n").encode("latin-1"),
            2,
            "file",
            "UTF-8",
        ),
        ("UTF-16", (HEADER + "TEST_CONV,QHO,,,,\r\n").encode("utf-16"), 1, "file", "UTF-8"),
        (
            "NUL in a cell",
            (HEADER + "TEST_CONV,QHO,ratification,2006-05-01,a\x00b,x\r\n").encode(),
            2,
            "reservations",
            "NUL character",
        ),
        ("binary garbage", b"\x00\x01\x02PK\x03\x04garbage", 1, "file", "header contains a NUL"),
        ("unknown code", (HEADER + "NO_SUCH,QHO,,,,\r\n").encode(), 2, "instrument", "unknown"),
        (
            "date out of range",
            (HEADER + "TEST_CONV,QHO,ratification,99999-01-01,,\r\n").encode(),
            2,
            "deposit_date",
            "date",
        ),
        (
            "bad action",
            (HEADER + "TEST_CONV,QHO,=cmd|' /C calc'!A0,,,\r\n").encode(),
            2,
            "action",
            "not one of",
        ),
        ("extra cells", (HEADER + "TEST_CONV,QHO,,,,,,,\r\n").encode(), 2, "file", "more cells"),
    ],
)
def test_a_bad_import_file_is_refused_naming_line_and_field(refs, what, data, line, field, words) -> None:  # type: ignore[no-untyped-def]
    before = Ratification.objects.count()
    report = _import(data)
    assert not report.ok
    assert any(
        error.line == line and error.field == field and words in error.reason for error in report.errors
    ), [str(e) for e in report.errors]
    assert Ratification.objects.count() == before


def test_a_bad_xlsx_file_is_refused() -> None:
    report = _import(b"PK\x03\x04 not really a zip", filename="r.xlsx")
    assert not report.ok
    assert "XLSX" in report.errors[0].reason


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_file_in_six_languages_round_trips(refs) -> None:  # type: ignore[no-untyped-def]
    """(An XLSX cell cannot hold NUL or other C0 controls: XML 1.0 forbids them.)"""
    data = _xlsx(
        [
            ["instrument", "iso3", "action", "deposit_date", "reservations"],
            ["TEST_CONV", "QHO", "ratification", "2006-05-01", ALL_LANGUAGES],
        ]
    )
    report = _import(data, filename="r.xlsx")
    assert report.ok, report.as_text()
    assert Ratification.objects.get(country__iso3="QHO").reservations == ALL_LANGUAGES


def test_imported_text_in_six_languages_round_trips(refs) -> None:  # type: ignore[no-untyped-def]
    text = (HEADER + f'TEST_CONV,QHO,ratification,2006-05-01,"{ALL_LANGUAGES}",src\r\n').encode()
    report = _import(text)
    assert report.ok, report.as_text()
    assert Ratification.objects.get(country__iso3="QHO").reservations == ALL_LANGUAGES


# --- admin add forms ---------------------------------------------------------------------
def _admin_data(client: Any, url: str, data: dict[str, Any]) -> dict[str, Any]:
    """The form data plus empty management forms of the page's inlines."""
    page = client.get(url)
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


# ---------------------------------------------------------------------
ADMIN_CASES = [
    ("name_en", NUL, "Null characters are not allowed."),
    ("name_en", LONG, "at most 300 characters"),
    ("name_en", "", "This field is required."),
    ("kind", "club", "Select a valid choice."),
    ("code", "x" * 41, "at most 40 characters"),
]


@pytest.mark.parametrize(("field", "value", "message"), ADMIN_CASES)
def test_the_admin_add_form_names_the_bad_field(officer_client, refs, field, value, message) -> None:  # type: ignore[no-untyped-def]
    data = {"code": "ORG-ADM", "name_en": "Admin org", "kind": "regional", field: value}
    before = Organisation.objects.count()
    url = "/admin/partners/organisation/add/"
    response = officer_client.post(url, _admin_data(officer_client, url, data))
    assert response.status_code == 200, response.content[:300]
    form = response.context["adminform"].form
    assert field in form.errors, form.errors
    assert message in str(form.errors[field])
    assert Organisation.objects.count() == before


def test_the_admin_stores_six_languages_intact(officer_client, refs) -> None:  # type: ignore[no-untyped-def]
    data = {
        "code": "ORG-ADM",
        "name_en": LANGUAGES["ar"],
        "name_zh": LANGUAGES["zh"],
        "kind": "regional",
        "notes": ALL_LANGUAGES,
    }
    url = "/admin/partners/organisation/add/"
    response = officer_client.post(url, _admin_data(officer_client, url, data))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    stored = Organisation.objects.get(code="ORG-ADM")
    assert (stored.name_en, stored.name_zh, stored.notes) == (LANGUAGES["ar"], LANGUAGES["zh"], ALL_LANGUAGES)


# --- exports neutralise formulas ---------------------------------------------------------
# (A leading tab or carriage return is trimmed by the API's text fields before it is stored;
# the renderers neutralise those too.)
FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"]


def test_api_csv_and_xlsx_exports_neutralise_formulas(api, refs) -> None:  # type: ignore[no-untyped-def]
    for index, formula in enumerate(FORMULAS):
        created = api.post(
            "/api/v1/organisations/",
            {"code": f"F{index}", "name_en": formula, "kind": "regional"},
            format="json",
        )
        assert created.status_code == 201, created.content[:300]
    text = api.get("/api/v1/organisations/?format=csv").content.decode("utf-8")
    names = [row["name_en"] for row in csv.DictReader(io.StringIO(text))]
    for formula in FORMULAS:
        assert "'" + formula in names
    book = openpyxl.load_workbook(io.BytesIO(api.get("/api/v1/organisations/?format=xlsx").content))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    cells = [row[header.index("name_en")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    for formula in FORMULAS:
        assert "'" + formula in cells
    assert not any(
        isinstance(c, str) and c.startswith(("=", "+", "-", "@"))
        for row in sheet.iter_rows(values_only=True)
        for c in row
    )


def test_the_annex_export_neutralises_formulas() -> None:
    from partners.services.annex_export import FORMULA_STARTS

    assert set("=+-@") <= {start[0] for start in FORMULA_STARTS}
