"""The load test of `make bench-city`: gunicorn and the job cluster on 127.0.0.1, Locust
headless against them (bench/locustfile.py), on PostgreSQL alone or with Redis; and the table
of the results.

The plan handed to Locust (one JSON file) holds, per simulated user, a session already stored
in the database (``bench.measure.session_cookie``: supervisors past their TOTP step) and the
cases that user acts on, drawn from the seeded city and disjoint between users.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from html import escape
from pathlib import Path

from django.db import connection

from bench import city, cpu, measure
from kelurahan.models import RT, Membership, Office, Oversight, OversightRole, Role
from services.models import Application, ApplicationState, Attachment, Service
from verification.models import VerificationRequest

LOCK = os.environ.get("BENCH_LOCK", "/work/notes/bench.lock")
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
S = ApplicationState
# Shares of the simulated users (of --users): the staff of the city's offices, and residents.
MIX = {
    "officer": 0.40,
    "rt_chair": 0.28,
    "supervisor": 0.18,
    "camat": 0.02,
    "city_supervisor": 0.02,
    "resident": 0.10,
}
PAGE_P99_MS = 300
SHARED = {"camat", "city_supervisor", "resident"}  # roles whose accounts users may share
# Cases an officer may archive in one run (at human pace a few); their seeded documents get
# files on disk, so the archive bundle the job cluster renders from them finds them.
TO_ARCHIVE = 8


@contextlib.contextmanager
def bench_lock():
    """Hold the shared bench lock (flock(2), as flock(1) takes it) for a timed part."""
    with open(LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- the plan ----------------------------------------------------------------------------------
def counts_for(users: int) -> dict:
    counts = {role: int(users * share) for role, share in MIX.items()}
    counts["officer"] += users - sum(counts.values())
    return counts


def plan(users: int, photo: Path) -> dict:
    """Accounts and their cases for ``users`` simulated users (see the module docstring)."""
    counts = counts_for(users)
    offices = list(Office.objects.filter(code__startswith="B").order_by("code"))
    services = list(Service.objects.values_list("pk", flat=True))
    accounts = {role: [] for role in MIX}
    by_office = {o.pk: o for o in offices}
    by_code = {o.code: o for o in offices}
    officers = list(
        Membership.objects.filter(office__in=offices, role=Role.OFFICER)
        .select_related("user")
        .order_by("office__code", "user_id")
    )
    # Up to two officers an office, offices in turn, until the officers' share is filled.
    per_office: dict[int, list] = {}
    for m in officers:
        per_office.setdefault(m.office_id, []).append(m)
    chosen = [
        m for rank in range(2) for o in offices for m in per_office.get(o.pk, [])[rank : rank + 1]
    ]
    chosen = chosen[: counts["officer"]]
    sample = _sample_cases(offices)
    for m in chosen:
        peers = [p for p in chosen if p.office_id == m.office_id]
        rank, n = peers.index(m), len(peers)
        open_rows = list(
            Application.objects.filter(office_id=m.office_id, is_open=True)
            .order_by("id")
            .values_list("id", "code", "applicant_name", "state", "service_id")
        )
        mine = [row for row in open_rows if row[0] % n == rank]
        first_req = _first_requirement()
        accounts["officer"].append(
            {
                "cookie": measure.session_cookie(m.user),
                "office": by_office[m.office_id].code,
                "rts": list(
                    RT.objects.filter(rw__office_id=m.office_id).values_list("pk", flat=True)
                ),
                "services": services,
                "open_names": [(r[2], r[1]) for r in open_rows[rank::n][:30]],
                "open_codes": [r[1] for r in open_rows[rank::n][:30]],
                "closed_codes": sample.get(m.office_id, [])[rank::n][:30],
                "to_archive": [(r[1], first_req[r[4]]) for r in mine if r[3] == S.RECEIVED][
                    :TO_ARCHIVE
                ],
                "to_issue": [r[1] for r in mine if r[3] == S.VERIFIED],
            }
        )
    chairs = list(
        Membership.objects.filter(office__in=offices, role=Role.RT_CHAIR)
        .select_related("user", "rt__rw")
        .order_by("rt__rw__office__code", "rt_id")
    )
    pending: dict[int, list] = {}
    for vr in (
        VerificationRequest.objects.filter(state="pending", rt__rw__office__in=offices)
        .select_related("application")
        .order_by("created_at")
    ):
        pending.setdefault(vr.rt_id, []).append(
            (str(vr.uuid), vr.application.code, vr.application.applicant_name)
        )
    # The chairs with the most waiting first (those are the ones who open the portal).
    chairs.sort(key=lambda m: -len(pending.get(m.rt_id, [])))
    for m in chairs[: counts["rt_chair"]]:
        accounts["rt_chair"].append(
            {
                "cookie": measure.session_cookie(m.user),
                "heading": f"<h1>{escape(f'Verifikasi {m.rt}')}</h1>",
                "pending": pending.get(m.rt_id, []),
            }
        )
    supervisors = list(
        Membership.objects.filter(office__in=offices, role=Role.SUPERVISOR)
        .select_related("user", "office")
        .order_by("office__code")
    )
    for m in supervisors[: counts["supervisor"]]:
        accounts["supervisor"].append(
            {"cookie": measure.session_cookie(m.user), "office": m.office.code}
        )
    # Oversight: the camat of each kecamatan, the city supervisors (several simulated users
    # may share one account: they only read).
    for o in Oversight.objects.filter(city=city.CITY).select_related("user").order_by("pk"):
        scope = [x.code for x in offices if o.kecamatan_id in (None, x.kecamatan_ref_id)]
        role = "camat" if o.role == OversightRole.KECAMATAN else "city_supervisor"
        accounts[role].append(
            {
                "cookie": measure.session_cookie(o.user),
                "offices": [(code, by_code[code].name) for code in scope],
            }
        )
    statuses = list(
        Application.objects.filter(office__in=offices, is_open=True)
        .order_by("?")
        .values_list("status_token", "code")[:500]
    )
    for k in range(max(1, counts["resident"])):
        share = statuses[k :: max(1, counts["resident"])] or statuses
        accounts["resident"].append({"statuses": share})
    counts = {
        role: n if role in SHARED else min(n, len(accounts[role])) for role, n in counts.items()
    }
    counts = {role: n if accounts[role] else 0 for role, n in counts.items()}
    codes = [code for a in accounts["officer"] for code, _req in a["to_archive"]]
    files = list(
        Attachment.objects.filter(application__code__in=codes).values_list("file", flat=True)
    )
    return {"photo": str(photo), "counts": counts, "accounts": accounts, "files": files}


def write_documents(media: Path, files: list[str]) -> None:
    """A small photo at each seeded document's path (the files the plan's cases carry)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((400, 300)).convert("RGB").save(buffer, "JPEG")
    for name in files:
        path = media / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue())


def _first_requirement() -> dict:
    """Per service, the requirement an officer photographs again (its first document)."""
    from services.models import Requirement

    out = {}
    for service_id, pk in Requirement.objects.order_by("service_id", "order", "pk").values_list(
        "service_id", "pk"
    ):
        out.setdefault(service_id, pk)
    return out


def _sample_cases(offices) -> dict:
    """About 60 closed cases an office, drawn over the whole table (TABLESAMPLE)."""
    total = Application.objects.count() or 1
    percent = min(100.0, 100.0 * 60 * len(offices) / total)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT office_id, code FROM services_application TABLESAMPLE SYSTEM (%s)"
            " WHERE NOT is_open",
            [percent],
        )
        out: dict[int, list] = {}
        for office_id, code in cursor.fetchall():
            out.setdefault(office_id, []).append(code)
    return out


def phone_photo(path: Path) -> Path:
    """A 12 MP phone photo as a camera writes it (JPEG, about 3 MB), made once."""
    if path.exists():
        return path
    from PIL import Image, ImageFilter

    noise = Image.effect_noise((1000, 750), 60).convert("RGB").resize((4000, 3000))
    gradient = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    picture = Image.blend(noise, gradient, 0.6).filter(ImageFilter.GaussianBlur(1))
    picture.save(path, "JPEG", quality=88)
    return path


# --- the servers ---------------------------------------------------------------------------------
class CityServer(measure.Server):
    """gunicorn (production settings) plus the job cluster, with REDIS_URL when given."""

    def __init__(self, workers: int, extra_env: dict):
        super().__init__(workers)
        self.extra_env = extra_env

    def env(self) -> dict:
        env = super().env()
        env.update(self.extra_env)
        return env

    def __enter__(self):
        super().__enter__()
        self.cluster = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=measure.ROOT, env=self.env(), start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        return self

    def __exit__(self, *exc):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.cluster.pid, signal.SIGTERM)
        try:
            self.cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.cluster.pid, signal.SIGKILL)
        super().__exit__(*exc)


@contextlib.contextmanager
def redis_server(folder: Path):
    """Debian's redis-server on a free loopback port, its files in ``folder``; stopped after."""
    if not shutil.which("redis-server"):
        raise RuntimeError("redis-server is missing: apt-get install -y redis-server")
    folder.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
         "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.2)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


# --- one run -------------------------------------------------------------------------------------
def locust_run(*, users: int, spawn_rate: float, duration: int, workers: int, redis: bool,
               log=print) -> dict:  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="bench-city-"))
    try:
        photo = phone_photo(work / "photo.jpg")
        the_plan = plan(users, photo)
        plan_path = work / "plan.json"
        plan_path.write_text(json.dumps(the_plan))
        write_documents(work / "media", the_plan["files"])
        extra = {"MEDIA_ROOT": str(work / "media"), "DJANGO_LOG_LEVEL": "WARNING"}
        with contextlib.ExitStack() as stack:
            if redis:
                extra["REDIS_URL"] = stack.enter_context(redis_server(work / "redis"))
            server = stack.enter_context(CityServer(workers, extra))
            host = f"http://127.0.0.1:{server.port}"
            with bench_lock():
                started = measure_uptime()
                users_total = sum(the_plan["counts"].values())
                locust = subprocess.Popen(
                    [str(Path(sys.executable).with_name("locust")), "-f", str(LOCUSTFILE),
                     "--headless", "-u", str(users_total),
                     "-r", str(spawn_rate), "-t", f"{duration}s", "--host", host,
                     "--csv", str(work / "locust"), "--reset-stats", "--only-summary",
                     "--stop-timeout", "30", "--loglevel", "WARNING"],
                    env={**os.environ, "BENCH_CITY_PLAN": str(plan_path)},
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                )  # fmt: skip
                # The CPU is counted from the moment every user is spawned (when Locust
                # resets its statistics) to Locust's end: the same window as the figures.
                profile = steady_state_profile(locust, spawn_seconds=users_total / spawn_rate,
                                               timeout=duration + 300)  # fmt: skip
                ended = measure_uptime()
        stats = parse_stats((work / "locust_stats.csv").read_text())
        failures = parse_failures((work / "locust_failures.csv").read_text())
        result = {
            "users": the_plan["counts"],
            "duration_s": duration,
            "spawn_rate": spawn_rate,
            "gunicorn_workers": workers,
            "redis": redis,
            "uptime": {"start": started, "end": ended},
            "stats": stats,
            "failures": failures,
            "locust_exit": locust.returncode,
            "cpu": profile["cpu"],
            "statements": profile["statements"],
        }
        log(f"  {stats['Aggregated']['requests']:,} requests, {stats['Aggregated']['rps']:.1f}/s,"
            f" {stats['Aggregated']['failures']} failed")  # fmt: skip
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def steady_state_profile(locust: subprocess.Popen, *, spawn_seconds: float, timeout: float) -> dict:
    """Wait for ``locust`` to end; meanwhile, once every user is spawned, start counting the
    CPU of each process group (``bench.cpu``) and the database's statements."""
    deadline = time.monotonic() + timeout
    with contextlib.suppress(subprocess.TimeoutExpired):
        locust.wait(timeout=spawn_seconds)
    with connection.cursor() as cursor:
        counting = cpu.statements_reset(cursor)
    before = cpu.snapshot()
    try:
        locust.communicate(timeout=max(deadline - time.monotonic(), 1))
    except subprocess.TimeoutExpired:
        locust.kill()
        locust.communicate()
    after = cpu.snapshot()
    with connection.cursor() as cursor:
        statements = cpu.top_statements(cursor) if counting else []
    return {"cpu": cpu.between(before, after, load_pid=locust.pid), "statements": statements}


def measure_uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def parse_stats(text: str) -> dict:
    """Locust's *_stats.csv: per request name, counts, req/s and percentiles (ms)."""
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        out[row["Name"]] = {
            "method": row["Type"],
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": float(row["Requests/s"]),
            "p50_ms": _num(row["50%"]),
            "p95_ms": _num(row["95%"]),
            "p99_ms": _num(row["99%"]),
            "max_ms": _num(row["Max Response Time"]),
        }
    return out


def parse_failures(text: str) -> list[dict]:
    return [
        {"name": r["Name"], "error": r["Error"], "count": int(r["Occurrences"])}
        for r in csv.DictReader(io.StringIO(text))
    ]


def _num(value: str) -> float | None:
    return None if value in ("", "N/A") else float(value)


# --- the table -----------------------------------------------------------------------------------
def is_page(name: str, stat: dict) -> bool:
    return stat["method"] == "GET"


def render_table(r: dict) -> str:
    seed = r["seed"]
    lines = [
        f"\n### {r['database']} · {seed['offices']} offices · {seed['cases']:,} cases"
        f" · {r['machine']}",
        "",
        f"Seed: {seed['seconds']['total']:.0f} s (cases added: {seed['added']:,});"
        f" database {seed['database_bytes'] / 1e9:.1f} GB"
        f" ({r.get('database_bytes_end', seed['database_bytes']) / 1e9:.1f} GB after the runs).",
        "",
    ]
    for label, run in r.get("locust", {}).items():
        agg = run["stats"]["Aggregated"]
        lines += [
            f"Locust, {label}: {sum(run['users'].values())} users ({_users(run['users'])}),"
            f" {run['duration_s']} s, {run['gunicorn_workers']} gunicorn workers;"
            f" {agg['rps']:.1f} req/s, {agg['failures']} errors of {agg['requests']:,};"
            f" `uptime` before: {run['uptime']['start'].split('load average:')[-1].strip()}",
            "",
            "| request | kind | requests | errors | p50 ms | p95 ms | p99 ms | target | holds |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, s in sorted(run["stats"].items()):
            if name == "Aggregated":
                continue
            page = is_page(name, s)
            target = f"p99 < {PAGE_P99_MS}, 0 errors" if page else "0 errors"
            holds = s["failures"] == 0 and (not page or (s["p99_ms"] or 0) < PAGE_P99_MS)
            lines.append(
                f"| {name} | {'page' if page else 'step (POST)'} | {s['requests']:,} |"
                f" {s['failures']} | {_ms(s['p50_ms'])} | {_ms(s['p95_ms'])} |"
                f" {_ms(s['p99_ms'])} | {target} | {'yes' if holds else 'NO'} |"
            )
        lines += ["", *render_profile(run), ""]
    if r.get("capacity"):
        lines += [
            "What the machine carries (PostgreSQL alone, the same mix with fewer users; the"
            " slowest page kind's p99):",
            "",
            "| users | req/s | errors | slowest page p50 ms | slowest page p99 ms | cores busy |"
            " p99 < 300 ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for users, run in sorted(r["capacity"].items(), key=lambda kv: int(kv[0])):
            agg = run["stats"]["Aggregated"]
            pages = [st for n, st in run["stats"].items() if n != "Aggregated" and is_page(n, st)]
            worst = max(pages, key=lambda st: st["p99_ms"] or 0) if pages else {}
            p99 = worst.get("p99_ms") or 0
            lines.append(
                f"| {users} | {agg['rps']:.1f} | {agg['failures']} | {_ms(worst.get('p50_ms'))} |"
                f" {_ms(p99)} | {run.get('cpu', {}).get('machine_busy', '—')} |"
                f" {'yes' if p99 < PAGE_P99_MS and not agg['failures'] else 'NO'} |"
            )
        lines.append("")
    base = r.get("baseline")
    if base:
        lines += [
            f"Single-office pages in-process (bench.measure.server_ms, median of 200, office"
            f" B000): at {base['cases']:,} cases ({base['offices']} offices) and at"
            f" {seed['cases']:,} ({seed['offices']} offices).",
            "",
            f"| page | ms at {base['cases']:,} | ms at {seed['cases']:,} | ratio | ratio of the"
            " × 'ok' view (load-corrected) | target | holds |",
            "|---|---|---|---|---|---|---|",
        ]
        ok_now, ok_before = r["server_ms"].get("ok (floor)"), base["server_ms"].get("ok (floor)")
        for page, ms in r["server_ms"].items():
            if "floor" in page:
                continue
            before = base["server_ms"].get(page)
            ratio = ms / before if before else None
            corrected = ratio * ok_before / ok_now if ratio and ok_now and ok_before else None
            lines.append(
                f"| {page} | {_ms(before, 2)} | {_ms(ms, 2)} | {_ms(ratio, 2)}× |"
                f" {_ms(corrected, 2)}× | ≤ 1.2× |"
                f" {'yes' if ratio is not None and ratio <= 1.2 else 'NO'} |"
            )
    return "\n".join(lines)


def render_profile(run: dict) -> list[str]:
    """Where the CPU went in a run (``bench.cpu``), per request, and the database's costliest
    statements: why a target does not hold."""
    prof = run.get("cpu")
    if not prof:
        return []
    rps = run["stats"]["Aggregated"]["rps"] or 0
    lines = [
        f"Where the CPU went ({prof['wall_s']:.0f} s from the last user spawned to the end):"
        f" {prof['machine_busy']:.2f} of {prof['cores']} cores busy on average.",
        "",
        "| process group | cores busy | CPU ms per request |",
        "|---|---|---|",
    ]
    for group, cores in sorted(prof["groups"].items(), key=lambda kv: -kv[1]):
        per = f"{cores / rps * 1000:.1f}" if rps else "—"
        lines.append(f"| {group} | {cores:.2f} | {per} |")
    if run.get("statements"):
        lines += [
            "",
            "Database time by statement (pg_stat_statements, same window):",
            "",
            "| calls | total ms | mean ms | statement |",
            "|---|---|---|---|",
        ]
        for st in run["statements"]:
            query = st["query"][:160].replace("|", "\\|")
            lines.append(
                f"| {st['calls']:,} | {st['total_ms']:,.0f} | {st['mean_ms']:.2f} | `{query}` |"
            )
    return lines


def _users(counts: dict) -> str:
    return ", ".join(f"{n} {role.replace('_', ' ')}" for role, n in counts.items())


def _ms(value, places: int = 0) -> str:
    return "—" if value is None else f"{value:.{places}f}"


def failures(r: dict) -> list[str]:
    """The targets this run missed (empty when all hold)."""
    out = []
    for label, run in r.get("locust", {}).items():
        for name, s in run["stats"].items():
            if name == "Aggregated":
                continue
            if s["failures"]:
                out.append(f"{label}: {name}: {s['failures']} errors")
            if is_page(name, s) and (s["p99_ms"] or 0) >= PAGE_P99_MS:
                out.append(f"{label}: {name}: p99 {s['p99_ms']:.0f} ms ≥ {PAGE_P99_MS}")
    base = r.get("baseline")
    if base:
        for page, ms in r["server_ms"].items():
            before = base["server_ms"].get(page)
            if "floor" not in page and before and ms > 1.2 * before:
                out.append(f"server_ms {page}: {ms:.2f} ms > 1.2 × {before:.2f} ms")
    return out
