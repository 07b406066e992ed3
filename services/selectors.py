"""Read-side queries for the pages of the services app."""

from django.db.models import Prefetch, QuerySet

from services.models import Requirement, Service


def services_for_catalogue() -> QuerySet[Service]:
    """Active services with their requirements in order: two queries whatever the size."""
    return Service.objects.active().prefetch_related(
        Prefetch("requirements", queryset=Requirement.objects.order_by("order", "id"))
    )
