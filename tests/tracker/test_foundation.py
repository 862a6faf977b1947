"""The project starts, its settings refuse bad values, and history records actor and reason."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.factories import ActivityFactory, UserFactory
from tracker.env import env_bool, env_int
from tracker.history import change_context


def test_env_bool_refuses_a_value_it_does_not_understand(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG must be one of"):
        env_bool("SOME_FLAG")


def test_env_int_names_the_variable_it_refuses(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER must be a whole number, not 'ten'"):
        env_int("SOME_NUMBER", 1)


@pytest.mark.django_db
def test_change_context_writes_actor_and_reason_into_history():
    actor = UserFactory.create(username="historian")
    with change_context(actor=actor, reason="correction from the mission report"):
        activity = ActivityFactory.create(title="Mission to Testland")
        activity.title = "Mission to Testland (corrected)"
        activity.save()

    records = list(activity.history.order_by("history_id"))
    assert [(r.history_type, r.title, r.history_user, r.history_change_reason) for r in records] == [
        ("+", "Mission to Testland", actor, "correction from the mission report"),
        ("~", "Mission to Testland (corrected)", actor, "correction from the mission report"),
    ]
