from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = "Layanan dan permohonan"

    def ready(self) -> None:
        from kelurahan.backends import register_user_column
        from kelurahan.health import register_health_check
        from services.catalogue import connect_catalogue_receivers
        from services.letters.renders import health_check
        from services.notifications.inbox import UNREAD_COLUMN, unread_count_column

        register_health_check("documents", health_check)
        connect_catalogue_receivers()
        # The bell's count read with the user of each request: no query of its own.
        register_user_column(UNREAD_COLUMN, unread_count_column)

    def seed_demo(self, office) -> list[str]:
        """Demo rows of this app for ``manage.py seed_demo`` (kelurahan calls it)."""
        from io import StringIO

        from django.core.management import call_command

        from services.demo import seed_complaints

        lines = seed_complaints(office)
        survey = StringIO()
        call_command("seed_demo_survey", office=office.code, stdout=survey)
        return lines + survey.getvalue().splitlines()
