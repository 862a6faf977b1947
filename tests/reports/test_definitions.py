"""Indicator definitions are no back door: a definition exists only for a formula in the code,
only administrators write them, and one that fails to compute stops nothing else."""

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from reports import indicators
from reports.choices import RunStatus
from reports.indicators import FORMULAS, Formula, IndicatorResult, When
from reports.models import ComputationRun, IndicatorDefinition, IndicatorValue
from reports.scope import Scope
from reports.services import definitions, recompute
from reports.services.published_figures import load_published_figures
from reports.services.reporting import generate_report
from reports.services.snapshots import refresh_outcome
from tests.api.conftest import client_for
from tests.factories import ReportFactory, UserFactory
from tracker.actors import Actor
from tracker.api.authentication import issue_token
from tracker.models import IntegrationAccount
from tracker.roles import INTEGRATION, OFFICER, setup_roles

pytestmark = pytest.mark.django_db

Y2006 = (datetime.date(2006, 1, 1), datetime.date(2006, 12, 31))
UNKNOWN = (
    "No formula for the indicator code 'IND-NOPE': a definition needs one in the code "
    "(reports.indicators.FORMULAS)."
)


def _member(role: str, username: str, **fields: Any) -> Any:
    setup_roles()
    user = UserFactory.create(username=username, **fields)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_an_unknown_code_is_refused_at_every_door(client: Any) -> None:
    admin = UserFactory.create(username="administrator", is_superuser=True, is_staff=True)
    _token, secret = issue_token(
        account=IntegrationAccount.objects.create(
            name="hq-sync", user=admin, scope_read=True, scope_write=True, scope_confidential=True
        )
    )
    client.force_login(admin)

    with pytest.raises(ValidationError) as model:
        IndicatorDefinition(code="IND-NOPE", name="Nope", unit="countries").full_clean()
    with pytest.raises(ValidationError) as service:
        definitions.create_definition(
            actor=Actor.system(), reason="test", code="IND-NOPE", name="Nope", unit="u"
        )
    api = client_for(secret).post(
        "/api/v1/indicators/", {"code": "IND-NOPE", "name": "Nope", "unit": "countries"}, format="json"
    )
    admin_page = client.post(
        "/admin/reports/indicatordefinition/add/",
        {
            "code": "IND-NOPE",
            "name": "Nope",
            "unit": "countries",
            "display_order": 0,
            "targets-TOTAL_FORMS": 0,
            "targets-INITIAL_FORMS": 0,
        },
    )

    assert model.value.message_dict == {"code": [UNKNOWN]}
    assert service.value.message_dict == {"code": [UNKNOWN]}
    assert api.status_code == 400
    assert UNKNOWN in str(api.json())
    assert admin_page.status_code == 200  # the form again, with the error on code
    assert admin_page.context["adminform"].form.errors == {"code": [UNKNOWN]}
    assert not IndicatorDefinition.objects.filter(code="IND-NOPE").exists()


def test_officers_and_integration_tokens_read_definitions_but_do_not_write_them(client: Any) -> None:
    load_published_figures()
    officer = _member(OFFICER, "officer-role", is_staff=True)
    service_user = _member(INTEGRATION, "svc-role")
    account = IntegrationAccount.objects.create(
        name="integration", user=service_user, scope_read=True, scope_write=True
    )
    _token, secret = issue_token(account=account)
    token = client_for(secret)
    client.force_login(officer)
    workshops = IndicatorDefinition.objects.get(code="IND-WORKSHOPS-HELD")

    with pytest.raises(PermissionDenied):
        definitions.update_definition(
            actor=Actor.of(officer), reason="test", definition=workshops, changes={"name": "Renamed"}
        )
    listed = token.get("/api/v1/indicators/")
    created = token.post(
        "/api/v1/indicators/", {"code": "IND-WORKSHOPS-HELD", "name": "Twice", "unit": "u"}, format="json"
    )

    assert listed.status_code == 200
    assert created.status_code == 403
    assert client.get("/admin/reports/indicatordefinition/").status_code == 200
    assert client.get("/admin/reports/indicatordefinition/add/").status_code == 403
    page = client.post(f"/admin/reports/indicatordefinition/{workshops.pk}/change/", {"name": "Renamed"})
    assert page.status_code == 403
    workshops.refresh_from_db()
    assert workshops.name == "Subregional and regional workshops held"


# --- A broken formula ------------------------------------------------------------------------
def _broken(when: When, scope: Scope) -> IndicatorResult:
    raise RuntimeError("the formula exploded")


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> IndicatorDefinition:
    """A test-only formula registered in FORMULAS whose computation raises."""
    monkeypatch.setitem(FORMULAS, "TEST-BROKEN", Formula(_broken, 1, False))
    load_published_figures()
    return definitions.create_definition(
        actor=Actor.system(), reason="test", code="TEST-BROKEN", name="Broken", unit="u", display_order=1
    )


def test_a_failing_definition_is_recorded_failed_and_every_other_one_is_stored(broken: Any) -> None:
    run = recompute.request_computation(period=Y2006)

    assert recompute.execute_run(run_id=run.pk) == "done"

    run.refresh_from_db()
    failed = ComputationRun.objects.get(indicator=broken)
    assert (failed.status, failed.error) == (RunStatus.FAILED, "RuntimeError: the formula exploded")
    assert run.status == RunStatus.DONE
    assert run.error == f"1 indicator(s) failed and were not updated: TEST-BROKEN (run {failed.pk})."
    flows = [code for code, formula in FORMULAS.items() if not formula.takes_reference_date]
    stored = set(IndicatorValue.objects.values_list("indicator__code", flat=True))
    assert stored == set(flows) - {"TEST-BROKEN"}
    assert run.values_written == 2 * (len(flows) - 1)  # both audiences


def test_a_run_of_the_failing_definition_alone_is_failed(broken: Any) -> None:
    run = recompute.request_computation(indicator=broken, period=Y2006)

    assert recompute.execute_run(run_id=run.pk) == "failed"

    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.FAILED, "RuntimeError: the formula exploded")


def test_a_report_completes_without_the_failing_definition_and_says_so(
    broken: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    report = ReportFactory.create(formats=["html"])

    done = generate_report(report_id=report.pk)

    assert done.status == RunStatus.DONE
    html = done.files.get().file.read().decode()
    assert "Not available: TEST-BROKEN" in html
    assert ComputationRun.objects.filter(indicator=broken, status=RunStatus.FAILED).exists()
    assert done.indicator_values.filter(indicator__code="IND-WORKSHOPS-HELD").exists()


def test_the_savepoint_leaves_no_partial_snapshot_of_the_failing_definition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load_published_figures()
    calls: list[str] = []

    def half_then_broken(when: When, scope: Scope) -> IndicatorResult:
        calls.append(scope.audience)
        if len(calls) == 2:  # the first audience is stored, then the second one fails
            raise RuntimeError("second audience failed")
        return IndicatorResult(value=Decimal(1), fingerprint="x")

    monkeypatch.setitem(FORMULAS, "TEST-HALF", Formula(half_then_broken, 1, False))
    half = definitions.create_definition(
        actor=Actor.system(), reason="test", code="TEST-HALF", name="H", unit="u"
    )

    outcome = refresh_outcome(codes=["TEST-HALF", "IND-WORKSHOPS-HELD"], periods=[Y2006])

    assert [f.definition for f in outcome.failures] == [half]
    assert not IndicatorValue.objects.filter(indicator=half).exists()
    assert IndicatorValue.objects.filter(indicator__code="IND-WORKSHOPS-HELD").count() == 2
    assert indicators.FORMULAS is FORMULAS


def test_the_admin_writes_a_definition_and_its_targets_through_the_service(client: Any) -> None:
    load_published_figures()
    admin = UserFactory.create(username="administrator", is_superuser=True, is_staff=True)
    client.force_login(admin)
    workshops = IndicatorDefinition.objects.get(code="IND-EVENTS-HELD")  # no published figure linked

    response = client.post(
        f"/admin/reports/indicatordefinition/{workshops.pk}/change/",
        {
            "code": workshops.code,
            "name": "Workshops held",
            "unit": workshops.unit,
            "source_paragraph": workshops.source_paragraph,
            "is_active": "on",
            "display_order": workshops.display_order,
            "targets-TOTAL_FORMS": 1,
            "targets-INITIAL_FORMS": 0,
            "targets-0-value": "12",
            "targets-0-target_date": "2008-12-31",
            "targets-0-notes": "",
            "published_figures-TOTAL_FORMS": 0,
            "published_figures-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 302
    workshops.refresh_from_db()
    target = workshops.targets.get()
    assert (workshops.name, target.value) == ("Workshops held", Decimal(12))
    assert workshops.history.first().history_change_reason == "changed in the admin"  # type: ignore[attr-defined]  # django-simple-history
    assert (target.history.first().history_user, target.history.first().history_change_reason) == (  # type: ignore[attr-defined]  # django-simple-history
        admin,
        "target set in the admin",
    )
