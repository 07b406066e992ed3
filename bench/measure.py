"""The measurements of `make bench`, each next to its floor in the same run."""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kelurahan.models import Membership, Office, Role
from services.models import Application, ApplicationState, Letter, Notification, SlaBreach
from verification.models import VerificationRequest

ROOT = Path(settings.BASE_DIR)
S = ApplicationState


def median_ms(func, runs: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        func()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def interleaved_ms(ours, floor, runs: int, warmup: int = 2) -> tuple[float, float]:
    """Medians of two functions run alternately, so machine noise hits both alike."""
    for _ in range(warmup):
        ours()
        floor()
    a, b = [], []
    for _ in range(runs):
        for func, times in ((ours, a), (floor, b)):
            start = time.perf_counter()
            func()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(a), statistics.median(b)


# --- who and what the pages are measured for ---------------------------------------------------
def bench_targets() -> dict:
    office = Office.objects.filter(code__startswith="B").order_by("code").first()
    officer = Membership.objects.filter(office=office, role=Role.OFFICER).first().user
    supervisor = Membership.objects.filter(office=office, role=Role.SUPERVISOR).first().user
    pending = (
        VerificationRequest.objects.filter(rt__rw__office=office, state="pending")
        .values("rt_id")
        .order_by()
        .first()
    )
    chair = Membership.objects.get(rt_id=pending["rt_id"], role=Role.RT_CHAIR).user
    case = Application.objects.filter(office=office, state=S.RECEIVED).first()
    return {
        "office": office,
        "officer": officer,
        "supervisor": supervisor,
        "chair": chair,
        "pages": {
            "ok (floor)": ("/_bench/ok", officer),
            "queue from memory (floor)": ("/_bench/queue-from-memory", officer),
            "officer queue": ("/permohonan/", officer),
            "application page": (f"/permohonan/{case.code}/", officer),
            "RT chair list": ("/rt/", chair),
            "dashboard": ("/dasbor/", supervisor),
        },
    }


def queries_per_page(targets: dict) -> dict:
    """Queries each page issues, counted in-process with the test client."""
    counts = {}
    for name, (url, user) in targets["pages"].items():
        client = Client()
        client.force_login(user)
        client.get(url)  # warm caches (content types, permissions)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(queries)
    return counts


def session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "kelurahan.backends.PortalBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["_started_at"] = int(time.time())
    session.create()
    return session.session_key


# --- HTTP under load -------------------------------------------------------------------------
class Server:
    """gunicorn with production settings on 127.0.0.1, stopped when the block ends."""

    def __init__(self, workers: int = 2):
        self.port = _free_port()
        self.workers = workers
        self.static = ROOT / "bench" / ".static"

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY="bench-" + "s" * 50,
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SECURE_SSL_REDIRECT="0",
            STATIC_ROOT=str(self.static),
            BENCH_ENDPOINTS="1",
            DATABASE_URL=os.environ.get("DATABASE_URL", ""),
        )
        return env

    collected = False  # collectstatic once per bench run

    def __enter__(self):
        env = self.env()
        if not Server.collected:
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                cwd=ROOT, env=env, check=True,
            )  # fmt: skip
            Server.collected = True
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "kelurahan.wsgi", "-w", str(self.workers),
             "-b", f"127.0.0.1:{self.port}", "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2)  # noqa: S310
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_PCT = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_ERRORS = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def wrk(url: str, cookie: str, *, duration: int, connections: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s",
         "-H", f"Cookie: __Host-sessionid={cookie}", url],
        capture_output=True, text=True, check=True, timeout=duration + 60,
    ).stdout  # fmt: skip
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    pct = {p: float(v) * scale[u] for p, v, u in WRK_PCT.findall(out)}
    errors = WRK_ERRORS.search(out)
    return {
        "rps": float(WRK_RATE.search(out).group(1)),
        "p50_ms": pct.get("50"),
        "p99_ms": pct.get("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def http_load(targets: dict, *, duration: int, connections: int, workers: int) -> dict:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is missing: apt-get install -y wrk")
    results = {}
    cookies = {}
    with Server(workers) as server:
        for name, (url, user) in targets["pages"].items():
            cookie = cookies.setdefault(user.pk, session_cookie(user))
            # Unmeasured warm-up: workers import, compile templates, fill caches.
            wrk(f"http://127.0.0.1:{server.port}{url}", cookie, duration=1, connections=4)
            results[name] = wrk(
                f"http://127.0.0.1:{server.port}{url}",
                cookie,
                duration=duration,
                connections=connections,
            )
    return results


# --- the SLA sweep ---------------------------------------------------------------------------
DUE_FIELD = {
    S.RECEIVED: "archive_due",
    S.ARCHIVED: "verify_due",
    S.IN_VERIFICATION: "verify_due",
    S.VERIFIED: "issue_due",
}


class _LockTimes(logging.Handler):
    def __init__(self):
        super().__init__()
        self.times: list[float] = []

    def emit(self, record):
        if hasattr(record, "transaction_ms"):
            self.times.append(record.transaction_ms)


def sweep(phase: int, overdue: int = 1000, runs: int = 3) -> dict:
    """Make exactly ``overdue`` open cases fall due in a fresh window, then sweep it.

    The same window is swept ``runs`` times (its breaches and notifications removed in
    between), and the medians are reported.
    """
    from services.models import SweepState
    from services.sla import sla_sweep

    t0 = timezone.now() + timedelta(days=30 + phase)
    t1 = t0 + timedelta(hours=1)
    picked = list(
        Application.objects.filter(is_open=True, state__in=DUE_FIELD)
        .exclude(breaches__isnull=False)
        .order_by("?")
        .values_list("pk", "state")[:overdue]
    )
    step = timedelta(hours=1) / max(1, len(picked))
    for state in DUE_FIELD:
        ids = [pk for pk, s in picked if s == state]
        for k, pk in enumerate(ids):
            Application.objects.filter(pk=pk).update(**{DUE_FIELD[state]: t0 + step * (k + 1)})
    ids = [pk for pk, _ in picked]
    locks = _LockTimes()
    sweep_logger = logging.getLogger("services.sweep")
    sweep_logger.addHandler(locks)
    level = sweep_logger.level
    sweep_logger.setLevel(logging.INFO)
    totals, recorded = [], 0
    try:
        for _ in range(runs):
            SlaBreach.objects.filter(application_id__in=ids).delete()
            Notification.objects.filter(application_id__in=ids).delete()
            SweepState.objects.update_or_create(name="sla", defaults={"swept_until": t0})
            start = time.perf_counter()
            recorded = sla_sweep(now=t1)
            totals.append((time.perf_counter() - start) * 1000)
    finally:
        sweep_logger.removeHandler(locks)
        sweep_logger.setLevel(level)
    bare_ms = median_ms(lambda: _bare_overdue(t0, t1), runs=5, warmup=1)
    return {
        "cases": Application.objects.count(),
        "newly_overdue": len(picked),
        "recorded": recorded,
        "sweep_ms": statistics.median(totals),
        "write_lock_ms": statistics.median(locks.times),
        "bare_select_ms": bare_ms,
        "breaches": SlaBreach.objects.count(),
        "notifications": Notification.objects.count(),
    }


def _bare_overdue(t0, t1) -> int:
    table = Application._meta.db_table
    sql = " UNION ALL ".join(
        f"SELECT id FROM {table} WHERE is_open AND {field} > %s AND {field} <= %s"
        for field in ("archive_due", "verify_due", "issue_due")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [t0, t1] * 3)
        return len(cursor.fetchall())


# --- a letter's PDF -----------------------------------------------------------------------------
def letter_pdf() -> dict:
    import weasyprint
    from django.template.loader import render_to_string

    from services.letters import letter_context, letter_template
    from services.pdf import base_url, render_pdf

    letter = (
        Letter.objects.filter(kind="output")
        .select_related("application__service", "application__rt__rw", "office")
        .first()
    )
    context = letter_context(letter)
    template = letter_template(letter)
    html = render_to_string(template, context)
    ours, bare = interleaved_ms(
        lambda: render_pdf(template, context),
        lambda: weasyprint.HTML(string=html, base_url=base_url()).write_pdf(),
        runs=20,
        warmup=3,
    )
    return {"render_ms": ours, "bare_weasyprint_ms": bare, "ratio": ours / bare}


# --- a 12 MP phone photo ------------------------------------------------------------------------
def photo() -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageOps

    from services.uploads import clean_upload

    noise = Image.effect_noise((4000, 3000), 40).convert("RGB")
    gradient = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    picture = Image.blend(noise, gradient, 0.5)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()

    def ours():
        clean_upload(SimpleUploadedFile("foto.jpg", data, content_type="image/jpeg"))

    def bare():
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (2000, 1500))
            image = ImageOps.exif_transpose(image)
            image.thumbnail((2000, 2000))
            image.save(io.BytesIO(), "JPEG", quality=85)

    ours_ms, bare_ms = interleaved_ms(ours, bare, runs=15)
    return {
        "megapixels": 12,
        "bytes": len(data),
        "normalise_ms": ours_ms,
        "bare_pillow_ms": bare_ms,
        "ratio": ours_ms / bare_ms,
    }


# --- issuing concurrently ----------------------------------------------------------------------
def issuing(workers: int = 8, letters: int = 200) -> dict:
    from services import workflow

    office = Office.objects.filter(code__startswith="B").order_by("code")[1]
    officer = Membership.objects.filter(office=office, role=Role.OFFICER).first().user
    ids = list(
        Application.objects.filter(office=office, is_open=True)
        .exclude(state=S.ISSUED)
        .values_list("pk", flat=True)[:letters]
    )
    Application.objects.filter(pk__in=ids).update(state=S.VERIFIED)
    since = timezone.now()
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}  # queue the PDFs, as in production
    errors = []
    lock = threading.Lock()

    def issue(pk):
        try:
            workflow.application_issue(application=Application.objects.get(pk=pk), by=officer)
        except Exception as exc:  # noqa: BLE001 - counted and reported
            with lock:
                errors.append(repr(exc))
        finally:
            connection.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(issue, ids))
    elapsed = time.perf_counter() - start
    new = list(
        Letter.objects.filter(office=office, kind="output", issued_at__gte=since)
        .exclude(counter_key="bench")
        .values_list("seq", "number")
    )
    seqs = sorted(seq for seq, _ in new)
    numbers = [number for _, number in new]
    consecutive = seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else False
    return {
        "workers": workers,
        "letters": len(new),
        "letters_per_s": len(new) / elapsed,
        "duplicates": len(numbers) - len(set(numbers)),
        "consecutive": consecutive,
        "errors": len(errors),
    }


def settle() -> None:
    """After a bulk load: fresh planner statistics (and an emptied SQLite WAL), as a live
    database has; otherwise the first minutes after seeding measure the load, not the pages."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")
