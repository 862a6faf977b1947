from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Accounts and access"

    def ready(self) -> None:
        from .celery import app
        from .heartbeats import HeartbeatStep
        from .metrics import connect_task_signals

        app.steps["worker"].add(HeartbeatStep)  # each worker's heartbeat (tracker/heartbeats.py)
        connect_task_signals()  # task runtimes and outcomes (tracker/metrics.py)
