"""`make bench`: seed a city, measure every page and job next to its floor, print one table.

Runs on the database of DATABASE_URL (the Makefile gives it a fresh SQLite file, then a
throwaway PostgreSQL cluster). Writes JSON to bench/results/.

Every measured response must be the page it is meant to be (HTTP 200 and a marker of the
page's content, counted by bench/check.lua under wrk); otherwise the command prints the table
and the counts and exits non-zero, so a page figure can never again be one of a redirect.
"""

import json
import os
import platform
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench import measure
from bench.measure import BenchFailure
from bench.seed import seed_city

PAGES = [
    "officer queue",
    "application page",
    "RT chair list",
    "dashboard",
    "notifications",
    "dashboard charts",
    "status page",
]
FLOORS = [
    "ok (floor)",
    "queue from memory (floor)",
    "status page from memory (floor)",
    "charts from memory (floor)",
]
# Each page with a template floor: its req/s against the floor's (same run).
FLOOR_OF = {
    "officer queue": "queue from memory (floor)",
    "RT chair list": "queue from memory (floor)",
    "status page": "status page from memory (floor)",
    "dashboard charts": "charts from memory (floor)",
}
# Queries per request at most (constant in N either way): the charts page runs one aggregate
# per chart (7) beside the session, user, membership, bell, the office's closed days and the
# supervisor's TOTP device (django-otp reads it on every request of a verified session).
# The dashboard: its aggregates, the documents still without a PDF, and the same device.
QUERY_CAP = {"dashboard charts": 13, "dashboard": 12}


class Command(BaseCommand):
    help = "Benchmark the portal at city scale (writes bench data: use a throwaway database)."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=int(os.environ.get("BENCH_N", "100000")))
        parser.add_argument("--small", type=int, default=10_000)
        parser.add_argument(
            "--duration", type=int, default=int(os.environ.get("BENCH_SECONDS", "6"))
        )
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, n, small, duration, connections, workers, **options):
        if not settings.BENCH_ENDPOINTS:
            raise CommandError("Run it through `make bench` (BENCH_ENDPOINTS=1, a throwaway DB).")
        results = {
            "database": connection.vendor,
            "n": n,
            "machine": f"{platform.machine()} · {os.cpu_count()} cores"
            f" · Python {platform.python_version()}",
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "phases": {},
        }
        try:
            self.measure_all(results, n=n, small=small, duration=duration,
                             connections=connections, workers=workers)  # fmt: skip
        except BenchFailure as exc:
            raise CommandError(f"Bench failed: {exc}") from exc
        self.stdout.write(render_table(results, small, n))
        out = Path(settings.BASE_DIR) / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{connection.vendor}-{n}-{time.strftime('%Y%m%d-%H%M%S')}.json"
        failures = not_the_page(results)
        results["failures"] = failures
        path.write_text(json.dumps(results, indent=2, default=str))
        self.stdout.write(f"Results: {path}")
        if failures:
            raise CommandError(
                "Bench failed: measured responses were not the pages, so the figures above are"
                " not of the pages:\n  " + "\n  ".join(failures)
            )
        self.stdout.write("Every measured response was its page (HTTP 200 with its marker).")

    def measure_all(self, results, *, n, small, duration, connections, workers):
        for phase, size in enumerate(sorted({small, n})):
            self.stdout.write(f"Seeding {size:,} cases on {connection.vendor}…")
            start = time.perf_counter()
            seeded = seed_city(size)
            seed_s = time.perf_counter() - start
            measure.settle()
            targets = measure.bench_targets()
            self.stdout.write(f"  measuring pages at {size:,} (wrk, {duration}s each)…")
            results["phases"][str(size)] = {
                "seed_s": seed_s,
                "seeded": seeded,
                "queries": measure.queries_per_page(targets),
                "server_ms": measure.server_ms(targets),
                "cached_template_loader": measure.cached_template_loader(),
                "http": measure.http_load(
                    targets, duration=duration, connections=connections, workers=workers
                ),
                "sweep": measure.sweep(phase),
            }
        self.stdout.write("  letter PDF, photo, concurrent issuing…")
        results["pdf"] = measure.letter_pdf()
        results["photo"] = measure.photo()
        results["issuing"] = measure.issuing()


def not_the_page(results: dict) -> list[str]:
    """One line per wrk run whose responses were not all the page (200 with its marker)."""
    return [
        f"{page} at {int(size):,} cases: {'; '.join(http['problems'])}"
        for size, phase in results["phases"].items()
        for page, http in phase["http"].items()
        if http["problems"]
    ]


def _checked(http: dict) -> str:
    check = http["check"] or {"responses": 0}
    good = check["responses"] - sum(n for s, n in check.get("statuses", {}).items() if s != 200)
    good -= check.get("marker_missing", 0)
    return f"{good:,} / {check['responses']:,}"


def render_table(r: dict, small: int, n: int) -> str:
    small_p, big_p = r["phases"][str(small)], r["phases"][str(n)]
    memory = big_p["http"]["queue from memory (floor)"]
    ok = big_p["http"]["ok (floor)"]
    lines = [
        f"\n## {r['database']} · {n:,} cases · {r['machine']}",
        "",
        "| measure | at 10k | at N | floor (same run) | target | holds |",
        "|---|---|---|---|---|---|",
    ]

    def row(measure, a, b, floor, target, holds):
        lines.append(f"| {measure} | {a} | {b} | {floor} | {target} | {'yes' if holds else 'NO'} |")

    row("Django 'ok' view, req/s", f"{small_p['http']['ok (floor)']['rps']:.0f}",
        f"{ok['rps']:.0f}", "—", "—", True)  # fmt: skip
    row("queue template from memory, req/s",
        f"{small_p['http']['queue from memory (floor)']['rps']:.0f}", f"{memory['rps']:.0f}",
        "—", "—", True)  # fmt: skip
    status_floor = "status page from memory (floor)"
    row("status page template from memory, req/s", f"{small_p['http'][status_floor]['rps']:.0f}",
        f"{big_p['http'][status_floor]['rps']:.0f}", "—", "—", True)  # fmt: skip
    charts_floor = "charts from memory (floor)"
    row("charts page template from memory, req/s", f"{small_p['http'][charts_floor]['rps']:.0f}",
        f"{big_p['http'][charts_floor]['rps']:.0f}", "—", "—", True)  # fmt: skip
    for page in [*FLOORS, *PAGES]:
        a, b = small_p["http"][page], big_p["http"][page]
        row(f"{page}: responses 200 with the page's marker", _checked(a), _checked(b), "—",
            "all", not a["problems"] and not b["problems"])  # fmt: skip
    ok_ms = big_p["server_ms"]["ok (floor)"]
    row("'ok' view, in-process server ms (median of 200)",
        f"{small_p['server_ms']['ok (floor)']:.2f}", f"{ok_ms:.2f}", "—", "—", True)  # fmt: skip
    for page in PAGES:
        ma, mb = small_p["server_ms"][page], big_p["server_ms"][page]
        floor = FLOOR_OF.get(page)
        floor_txt = f"{big_p['server_ms'][floor]:.2f} (from memory)" if floor else "—"
        row(f"{page}: in-process server ms (× ok)", f"{ma:.2f}",
            f"{mb:.2f} ({mb / ok_ms:.1f}×)", floor_txt, "≤ 10 ms and ≤ 3× ok",
            mb <= 10 and mb <= 3 * ok_ms)  # fmt: skip
    for page in PAGES:
        a, b = small_p["http"][page], big_p["http"][page]
        qa, qb = small_p["queries"][page], big_p["queries"][page]
        cap = QUERY_CAP.get(page, 10)
        row(f"{page}: queries/request", qa, qb, "—", f"≤ {cap}, constant", qb <= cap and qa == qb)
        row(f"{page}: p50 / p99 ms", f"{a['p50_ms']:.1f} / {a['p99_ms']:.1f}",
            f"{b['p50_ms']:.1f} / {b['p99_ms']:.1f}", "—", "p99(N) ≤ 1.2× p99(10k)",
            b["p99_ms"] <= 1.2 * a["p99_ms"])  # fmt: skip
        if page in FLOOR_OF:
            floor = big_p["http"][FLOOR_OF[page]]
            share = b["rps"] / floor["rps"]
            row(f"{page}: req/s", f"{a['rps']:.0f}", f"{b['rps']:.0f}",
                f"{floor['rps']:.0f} (from memory)", "≥ 70% of floor", share >= 0.7)  # fmt: skip
        else:
            row(f"{page}: req/s", f"{a['rps']:.0f}", f"{b['rps']:.0f}", "—", "—", True)
    sa, sb = small_p["sweep"], big_p["sweep"]
    row("SLA sweep, 1,000 newly overdue, ms", f"{sa['sweep_ms']:.0f}", f"{sb['sweep_ms']:.0f}",
        f"{sb['bare_select_ms']:.1f} (bare SELECT)", "< 500 and ≤ 1.5× at 10k",
        sb["sweep_ms"] < 500 and sb["sweep_ms"] <= 1.5 * sa["sweep_ms"])  # fmt: skip
    row("SLA sweep write lock held, ms", f"{sa['write_lock_ms']:.0f}",
        f"{sb['write_lock_ms']:.0f}", "—", "≤ 200", sb["write_lock_ms"] <= 200)  # fmt: skip
    pdf = r["pdf"]
    row(
        "letter PDF render (warm median), ms",
        "",
        f"{pdf['render_ms']:.1f}",
        f"{pdf['bare_weasyprint_ms']:.1f} (bare WeasyPrint)",
        "≤ 1.3×",
        pdf["ratio"] <= 1.3,
    )
    photo = r["photo"]
    row(
        "12 MP photo normalised, ms",
        "",
        f"{photo['normalise_ms']:.1f}",
        f"{photo['bare_pillow_ms']:.1f} (bare Pillow + draft)",
        "≤ 1.2×",
        photo["ratio"] <= 1.2,
    )
    issue = r["issuing"]
    row(f"issuing, {issue['workers']} workers, letters/s", "", f"{issue['letters_per_s']:.1f}",
        "—", "0 duplicates, consecutive",
        issue["duplicates"] == 0 and issue["consecutive"] and issue["errors"] == 0)  # fmt: skip
    return "\n".join(lines)
