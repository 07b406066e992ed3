from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class KelurahanConfig(AppConfig):
    # apps.py holds two configs (this one and axes'): without ``default`` Django would use a
    # plain AppConfig for "kelurahan" and never run ``ready`` (its checks, its log signals).
    default = True
    name = "kelurahan"
    verbose_name = "Kantor kelurahan"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from kelurahan import checks  # noqa: F401  (registers the system checks)
        from kelurahan.logs import log_security_events

        log_security_events()

        from kelurahan.login_limits import count_failure

        user_login_failed.connect(count_failure, dispatch_uid="kelurahan.login_limits")

        from django.db.models.signals import post_migrate

        from kelurahan.planner_stats import analyse_new_indexes

        post_migrate.connect(
            analyse_new_indexes, sender=self, dispatch_uid="kelurahan.planner_stats"
        )


class AxesConfig(AxesAppConfig):
    """django-axes under an Indonesian heading in the admin (its own is "Axes")."""

    verbose_name = "Pembatasan login"


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on the portal's own site: superusers only, after a second factor."""

    default = False  # listed by its path in INSTALLED_APPS; "kelurahan" stays KelurahanConfig
    default_site = "kelurahan.admin_site.PortalAdminSite"
