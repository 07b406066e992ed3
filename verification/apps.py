from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = "Verifikasi RT"

    def ready(self) -> None:
        from services.case_page import register_case_panel
        from verification.panels import OFFICER_PANEL, PANEL_COLUMNS, officer_panel_context

        register_case_panel(OFFICER_PANEL, officer_panel_context, columns=PANEL_COLUMNS)

        from services.pdp import register_holder
        from verification.pdp import HOLDER

        register_holder(HOLDER)

    def seed_demo(self, office) -> list[str]:
        """``manage.py seed_demo``'s hook: the demo office's cases (verification/demo.py)."""
        from verification.demo import seed_demo_cases

        return seed_demo_cases(office)
