"""`make bench-floor`: what each setting and each middleware costs the shared floor.

The logged-in "ok" view (and, for the template loader, the queue template from memory) is
timed in-process for every variant of bench.floor (the template loader, the session engine,
each middleware removed in turn) and served by gunicorn under wrk with the same variant
(``DJANGO_SETTINGS_MODULE=bench.floor_settings``). In-process, the variants are timed in
interleaved rounds (so machine noise hits each alike), and each request's thread CPU time is
kept beside its wall time: on a shared machine CPU time is what another helper's load
disturbs least. Every response must be the page (200 and its marker).
"""

import json
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import override_settings

from bench import floor, measure
from bench.management.commands.bench import (
    production_settings,
    settings_in_use,
    timing_lock,
    uptime,
)
from bench.seed import seed_city

PAGES = ["ok (floor)", "queue from memory (floor)"]
# The variants whose effect on a template page is the point; the rest time the ok view only.
TEMPLATE_VARIANTS = {floor.BASELINE, "uncached template loader"}


class Command(BaseCommand):
    help = "Measure the shared floor's settings and middleware (a throwaway database)."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=2000)
        parser.add_argument("--rounds", type=int, default=15)
        parser.add_argument("--block", type=int, default=20)
        parser.add_argument("--duration", type=int, default=4)
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--no-wrk", action="store_true")

    def handle(self, *args, n, rounds, block, duration, connections, no_wrk, **options):
        if not settings.BENCH_ENDPOINTS:
            raise CommandError("Run it through `make bench-floor` (BENCH_ENDPOINTS=1).")
        if not production_settings():
            from bench.management.commands.bench import Command as Bench

            return Bench(stdout=self.stdout, stderr=self.stderr).rerun_in_production()
        seed_city(n)
        measure.settle()
        measure.collect_static()
        targets = measure.bench_targets()
        names = floor.variants(settings.MIDDLEWARE)
        with timing_lock():
            results = {
                "settings": settings_in_use(),
                "uptime_start": uptime(),
                "in_process": in_process(targets, names, rounds=rounds, block=block),
            }
            results["uptime_in_process"] = uptime()
            if not no_wrk:
                results["wrk"] = under_wrk(
                    targets, names, duration=duration, connections=connections
                )
                results["uptime_end"] = uptime()
        self.stdout.write(render(results))
        out = Path(settings.BASE_DIR) / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"floor-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(results, indent=2, default=str))
        self.stdout.write(f"Results: {path}")


def in_process(targets: dict, names: list[str], *, rounds: int, block: int) -> dict:
    """Per variant and page: median wall and thread-CPU ms per request over ``rounds``
    interleaved blocks of ``block`` requests (each block after 3 untimed requests)."""
    wall = {(v, p): [] for v in names for p in PAGES}
    cpu = {(v, p): [] for v in names for p in PAGES}
    for _ in range(rounds):
        for variant in names:
            with override_settings(**floor.overrides(variant, settings)):
                for page in PAGES:
                    if page != "ok (floor)" and variant not in TEMPLATE_VARIANTS:
                        continue
                    url, user, marker = targets["pages"][page]
                    client = measure._client_for(user)  # a session of this engine
                    for k in range(3 + block):
                        w0, c0 = time.perf_counter(), time.thread_time()
                        response = client.get(url)
                        w1, c1 = time.perf_counter(), time.thread_time()
                        body = response.content
                        if response.status_code != 200 or marker.encode() not in body:
                            measure.check_page(
                                page, response.status_code, body.decode(), marker, variant
                            )
                        if k >= 3:
                            wall[variant, page].append((w1 - w0) * 1000)
                            cpu[variant, page].append((c1 - c0) * 1000)
    return {
        variant: {
            page: {
                "wall_ms": statistics.median(wall[variant, page]),
                "cpu_ms": statistics.median(cpu[variant, page]),
                "requests": len(wall[variant, page]),
            }
            for page in PAGES
            if wall[variant, page]
        }
        for variant in names
    }


class FloorServer(measure.Server):
    def __init__(self, variant: str, workers: int = 2):
        super().__init__(workers)
        self.variant = variant

    def env(self) -> dict:
        return {
            **super().env(),
            "DJANGO_SETTINGS_MODULE": "bench.floor_settings",
            "BENCH_FLOOR_VARIANT": self.variant,
        }


def under_wrk(targets: dict, names: list[str], *, duration: int, connections: int) -> dict:
    out = {}
    cookies = {}
    for variant in names:
        out[variant] = {}
        with FloorServer(variant) as server:
            for page in PAGES:
                if page != "ok (floor)" and variant not in TEMPLATE_VARIANTS:
                    continue
                url, user, marker = targets["pages"][page]
                cookie = cookies.setdefault(user.pk, measure.session_cookie(user))
                full = f"http://127.0.0.1:{server.port}{url}"
                status, body = measure.fetch(full, cookie)
                measure.check_page(page, status, body, marker, f"gunicorn, {variant}")
                measure.wrk(full, cookie, marker, duration=1, connections=4)  # warm-up
                result = measure.wrk(
                    full, cookie, marker, duration=duration, connections=connections
                )
                if result["problems"]:
                    raise CommandError(f"{page}, {variant}: {'; '.join(result['problems'])}")
                out[variant][page] = result
    return out


def render(r: dict) -> str:
    base = r["in_process"][floor.BASELINE]
    lines = [
        f"settings: {r['settings']}",
        f"uptime: {r['uptime_start']} / {r.get('uptime_in_process')} / {r.get('uptime_end')}",
        "",
        "| variant | ok: CPU ms | ok: wall ms | ok: Δ CPU vs production | ok: req/s (wrk)"
        " | queue from memory: CPU ms | queue: req/s (wrk) |",
        "|---|---|---|---|---|---|---|",
    ]
    for variant, pages in r["in_process"].items():
        ok = pages["ok (floor)"]
        delta = ok["cpu_ms"] - base["ok (floor)"]["cpu_ms"]
        http = r.get("wrk", {}).get(variant, {})
        ok_rps = f"{http['ok (floor)']['rps']:.0f}" if "ok (floor)" in http else "—"
        queue = pages.get("queue from memory (floor)")
        queue_cpu = f"{queue['cpu_ms']:.2f}" if queue else "—"
        queue_http = http.get("queue from memory (floor)")
        queue_rps = f"{queue_http['rps']:.0f}" if queue_http else "—"
        label = variant.replace("without ", "without `").replace("Middleware", "Middleware`")
        lines.append(
            f"| {label} | {ok['cpu_ms']:.2f} | {ok['wall_ms']:.2f} | {delta:+.2f}"
            f" | {ok_rps} | {queue_cpu} | {queue_rps} |"
        )
    return "\n".join(lines)
