from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig


class KelurahanConfig(AppConfig):
    # default: this module holds two AppConfigs (AxesConfig below), and without it Django
    # would fall back to a plain AppConfig for "kelurahan" and never run ready().
    default = True
    name = "kelurahan"
    verbose_name = "Kantor kelurahan"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from kelurahan import checks  # noqa: F401  (registers the system checks)
        from kelurahan.login_limits import count_failure

        user_login_failed.connect(count_failure, dispatch_uid="kelurahan.login_limits")


class AxesConfig(AxesAppConfig):
    """django-axes under an Indonesian heading in the admin (its own is "Axes")."""

    verbose_name = "Pembatasan login"
