from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = "Verifikasi RT"

    def ready(self) -> None:
        from services.case_page import register_case_panel
        from verification.panels import OFFICER_PANEL, officer_panel_context

        register_case_panel(OFFICER_PANEL, officer_panel_context)
