"""Tools: saved through their services, with history, in the admin too."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from missions.choices import ToolStatus
from missions.models import Tool
from missions.services.tools import create_tool, update_tool
from tests.factories import CountryFactory, ToolFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_update_tool_writes_only_what_differs_with_actor_and_reason():
    actor = UserFactory.create()
    country = CountryFactory.create()
    tool = create_tool(
        actor=actor,
        reason="new tool",
        code="TOOL-99",
        name_en="Model law",
        kind="model law",
        countries=[country],
    )
    update_tool(actor=actor, reason="no change", tool=tool, name_en="Model law", countries=[country])
    assert tool.history.count() == 1  # type: ignore[attr-defined]  # simple-history manager
    update_tool(actor=actor, reason="now updated", tool=tool, status=ToolStatus.UPDATED)
    latest = tool.history.latest("history_id")  # type: ignore[attr-defined]  # simple-history manager
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        "updated",
        actor,
        "now updated",
    )
    assert list(Tool.objects.get().countries.all()) == [country]


def test_create_tool_refuses_a_bad_status_naming_the_field():
    with pytest.raises(ValidationError) as error:
        create_tool(actor=None, reason="r", code="TOOL-98", name_en="X", kind="guide", status="finished")
    assert list(error.value.message_dict) == ["status"]


def test_tool_admin_renders_and_saves_with_reason(officer_client, officer):
    tool = ToolFactory.create(name_en="Legislative guide")
    assert officer_client.get(reverse("admin:missions_tool_changelist")).status_code == 200
    assert officer_client.get(reverse("admin:missions_tool_add")).status_code == 200
    assert officer_client.get(reverse("admin:missions_tool_history", args=[tool.pk])).status_code == 200
    response = officer_client.post(
        reverse("admin:missions_tool_change", args=[tool.pk]),
        {
            "code": tool.code,
            "name_en": "Legislative guide (2nd edition)",
            "kind": "legislative guide",
            "status": "updated",
            "status_date": "2006-06-01",
            "status_date_precision": "day",
            "counts_as_office_tool": "on",
            "change_reason": "second edition",
        },
    )
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else None
    )
    latest = Tool.history.latest("history_id")  # type: ignore[attr-defined]  # simple-history manager
    assert (latest.name_en, latest.history_user, latest.history_change_reason) == (
        "Legislative guide (2nd edition)",
        officer,
        "second edition",
    )
