from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Impact indicators and reports"

    def ready(self) -> None:
        from . import signals

        signals.connect()
