"""`make bench-city`: a whole city on one machine (issue 17, part 3).

Seeds (tops up) PostgreSQL to --offices offices and --cases cases fast (bench.city), checks the
seed's invariants, measures the single-office pages in-process (bench.measure.server_ms, the
figures of `make bench`), then runs the Locust load test (bench/locustfile.py, --users staff
and residents at human pace) against gunicorn on 127.0.0.1: once on PostgreSQL alone, once
with REDIS_URL (Debian's redis-server on a loopback port). Writes one JSON to bench/results/
and prints the README table. Each timed part holds /work/notes/bench.lock (BENCH_LOCK).
"""

import json
import os
import platform
import subprocess
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench import city, city_load, measure


class Command(BaseCommand):
    help = "City-scale bench: 100 offices, 5M cases, 500 users (throwaway PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument("--offices", type=int, default=100)
        parser.add_argument("--cases", type=int, default=5_000_000)
        parser.add_argument(
            "--baseline-json",
            help="a JSON of an earlier bench_city run (e.g. at 100k) whose server_ms this run's"
            " are compared with (the 1.2x target)",
        )
        parser.add_argument("--json", help="where to write the results (default bench/results/)")
        parser.add_argument("--users", type=int, default=500)
        parser.add_argument("--spawn-rate", type=float, default=10)
        parser.add_argument("--duration", type=int, default=240, help="seconds per Locust run")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
        parser.add_argument("--server-ms-runs", type=int, default=200)
        parser.add_argument(
            "--capacity-users",
            default="",
            help="comma-separated smaller user counts, each one more run on PostgreSQL alone"
            " (what the machine carries at p99 < 300 ms)",
        )
        parser.add_argument("--capacity-duration", type=int, default=150)
        parser.add_argument("--no-locust", action="store_true")
        parser.add_argument("--no-redis", action="store_true")
        parser.add_argument("--no-invariants", action="store_true")

    def handle(self, *args, **o):
        if not settings.BENCH_ENDPOINTS:
            raise CommandError("Run it through `make bench-city` (BENCH_ENDPOINTS=1).")
        if connection.vendor != "postgresql":
            raise CommandError("bench_city runs on PostgreSQL only (DATABASE_URL=postgres://…).")
        results = {
            "database": f"PostgreSQL {connection.pg_version // 10000}",
            "machine": f"{platform.machine()} · {os.cpu_count()} cores"
            f" · Python {platform.python_version()}",
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "uptime": {"start": uptime()},
        }
        self.stdout.write(f"Seeding {o['offices']} offices / {o['cases']:,} cases…")
        seeded = city.seed(o["offices"], o["cases"], log=self.stdout.write)
        results["seed"] = seeded.as_dict()
        self.stdout.write(
            f"  seeded in {seeded.seconds['total']:.0f} s;"
            f" database {seeded.database_bytes / 1e9:.1f} GB"
        )
        if not o["no_invariants"]:
            results["invariants"] = city.city_invariants()
            broken = {k: v for k, v in results["invariants"].items() if v}
            if broken:
                raise CommandError(f"Seed invariants broken: {broken}")
        targets = measure.bench_targets()
        with city_load.bench_lock():
            results["uptime"]["server_ms"] = uptime()
            self.stdout.write("Single-office pages in-process (bench.measure.server_ms)…")
            results["server_ms"] = measure.server_ms(targets, runs=o["server_ms_runs"])
            results["queries"] = measure.queries_per_page(targets)
        if o["baseline_json"]:
            base = json.loads(Path(o["baseline_json"]).read_text())
            results["baseline"] = {
                "cases": base["seed"]["cases"],
                "offices": base["seed"]["offices"],
                "server_ms": base["server_ms"],
                "uptime": base["uptime"].get("server_ms"),
            }
        if not o["no_locust"]:
            runs = [("postgresql", False)] + ([] if o["no_redis"] else [("postgresql+redis", True)])
            results["locust"] = {}
            for label, redis in runs:
                self.stdout.write(f"Locust, {o['users']} users, {o['duration']} s, {label}…")
                results["locust"][label] = city_load.locust_run(
                    users=o["users"], spawn_rate=o["spawn_rate"], duration=o["duration"],
                    workers=o["workers"], redis=redis, log=self.stdout.write,
                )  # fmt: skip
        for users in [int(u) for u in o["capacity_users"].split(",") if u.strip()]:
            self.stdout.write(f"Locust, {users} users, {o['capacity_duration']} s, postgresql…")
            results.setdefault("capacity", {})[str(users)] = city_load.locust_run(
                users=users, spawn_rate=o["spawn_rate"], duration=o["capacity_duration"],
                workers=o["workers"], redis=False, log=self.stdout.write,
            )  # fmt: skip
        results["uptime"]["end"] = uptime()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            results["database_bytes_end"] = cursor.fetchone()[0]
        path = Path(o["json"]) if o["json"] else _default_path(o["cases"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2, default=str))
        self.stdout.write(city_load.render_table(results))
        self.stdout.write(f"Results: {path}")
        failures = city_load.failures(results)
        if failures:
            raise CommandError("bench-city: targets not met:\n  " + "\n  ".join(failures))


def _default_path(cases: int) -> Path:
    out = Path(settings.BASE_DIR) / "bench" / "results"
    return out / f"city-{cases}-{time.strftime('%Y%m%d-%H%M%S')}.json"


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
