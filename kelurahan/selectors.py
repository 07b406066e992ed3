"""Read-side queries of the office's own pages, scoped to the office."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from kelurahan.models import RT, RW, Office


def territory_for(office: Office) -> QuerySet[RW]:
    """The office's RW, each with its RT and their chairs, in number order."""
    return office.rws.prefetch_related(
        Prefetch("rts", queryset=RT.objects.select_related("chair__membership").order_by("number"))
    ).order_by("number")
