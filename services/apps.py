from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = "Layanan dan permohonan"

    def seed_demo(self, office) -> list[str]:
        """Demo rows of this app for ``manage.py seed_demo`` (kelurahan calls it)."""
        from services.demo import seed_complaints

        return seed_complaints(office)
