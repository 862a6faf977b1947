"""Organisation, partnership and joint-work services."""

import pytest
from django.core.exceptions import ValidationError

from partners.choices import OrganisationRole
from partners.models import ActivityOrganisation
from partners.services.organisations import set_activity_organisations, update_organisation
from tests.factories import ActivityFactory, OrganisationFactory


def test_an_organisation_cannot_be_below_itself(db, officer):
    top = OrganisationFactory.create()
    middle = OrganisationFactory.create(parent=top)
    with pytest.raises(ValidationError) as excinfo:
        update_organisation(actor=officer, reason="t", organisation=top, parent=middle)
    assert excinfo.value.message_dict == {"parent": [f"{middle} cannot be the parent: it is below {top}."]}


def test_set_activity_organisations_replaces_the_roles_and_keeps_the_unchanged_ones(db, officer):
    activity = ActivityFactory.create()
    osce, coe = OrganisationFactory.create(), OrganisationFactory.create()
    co, host = OrganisationRole.CO_ORGANISER, OrganisationRole.HOST
    set_activity_organisations(
        actor=officer, reason="first", activity=activity, roles=[(osce, co), (coe, host)]
    )
    kept = ActivityOrganisation.objects.get(organisation=osce)
    set_activity_organisations(actor=officer, reason="second", activity=activity, roles=[(osce, co)])
    assert list(ActivityOrganisation.objects.values_list("pk", "organisation", "role")) == [
        (kept.pk, osce.pk, co)
    ]
    assert kept.history.count() == 1
    assert ActivityOrganisation.history.filter(history_type="-").get().history_change_reason == "second"


def test_set_activity_organisations_refuses_an_unknown_role(db, officer):
    activity = ActivityFactory.create()
    with pytest.raises(ValidationError) as excinfo:
        set_activity_organisations(
            actor=officer, reason="t", activity=activity, roles=[(OrganisationFactory.create(), "sponsor")]
        )
    assert list(excinfo.value.message_dict) == ["role"]
    assert not ActivityOrganisation.objects.exists()


def test_a_change_of_an_activitys_organisations_counts_in_its_version(db, officer):
    """The admin's conflict check and the API's ETag read the version: a new role changes it once,
    setting the same roles again leaves it."""
    activity = ActivityFactory.create()
    organisation = OrganisationFactory.create(code="ORG-V1")
    before = type(activity).objects.get(pk=activity.pk).version
    roles = [(organisation, OrganisationRole.CO_ORGANISER)]
    set_activity_organisations(actor=officer, reason="t", activity=activity, roles=roles)
    assert type(activity).objects.get(pk=activity.pk).version == before + 1
    set_activity_organisations(actor=officer, reason="t", activity=activity, roles=roles)
    assert type(activity).objects.get(pk=activity.pk).version == before + 1
