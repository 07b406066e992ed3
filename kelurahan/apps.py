from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig


class KelurahanConfig(AppConfig):
    # default: this module holds a second AppConfig (AxesConfig below); without it Django
    # picks neither for "kelurahan", ready() never ran and no check here was registered.
    default = True
    name = "kelurahan"
    verbose_name = "Kantor kelurahan"

    def ready(self) -> None:
        from kelurahan import checks  # noqa: F401  (registers the system checks)


class AxesConfig(AxesAppConfig):
    """django-axes under an Indonesian heading in the admin (its own is "Axes")."""

    verbose_name = "Pembatasan login"
