"""The root URLconf under `make bench` (settings.ROOT_URLCONF when BENCH_ENDPOINTS=1).

The bench's floors in front of the portal's own URLs, so that `kelurahan.urls` knows
nothing of the bench: without BENCH_ENDPOINTS the `_bench/` paths do not exist (404).
"""

from django.urls import include, path

from bench import views

urlpatterns = [
    path("_bench/ok", views.ok),
    path("_bench/queue-from-memory", views.queue_from_memory),
    path("_bench/status-from-memory", views.status_from_memory),
    path("_bench/charts-from-memory", views.charts_from_memory),
    path("", include("kelurahan.urls")),
]
