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
import urllib.error
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
from django.utils.html import escape
from django_otp import DEVICE_ID_SESSION_KEY

from bench.views import MEMORY_CASE_CODE, MEMORY_OFFICER
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
class BenchFailure(Exception):
    """A measured response was not the page it should be (a login redirect, an error, ...)."""


def bench_targets() -> dict:
    """The pages measured, each as (url, user, marker); user None: a public page, loaded
    with no session (the resident's status page and its floor).

    The marker is a string only the real page contains (its heading, the case code); the login
    page a bad session is redirected to has none of them, and neither has the 404 of an
    unknown status link, so a redirect or an error page can never be counted as the page.
    """
    office = Office.objects.filter(code__startswith="B").order_by("code").first()
    officer = Membership.objects.filter(office=office, role=Role.OFFICER).first().user
    supervisor = Membership.objects.filter(office=office, role=Role.SUPERVISOR).first().user
    pending = (
        VerificationRequest.objects.filter(rt__rw__office=office, state="pending")
        .values("rt_id")
        .order_by()
        .first()
    )
    chair_membership = Membership.objects.select_related("rt__rw", "user").get(
        rt_id=pending["rt_id"], role=Role.RT_CHAIR
    )
    chair = chair_membership.user
    case = Application.objects.filter(office=office, state=S.RECEIVED).first()
    # The resident's status page of a case waiting at its RT, the most asked-after state.
    waiting = Application.objects.filter(office=office, state=S.IN_VERIFICATION).first()
    return {
        "office": office,
        "officer": officer,
        "supervisor": supervisor,
        "chair": chair,
        "pages": {
            "ok (floor)": ("/_bench/ok", officer, f"ok: {officer.get_username()}"),
            "queue from memory (floor)": (
                "/_bench/queue-from-memory",
                officer,
                '<td data-label="Pemohon">Warga Memori 0</td>',
            ),
            "officer queue": ("/permohonan/", officer, "<h1>Antrean permohonan</h1>"),
            "application page": (f"/permohonan/{case.code}/", officer, f"<h1>{case.code} "),
            "RT chair list": (
                "/rt/",
                chair,
                f"<h1>{escape(f'Verifikasi {chair_membership.rt}')}</h1>",
            ),
            "dashboard": ("/dasbor/", supervisor, "<h1>Dasbor layanan</h1>"),
            # A note's markup: the page with its notes, not "Belum ada notifikasi".
            "notifications": ("/notifikasi/", officer, '<li class="card note note-'),
            "charts from memory (floor)": (
                "/_bench/charts-from-memory",
                supervisor,
                f'<th scope="row" data-label="Petugas pencatat">{MEMORY_OFFICER}</th>',
            ),
            "dashboard charts": (
                f"/dasbor/{office.code}/grafik/",
                supervisor,
                "<h1>Grafik kinerja layanan</h1>",
            ),
            "status page from memory (floor)": (
                "/_bench/status-from-memory",
                None,
                f"kode permohonan <strong>{MEMORY_CASE_CODE}</strong>",
            ),
            "status page": (
                f"/s/{waiting.status_token}/",
                None,
                f"kode permohonan <strong>{waiting.code}</strong>",
            ),
        },
    }


def check_page(name: str, status: int, body: str, marker: str, where: str) -> None:
    """Raise BenchFailure unless one response is the page: status 200 and its marker."""
    if status != 200:
        raise BenchFailure(f"{name} ({where}): HTTP {status} instead of 200 with the page")
    if marker not in body:
        raise BenchFailure(f"{name} ({where}): HTTP 200 but not the page (no {marker!r})")


def queries_per_page(targets: dict) -> dict:
    """Queries each page issues, counted in-process with the test client; each response is
    checked to be the page (200 and its marker) before anything is timed."""
    counts = {}
    for name, (url, user, marker) in targets["pages"].items():
        client = _client_for(user)
        client.get(url)  # warm caches (content types, permissions)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        check_page(name, response.status_code, response.content.decode(), marker, "in-process")
        counts[name] = len(queries)
    return counts


def _client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
        device_id = second_factor_device_id(user)
        if device_id:  # past the TOTP step, as the gunicorn sessions are
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device_id
            session.save()
    return client


def cached_template_loader() -> bool:
    """Whether the Django template engine renders through the cached loader (as production).

    The loader objects themselves are looked at, through wrappers such as
    a loader wrapping others (as django-template-partials' did, the cached one inside it).
    """
    from django.template import engines
    from django.template.loaders.cached import Loader as CachedLoader

    def cached(loaders) -> bool:
        return any(
            isinstance(loader, CachedLoader) or cached(getattr(loader, "loaders", []))
            for loader in loaders
        )

    return cached(engines["django"].engine.template_loaders)


def server_ms(targets: dict, runs: int = 200, cpu: dict | None = None) -> dict:
    """Server time per request measured in-process: the median of ``runs`` requests of each
    page through the test client, one thread, DEBUG off. Every response is checked to be the
    page (200 and its marker); a redirect raises BenchFailure, so it is never a figure.

    The pages take turns, one request each per round (round-robin), so that every page and
    its floors are timed under the same conditions: on a shared virtual machine the speed of
    a core changes from one minute to the next (on 3 December the "ok" view, timed first,
    read 1.1 ms while the pages timed minutes later ran 1.5× slower than in the run before),
    which made a page's ratio to its floor a measure of when each was timed.

    ``cpu``, if given, receives each page's median thread CPU time per request too: on a
    shared machine the wall time also counts the moments other processes held the core.
    """
    from django.test import override_settings

    with override_settings(DEBUG=False):
        pages = []
        for name, (url, user, marker) in targets["pages"].items():
            client = _client_for(user)
            response = client.get(url)
            check_page(name, response.status_code, response.content.decode(), marker, "timed")
            for _ in range(2):  # warm-up
                client.get(url)
            pages.append((name, url, marker.encode(), client, [], []))
        for _ in range(runs):
            for name, url, marker, client, walls, cpus in pages:
                w0, c0 = time.perf_counter(), time.thread_time()
                response = client.get(url)
                w1, c1 = time.perf_counter(), time.thread_time()
                if response.status_code != 200 or marker not in response.content:
                    check_page(name, response.status_code, response.content.decode(),
                               marker.decode(), "timed")  # fmt: skip
                walls.append((w1 - w0) * 1000)
                cpus.append((c1 - c0) * 1000)
    if cpu is not None:
        cpu.update({name: statistics.median(cpus) for name, _, _, _, _, cpus in pages})
    return {name: statistics.median(walls) for name, _, _, _, walls, _ in pages}


def profile_pages(targets: dict, out_dir: Path, runs: int = 30) -> dict:
    """pyinstrument over ``runs`` in-process requests of each page (production settings):
    one text report per page in ``out_dir``, where the page's server time goes."""
    from pyinstrument import Profiler

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (url, user, marker) in targets["pages"].items():
        client = _client_for(user)
        for _ in range(3):
            client.get(url)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(runs):
            response = client.get(url)
        profiler.stop()
        check_page(name, response.status_code, response.content.decode(), marker, "profiled")
        path = out_dir / (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + ".txt")
        path.write_text(profiler.output_text(unicode=True, show_all=False))
        paths[name] = str(path)
    return paths


def session_cookie(user) -> str:
    """A session for ``user`` written to the database and signed with settings.SECRET_KEY,
    which the server is given too (Server.env), so gunicorn can read it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "kelurahan.backends.PortalBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["_started_at"] = int(time.time())
    device_id = second_factor_device_id(user)
    if device_id:  # a supervisor past the TOTP step, as after the code page
        session[DEVICE_ID_SESSION_KEY] = device_id
    session.create()
    return session.session_key


def second_factor_device_id(user) -> str | None:
    """The TOTP device a supervisor's (or superuser's) session names once past the code page
    (one made for the bench if they have none); None for users without a second factor."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kelurahan.two_factor import confirmed_device, needs_second_factor

    if not needs_second_factor(user):
        return None
    device = confirmed_device(user) or TOTPDevice.objects.create(
        user=user, name="bench", confirmed=True
    )
    return device.persistent_id


# --- HTTP under load -------------------------------------------------------------------------
SERVER_SESSION_COOKIE = "__Host-sessionid"  # settings.SESSION_COOKIE_NAME when DJANGO_DEBUG=0


class Server:
    """gunicorn with production settings on 127.0.0.1, stopped when the block ends.

    It runs with this process's SECRET_KEY: the sessions (and their auth hashes) the bench
    writes here are signed with it, and a server with another key reads them as corrupted
    and answers every request with a redirect to the login page.
    """

    def __init__(self, workers: int = 2):
        self.port = _free_port()
        self.workers = workers
        self.static = ROOT / "bench" / ".static"

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=settings.SECRET_KEY,
            # testserver: the bench's own in-process timing runs under these settings too.
            DJANGO_ALLOWED_HOSTS="127.0.0.1,testserver",
            SITE_URL="http://127.0.0.1",  # production refuses to start without one (J66)
            DJANGO_SECURE_SSL_REDIRECT="0",
            STATIC_ROOT=str(self.static),
            BENCH_ENDPOINTS="1",
            # wrk measures the page, not the public pages' per-address limit (one address).
            PUBLIC_RATE_PER_MINUTE="100000000",
        )  # DATABASE_URL is this process's, inherited
        return env

    collected = False  # collectstatic once per bench run

    def collect_static(self) -> None:
        """The manifest production's {% static %} reads (in-process timing needs it too)."""
        if not Server.collected:
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                cwd=ROOT, env=self.env(), check=True,
            )  # fmt: skip
            Server.collected = True

    def __enter__(self):
        env = self.env()
        self.collect_static()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "kelurahan.wsgi", "-w", str(self.workers),
             "-b", f"127.0.0.1:{self.port}", "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz?live=1", timeout=2)  # noqa: S310
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


def collect_static() -> None:
    Server().collect_static()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_PCT = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_CHECK = re.compile(r"^bench-check (.*)$", re.M)
WRK_SCRIPT = ROOT / "bench" / "check.lua"


def parse_check(out: str) -> dict | None:
    """The counts bench/check.lua prints at the end of a wrk run (None if it printed none)."""
    found = WRK_CHECK.search(out)
    if not found:
        return None
    fields = dict(item.split("=", 1) for item in found.group(1).split())
    return {
        "responses": int(fields.pop("responses")),
        "marker_missing": int(fields.pop("marker_missing")),
        "socket_errors": {k: int(fields.pop(k)) for k in ("connect", "read", "write", "timeout")},
        "statuses": {int(k.removeprefix("status_")): int(v) for k, v in fields.items()},
    }


def check_problems(check: dict | None) -> list[str]:
    """Why a wrk run did not measure the page; empty when every response was the page."""
    if check is None:
        return ["wrk printed no bench-check line (bench/check.lua did not run)"]
    problems = []
    if check["responses"] == 0:
        problems.append("no responses")
    others = {s: c for s, c in check["statuses"].items() if s != 200}
    if others:
        listed = ", ".join(f"{c} × HTTP {s}" for s, c in sorted(others.items()))
        problems.append(f"{sum(others.values())} of {check['responses']} not 200 ({listed})")
    if check["marker_missing"]:
        problems.append(
            f"{check['marker_missing']} of {check['responses']} were 200 without the page's marker"
        )
    errors = {k: v for k, v in check["socket_errors"].items() if v}
    if errors:
        problems.append("socket errors: " + ", ".join(f"{k} {v}" for k, v in errors.items()))
    return problems


def _cookie_header(cookie: str | None) -> dict:
    """The session cookie of a staff page; none for a public page (cookie None)."""
    return {"Cookie": f"{SERVER_SESSION_COOKIE}={cookie}"} if cookie else {}


def wrk(url: str, cookie: str | None, marker: str, *, duration: int, connections: int) -> dict:
    headers = [arg for k, v in _cookie_header(cookie).items() for arg in ("-H", f"{k}: {v}")]
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s",
         "-s", str(WRK_SCRIPT), *headers, url, "--", marker],
        capture_output=True, text=True, check=True, timeout=duration + 60,
    ).stdout  # fmt: skip
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    pct = {p: float(v) * scale[u] for p, v, u in WRK_PCT.findall(out)}
    check = parse_check(out)
    return {
        "rps": float(WRK_RATE.search(out).group(1)),
        "p50_ms": pct.get("50"),
        "p99_ms": pct.get("99"),
        "check": check,
        "problems": check_problems(check),
    }


def fetch(url: str, cookie: str | None) -> tuple[int, str]:
    """One GET with the session cookie (None: none), redirects not followed: (status, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=_cookie_header(cookie))  # noqa: S310 - 127.0.0.1
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:  # 3xx (not followed), 4xx, 5xx
        return exc.code, exc.read().decode(errors="replace")


def http_load(targets: dict, *, duration: int, connections: int, workers: int) -> dict:
    """Each page under wrk through gunicorn; every response is checked by bench/check.lua.

    Before a page is timed, one request through the server must be the page (fail fast, e.g.
    on a session the server cannot read). The counts of the timed run are kept in the
    results; Command.handle fails the bench when any of them is not the page.
    """
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is missing: apt-get install -y wrk")
    results = {}
    cookies = {}
    with Server(workers) as server:
        for name, (url, user, marker) in targets["pages"].items():
            cookie = None if user is None else cookies.setdefault(user.pk, session_cookie(user))
            full = f"http://127.0.0.1:{server.port}{url}"
            status, body = fetch(full, cookie)
            check_page(name, status, body, marker, f"gunicorn, {url}")
            # Unmeasured warm-up: workers import, compile templates, fill caches.
            wrk(full, cookie, marker, duration=1, connections=4)
            results[name] = wrk(full, cookie, marker, duration=duration, connections=connections)
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
    sweep_logger = logging.getLogger("services.sla.sweep")
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

    from services.letters.pdf import base_url, render_pdf
    from services.letters.render import letter_template
    from services.letters.text import letter_context

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

    from services.documents.cleaning import clean_upload

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
    database has; otherwise the first minutes after seeding measure the load, not the pages.

    On PostgreSQL a VACUUM too: rows just loaded are on pages no vacuum has marked all-visible,
    so each "index-only" scan of the dashboard and the queue still read the table for every
    row (4 December, 100k cases: dashboard 16.7 -> 7.4 ms, queue 12.2 -> 8.1 ms once
    vacuumed). A live database is vacuumed by autovacuum, which the cases' table is tuned to
    run often (services migration 0033)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("ANALYZE")
        else:
            # A commit made with synchronous_commit on flushes the WAL to disk first: a row whose
            # asynchronous commit is not yet flushed can get no hint bit, and VACUUM leaves its
            # page not all-visible (the throwaway clusters run synchronous_commit=off).
            cursor.execute("SET synchronous_commit = on")
            cursor.execute("ANALYZE")
            cursor.execute("RESET synchronous_commit")
            cursor.execute("VACUUM (ANALYZE)")  # autocommit: VACUUM refuses a transaction
