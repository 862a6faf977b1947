from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners and funding"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from missions.models import Activity, ActivityCountry, Country, OutcomeDocument, Participation, Region
        from tracker.api.list_cache import watch

        from .models import ActivityOrganisation, Organisation

        # Everything the cached activity list (partners.api.views.ActivityViewSet) shows or
        # scopes by: the activity, its nested rows, and the codes and names it embeds.
        watch(
            [
                Activity,
                ActivityCountry,
                Participation,
                OutcomeDocument,
                ActivityOrganisation,
                Organisation,
                Country,
                Region,
                get_user_model(),
            ]
        )
