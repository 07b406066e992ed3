"""`make bench`: seed a city, measure every page and job next to its floor, print one table.

Runs on the database of DATABASE_URL (the Makefile gives it a fresh SQLite file, then a
throwaway PostgreSQL cluster). Writes JSON to bench/results/.

Every measured response must be the page it is meant to be (HTTP 200 and a marker of the
page's content, counted by bench/check.lua under wrk); otherwise the command prints the table
and the counts and exits non-zero, so a page figure can never again be one of a redirect.

It measures under the settings of the gunicorn it starts (``measure.Server().env()``: DEBUG
off, the cached template loader, production's session cookie): started in a development
environment it runs itself again in that one, and it refuses to time anything if DEBUG is on
or the template loader is not the cached one (in-process figures would be of development).
"""

import fcntl
import json
import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
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
            "--sizes",
            default=os.environ.get("BENCH_SIZES", ""),
            help="Comma-separated city sizes, measured in turn on one database (seeding tops"
            " it up); default: --small and --n.",
        )
        parser.add_argument(
            "--duration", type=int, default=int(os.environ.get("BENCH_SECONDS", "6"))
        )
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument(
            "--profile",
            default=os.environ.get("BENCH_PROFILE", ""),
            help="A folder: pyinstrument reports of every page at the largest size go there.",
        )
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, n, small, sizes, duration, connections, workers, profile, **options):
        if not settings.BENCH_ENDPOINTS:
            raise CommandError("Run it through `make bench` (BENCH_ENDPOINTS=1, a throwaway DB).")
        if not production_settings():
            return self.rerun_in_production()
        sizes = sorted({int(x) for x in sizes.split(",") if x.strip()} or {small, n})
        n = sizes[-1]
        results = {
            "database": connection.vendor,
            "n": n,
            "sizes": sizes,
            "settings": settings_in_use(),
            "uptime_start": uptime(),
            "machine": f"{platform.machine()} · {os.cpu_count()} cores"
            f" · Python {platform.python_version()}",
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "phases": {},
        }
        out = Path(settings.BASE_DIR) / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{connection.vendor}-{n}-{time.strftime('%Y%m%d-%H%M%S')}.json"

        def save():
            """After each size: the JSON so far and its table (a cut-short run keeps them)."""
            results["failures"] = not_the_page(results)
            path.write_text(json.dumps(results, indent=2, default=str))
            self.stdout.write(render_table(results))
            self.stdout.write(f"Results so far: {path}")

        try:
            self.measure_all(results, sizes=sizes, duration=duration,
                             connections=connections, workers=workers, profile=profile,
                             save=save)  # fmt: skip
        except BenchFailure as exc:
            raise CommandError(f"Bench failed: {exc}") from exc
        results["uptime_end"] = uptime()
        failures = not_the_page(results)
        results["failures"] = failures
        path.write_text(json.dumps(results, indent=2, default=str))
        self.stdout.write(render_table(results))
        self.stdout.write(f"Results: {path}")
        if failures:
            raise CommandError(
                "Bench failed: measured responses were not the pages, so the figures above are"
                " not of the pages:\n  " + "\n  ".join(failures)
            )
        self.stdout.write("Every measured response was its page (HTTP 200 with its marker).")

    def rerun_in_production(self):
        """Run this same command again under the settings the bench's gunicorn gets."""
        if os.environ.get(RERUN_FLAG):
            raise CommandError(
                "Bench refused: DEBUG is on or the template loader is not the cached one"
                f" ({settings_in_use()}); in-process figures must be of production settings."
            )
        env = {**measure.Server().env(), RERUN_FLAG: "1", "PYTHONUNBUFFERED": "1"}
        if os.environ.get("DJANGO_LOG_LEVEL"):
            env["DJANGO_LOG_LEVEL"] = os.environ["DJANGO_LOG_LEVEL"]
        self.stdout.write("Running again with the server's production settings (DEBUG off)…")
        argv = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *sys.argv[1:]]
        done = subprocess.run(argv, env=env, cwd=settings.BASE_DIR, check=False)
        if done.returncode:
            raise CommandError(f"Bench failed (exit {done.returncode}).")

    def measure_all(
        self, results, *, sizes, duration, connections, workers, profile="", save=lambda: None
    ):
        measure.collect_static()
        for phase, size in enumerate(sizes):
            self.stdout.write(f"Seeding {size:,} cases on {connection.vendor}…")
            start = time.perf_counter()
            seeded = seed_city(size)
            measure.settle()
            seed_s = time.perf_counter() - start
            targets = measure.bench_targets()
            cpu_ms = {}
            self.stdout.write(f"  seeded in {seed_s:.0f} s; waiting for the timing lock…")
            with timing_lock():
                self.stdout.write(f"  measuring pages at {size:,} (wrk, {duration}s each)…")
                results["phases"][str(size)] = {
                    "uptime": uptime(),
                    "seed_s": seed_s,
                    "seeded": seeded,
                    "queries": measure.queries_per_page(targets),
                    "server_ms": measure.server_ms(targets, runs=RUNS, cpu=cpu_ms),
                    "server_cpu_ms": cpu_ms,
                    "cached_template_loader": measure.cached_template_loader(),
                    "http": measure.http_load(
                        targets, duration=duration, connections=connections, workers=workers
                    ),
                    "sweep": measure.sweep(phase),
                }
                if profile and size == sizes[-1]:
                    folder = Path(profile) / f"{connection.vendor}-{size}"
                    results["profiles"] = measure.profile_pages(targets, folder)
            results["phases"][str(size)]["uptime_after"] = uptime()
            save()
        with timing_lock():
            self.stdout.write("  letter PDF, photo, concurrent issuing…")
            results["pdf"] = measure.letter_pdf()
            results["photo"] = measure.photo()
            results["issuing"] = measure.issuing()


@contextmanager
def timing_lock():
    """BENCH_LOCK (a file): held only while figures are timed, so that benches of other
    work on this machine never overlap the timed parts, and seeding need not wait."""
    path = os.environ.get("BENCH_LOCK")
    if not path:
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


RERUN_FLAG = "BENCH_PRODUCTION_RERUN"
RUNS = int(os.environ.get("BENCH_RUNS", "200"))  # in-process requests per page (the median)


def production_settings() -> bool:
    return not settings.DEBUG and measure.cached_template_loader()


def settings_in_use() -> dict:
    return {
        "debug": settings.DEBUG,
        "cached_template_loader": measure.cached_template_loader(),
        "session_engine": settings.SESSION_ENGINE,
        "cache": settings.CACHES["default"]["BACKEND"],
        "middleware": len(settings.MIDDLEWARE),
    }


def uptime() -> str:
    """The load average when a figure was taken (other work shares this machine)."""
    try:
        env = {**os.environ, "TZ": "UTC"}  # Django set TZ to the portal's zone
        return subprocess.run(["uptime"], capture_output=True, text=True, env=env).stdout.strip()
    except OSError:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())


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


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else (
        f"{n // 1000}k" if n % 1000 == 0 else f"{n:,}")  # fmt: skip


def render_table(r: dict) -> str:
    """One column per city size; verdicts on the largest, against the smallest where they
    compare sizes."""
    sizes = [int(x) for x in r["phases"]]
    phases = [r["phases"][str(x)] for x in sizes]
    first, last = phases[0], phases[-1]
    dashes = "|---" * (len(sizes) + 4) + "|"
    lines = [
        f"\n## {r['database']} · {_size(sizes[-1])} cases · {r['machine']}",
        f"settings: {r.get('settings')}",
        *(f"uptime at {_size(x)}: {p.get('uptime', '?')}"
          for x, p in zip(sizes, phases, strict=True)),
        "",
        "| measure | " + " | ".join(f"at {_size(x)}" for x in sizes)
        + " | floor (same run) | target | holds |",
        dashes,
    ]  # fmt: skip

    def row(measure, values, floor, target, holds):
        cells = " | ".join(str(v) for v in values)
        lines.append(f"| {measure} | {cells} | {floor} | {target} | {'yes' if holds else 'NO'} |")

    def each(fn):
        return [fn(p) for p in phases]

    floors = (
        ("ok (floor)", "Django 'ok' view"),
        ("queue from memory (floor)", "queue template from memory"),
        ("status page from memory (floor)", "status page template from memory"),
        ("charts from memory (floor)", "charts page template from memory"),
    )
    for floor_name, label in floors:
        row(f"{label}, req/s", each(lambda p, f=floor_name: f"{p['http'][f]['rps']:.0f}"), "—",
            "—", True)  # fmt: skip
    for page in [*FLOORS, *PAGES]:
        row(f"{page}: responses 200 with the page's marker",
            each(lambda p, page=page: _checked(p["http"][page])), "—", "all",
            not any(p["http"][page]["problems"] for p in phases))  # fmt: skip
    row(f"'ok' view, in-process server ms (median of {RUNS}) [CPU ms]",
        each(lambda p: f"{p['server_ms']['ok (floor)']:.2f}"
             f" [{p.get('server_cpu_ms', {}).get('ok (floor)', float('nan')):.2f}]"),
        "—", "—", True)  # fmt: skip
    for page in PAGES:
        floor = FLOOR_OF.get(page)
        floor_txt = f"{last['server_ms'][floor]:.2f} (from memory)" if floor else "—"
        row(f"{page}: in-process server ms (× ok) [CPU ms]",
            each(lambda p, page=page: f"{p['server_ms'][page]:.2f}"
                 f" ({p['server_ms'][page] / p['server_ms']['ok (floor)']:.1f}×)"
                 f" [{p.get('server_cpu_ms', {}).get(page, float('nan')):.2f}]"),
            floor_txt, "≤ 10 ms and ≤ 3× ok",
            all(p["server_ms"][page] <= min(10, 3 * p["server_ms"]["ok (floor)"])
                for p in phases))  # fmt: skip
    for page in PAGES:
        cap = QUERY_CAP.get(page, 10)
        counts = each(lambda p, page=page: p["queries"][page])
        row(f"{page}: queries/request", counts, "—", f"≤ {cap}, constant",
            max(counts) <= cap and len(set(counts)) == 1)  # fmt: skip
        row(f"{page}: p50 / p99 ms",
            each(lambda p, page=page:
                 f"{p['http'][page]['p50_ms']:.1f} / {p['http'][page]['p99_ms']:.1f}"),
            "—", "p99(largest) ≤ 1.2× p99(smallest)",
            last["http"][page]["p99_ms"] <= 1.2 * first["http"][page]["p99_ms"])  # fmt: skip
        rps = each(lambda p, page=page: f"{p['http'][page]['rps']:.0f}")
        if page in FLOOR_OF:
            floor = last["http"][FLOOR_OF[page]]
            row(f"{page}: req/s", rps, f"{floor['rps']:.0f} (from memory)", "≥ 150",
                all(p["http"][page]["rps"] >= 150 for p in phases))  # fmt: skip
        else:
            row(f"{page}: req/s", rps, "—", "≥ 150",
                all(p["http"][page]["rps"] >= 150 for p in phases))  # fmt: skip
    row("seed time, s", each(lambda p: f"{p['seed_s']:.0f}"), "—", "minutes", True)
    sa, sb = first["sweep"], last["sweep"]
    row("SLA sweep, 1,000 newly overdue, ms", each(lambda p: f"{p['sweep']['sweep_ms']:.0f}"),
        f"{sb['bare_select_ms']:.1f} (bare SELECT)", "< 500 and ≤ 1.5× smallest",
        sb["sweep_ms"] < 500 and sb["sweep_ms"] <= 1.5 * sa["sweep_ms"])  # fmt: skip
    row("SLA sweep write lock held, ms", each(lambda p: f"{p['sweep']['write_lock_ms']:.0f}"),
        "—", "≤ 200", sb["write_lock_ms"] <= 200)  # fmt: skip
    blank = [""] * (len(sizes) - 1)
    if "pdf" not in r:  # a run cut short after a size: the page figures only
        return "\n".join(lines)
    pdf = r["pdf"]
    row(
        "letter PDF render (warm median), ms",
        [*blank, f"{pdf['render_ms']:.1f}"],
        f"{pdf['bare_weasyprint_ms']:.1f} (bare WeasyPrint)",
        "≤ 1.3×",
        pdf["ratio"] <= 1.3,
    )
    photo = r["photo"]
    row(
        "12 MP photo normalised, ms",
        [*blank, f"{photo['normalise_ms']:.1f}"],
        f"{photo['bare_pillow_ms']:.1f} (bare Pillow + draft)",
        "≤ 1.2×",
        photo["ratio"] <= 1.2,
    )
    issue = r["issuing"]
    row(f"issuing, {issue['workers']} workers, letters/s",
        [*blank, f"{issue['letters_per_s']:.1f}"],
        "—", "0 duplicates, consecutive",
        issue["duplicates"] == 0 and issue["consecutive"] and issue["errors"] == 0)  # fmt: skip
    return "\n".join(lines)
