from django.apps import AppConfig


class KelurahanConfig(AppConfig):
    name = "kelurahan"
    verbose_name = "Kantor kelurahan"

    def ready(self) -> None:
        from kelurahan import checks  # noqa: F401  (registers the system checks)
