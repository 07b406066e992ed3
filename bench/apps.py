from django.apps import AppConfig


class BenchConfig(AppConfig):
    """`make bench` only: installed (with its URLs) when settings.BENCH_ENDPOINTS is on."""

    name = "bench"
    verbose_name = "Bench"
