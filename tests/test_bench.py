"""The guard of `make bench`: every measured response must be the page, not a login redirect.

The 23 November 2026 figures were of 302s: the bench signed its sessions with its own key and
ran gunicorn with another, and wrk counted the redirects as successes. These tests fail if
the keys part again, if the wrk script stops counting, or if a redirect passes the verdict.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import get_commands
from django.test import Client, override_settings

from bench import measure
from bench.management.commands.bench import not_the_page
from bench.seed import seed_city
from tests.factories import ApplicationFactory, log_in

GOOD = (
    "Requests/sec:    41.20\n"
    "bench-check responses=250 marker_missing=0 connect=0 read=0 write=0 timeout=0 status_200=250\n"
)
# What the old bench measured: every request a redirect to the login page.
REDIRECTS = (
    "Requests/sec:   620.10\n"
    "bench-check responses=3721 marker_missing=0 connect=0 read=0 write=0 timeout=0"
    " status_302=3721\n"
)


# --- the verdict on wrk's counts ---
def test_parse_check_reads_the_counts_of_the_wrk_script():
    check = measure.parse_check(
        "Latency ...\nbench-check responses=12 marker_missing=3 connect=0 read=1 write=0"
        " timeout=2 status_200=10 status_302=2\nRequests/sec: 2.0\n"
    )
    assert check == {
        "responses": 12,
        "marker_missing": 3,
        "socket_errors": {"connect": 0, "read": 1, "write": 0, "timeout": 2},
        "statuses": {200: 10, 302: 2},
    }


def test_every_response_the_page_passes():
    assert measure.check_problems(measure.parse_check(GOOD)) == []


def test_login_redirects_fail_the_verdict():
    problems = measure.check_problems(measure.parse_check(REDIRECTS))
    assert problems == ["3721 of 3721 not 200 (3721 × HTTP 302)"]


def test_a_200_without_the_marker_fails_the_verdict():
    out = GOOD.replace("marker_missing=0", "marker_missing=7")
    assert measure.check_problems(measure.parse_check(out)) == [
        "7 of 250 were 200 without the page's marker"
    ]


def test_no_responses_socket_errors_or_no_counts_fail_the_verdict():
    empty = "bench-check responses=0 marker_missing=0 connect=16 read=0 write=0 timeout=0\n"
    assert measure.check_problems(measure.parse_check(empty)) == [
        "no responses",
        "socket errors: connect 16",
    ]
    assert measure.check_problems(measure.parse_check("Requests/sec: 600\n")) == [
        "wrk printed no bench-check line (bench/check.lua did not run)"
    ]


def test_the_command_lists_every_run_that_was_not_the_page():
    ok = {"problems": []}
    results = {
        "phases": {
            "10000": {"http": {"officer queue": ok, "dashboard": ok}},
            "100000": {"http": {"officer queue": {"problems": ["5 of 9 not 200 (5 × HTTP 302)"]}}},
        }
    }
    assert not_the_page(results) == [
        "officer queue at 100,000 cases: 5 of 9 not 200 (5 × HTTP 302)"
    ]
    results["phases"]["100000"]["http"]["officer queue"] = ok
    assert not_the_page(results) == []


def test_check_page_refuses_a_redirect_and_a_page_without_its_marker():
    with pytest.raises(measure.BenchFailure, match="HTTP 302 instead of 200"):
        measure.check_page("officer queue", 302, "", "<h1>Antrean permohonan</h1>", "gunicorn")
    with pytest.raises(measure.BenchFailure, match="not the page"):
        measure.check_page("officer queue", 200, "<h1>Masuk</h1>", "<h1>Antrean", "gunicorn")
    measure.check_page("officer queue", 200, "<h1>Antrean</h1>", "<h1>Antrean", "gunicorn")


# --- the bench's sessions and markers against the portal ---
@pytest.fixture
def targets(db):
    seed_city(300)
    return measure.bench_targets()


@pytest.mark.urls("bench.urls")  # the root URLconf under BENCH_ENDPOINTS=1
def test_the_in_process_count_reaches_every_page_supervisors_past_their_second_factor(targets):
    """queries_per_page checks each response is the page (a 302 to the TOTP step is not)."""
    from bench.management.commands.bench import QUERY_CAP

    counts = measure.queries_per_page(targets)
    assert set(counts) == set(targets["pages"])
    assert counts["dashboard"] <= QUERY_CAP["dashboard"]
    assert counts["dashboard charts"] <= QUERY_CAP["dashboard charts"]


@pytest.mark.urls("bench.urls")
def test_the_in_process_timer_times_every_page_and_refuses_a_login_redirect(targets):
    """server_ms checks each timed response is the page; a session-less client (a 302 to
    the login page) fails it instead of giving a figure."""
    times = measure.server_ms(targets, runs=2)
    assert set(times) == set(targets["pages"]) and all(ms > 0 for ms in times.values())
    queue = targets["pages"]["officer queue"]
    anonymous = {"pages": {"officer queue": (queue[0], None, queue[2])}}
    with pytest.raises(measure.BenchFailure, match="HTTP 302 instead of 200"):
        measure.server_ms(anonymous, runs=2)


@pytest.mark.urls("bench.urls")
def test_the_in_process_timer_takes_the_pages_in_turn_so_they_share_the_machines_moments(
    targets, monkeypatch
):
    """One request of each page per round, not all of one page then the next: a page and its
    floors are timed through the same minutes of a machine whose speed changes."""
    from django.test import Client

    timed = []
    get = Client.get

    def recording(self, path, *args, **kwargs):
        timed.append(path)
        return get(self, path, *args, **kwargs)

    monkeypatch.setattr(Client, "get", recording)
    pages = {name: targets["pages"][name] for name in ("ok (floor)", "officer queue", "dashboard")}
    measure.server_ms({"pages": pages}, runs=3)
    urls = [url for url, _, _ in pages.values()]
    assert timed[-9:] == urls * 3  # after each page's check and warm-up: the rounds


def server_settings() -> dict:
    """SECRET_KEY and session cookie name of the settings gunicorn gets in the bench."""
    code = (
        "import json, django; django.setup(); from django.conf import settings;"
        " print(json.dumps([settings.SECRET_KEY, settings.SESSION_COOKIE_NAME]))"
    )
    env = {**measure.Server().env(), "DJANGO_SETTINGS_MODULE": "kelurahan.settings"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=measure.ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    key, cookie_name = json.loads(out.stdout.strip().splitlines()[-1])
    return {"SECRET_KEY": key, "SESSION_COOKIE_NAME": cookie_name}


@pytest.mark.urls("bench.urls")  # the root URLconf under BENCH_ENDPOINTS=1
def test_the_server_reads_the_bench_sessions_and_serves_each_page(targets):
    """A session written by the bench process, read with the server's settings, is the page
    (200 and its marker), not a redirect to the login page."""
    server = server_settings()
    assert server["SESSION_COOKIE_NAME"] == measure.SERVER_SESSION_COOKIE
    cookies = {
        name: measure.session_cookie(user)
        for name, (_, user, _) in targets["pages"].items()
        if user is not None  # a public page is loaded with no session
    }
    with override_settings(**server):
        for name, (url, _, marker) in targets["pages"].items():
            client = Client()
            if name in cookies:
                client.cookies[server["SESSION_COOKIE_NAME"]] = cookies[name]
            response = client.get(url)
            assert response.status_code == 200, (
                name,
                response.status_code,
                response.get("Location"),
            )
            assert marker in response.content.decode(), name
            measure.check_page(name, 200, response.content.decode(), marker, "test")


@pytest.mark.urls("bench.urls")  # the root URLconf under BENCH_ENDPOINTS=1
def test_no_marker_is_on_the_login_page_or_for_an_anonymous_request(targets):
    """Markers tell the page from the login page that a bad session is redirected to."""
    login_page = Client().get("/masuk/").content.decode()
    for name, (url, user, marker) in targets["pages"].items():
        if user is None:  # public: the page itself for anyone, and its marker is its own
            response = Client().get(url)
            assert response.status_code == 200 and marker in response.content.decode(), name
            assert marker not in login_page, name
            continue
        response = Client().get(url, follow=True)
        body = response.content.decode()
        assert response.redirect_chain, name  # it did end on the login page
        assert marker not in body, name
        with pytest.raises(measure.BenchFailure):
            measure.check_page(name, response.status_code, body, marker, "anonymous")


@pytest.mark.urls("bench.urls")  # the root URLconf under BENCH_ENDPOINTS=1
def test_the_ok_floor_names_the_logged_in_user_and_is_not_for_anonymous(targets):
    assert Client().get("/_bench/ok").status_code == 302
    client = Client()
    client.force_login(targets["officer"])
    response = client.get("/_bench/ok")
    assert response.status_code == 200
    assert response.content.decode() == f"ok: {targets['officer'].get_username()}"


@pytest.mark.urls("bench.urls")  # the root URLconf under BENCH_ENDPOINTS=1
def test_the_status_page_floor_is_the_status_template_with_no_queries(
    targets, django_assert_num_queries
):
    """The floor renders what the status page renders (the same read model and template,
    the same headers), only from memory; an unknown status link is no page."""
    page_url, _, page_marker = targets["pages"]["status page"]
    floor_url, _, floor_marker = targets["pages"]["status page from memory (floor)"]
    page = Client().get(page_url)
    with django_assert_num_queries(0):
        floor = Client().get(floor_url)
    assert floor.status_code == page.status_code == 200
    for response in (page, floor):
        html = response.content.decode()
        assert '<article class="card narrow public-status">' in html
        assert "Menunggu pemeriksaan Ketua RT" in html and 'id="riwayat"' in html
        assert "no-store" in response["Cache-Control"] and "noindex" in response["X-Robots-Tag"]
    assert floor_marker in floor.content.decode() and page_marker in page.content.decode()
    unknown = Client().get("/s/tidak-ada-token-ini-xx/")
    assert unknown.status_code == 404 and page_marker not in unknown.content.decode()


@pytest.mark.urls("bench.urls")  # the root URLconf under BENCH_ENDPOINTS=1
def test_the_charts_floor_is_the_charts_page_without_its_chart_queries(targets):
    """The floor draws the same seven charts with the same template (each SVG named by its
    title, each table, each CSV link) from numbers in memory: the page's queries less the
    office calendar's and the seven charts'; the page itself is a 200 with its heading."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    page_url, user, page_marker = targets["pages"]["dashboard charts"]
    floor_url, _, floor_marker = targets["pages"]["charts from memory (floor)"]
    client = log_in(Client(), user)
    client.get(page_url)  # warm
    counts, html = {}, {}
    for name, url in (("page", page_url), ("floor", floor_url)):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, name
        counts[name], html[name] = len(queries), response.content.decode()
    assert counts["floor"] == counts["page"] - 8
    assert html["floor"].count('role="img"') == 7  # the page draws those with data only
    for body in html.values():
        assert body.count("<table") == 7 and body.count("Unduh CSV") == 7
    assert page_marker in html["page"] and floor_marker in html["floor"]
    assert floor_marker not in html["page"]
    other = Client()
    other.force_login(targets["officer"])  # an officer: not a supervisor
    assert other.get(floor_url).status_code == 404 and other.get(page_url).status_code == 404


# --- the bench app: installed, with its URLs, only when BENCH_ENDPOINTS=1 ---
def test_in_the_tests_the_bench_is_not_installed_and_its_urls_are_404(officer_client):
    assert not settings.BENCH_ENDPOINTS
    assert not apps.is_installed("bench")
    assert "bench" not in get_commands()
    assert officer_client.get("/_bench/ok").status_code == 404
    assert officer_client.get("/_bench/queue-from-memory").status_code == 404
    assert officer_client.get("/_bench/status-from-memory").status_code == 404
    assert officer_client.get("/_bench/charts-from-memory").status_code == 404


PROBE = """
import json, django
django.setup()
from django.apps import apps
from django.conf import settings
from django.core.management import get_commands
from django.test import Client
from django.urls import reverse
ok, memory, status = (
    Client().get(url)
    for url in ("/_bench/ok", "/_bench/queue-from-memory", "/_bench/status-from-memory")
)
print(json.dumps({
    "installed": apps.is_installed("bench"),
    "command": "bench" in get_commands(),
    "urlconf": settings.ROOT_URLCONF,
    "ok": [ok.status_code, ok.get("Location")],
    "memory": [memory.status_code, memory.get("Location")],
    "status": [status.status_code, status.get("Location")],
    "home": reverse("home"),
}))
"""


@pytest.mark.parametrize("on", [False, True], ids=["BENCH_ENDPOINTS off", "BENCH_ENDPOINTS=1"])
def test_bench_endpoints_installs_the_bench_app_and_its_urls_and_nothing_without_it(on, tmp_path):
    """The settings as a fresh process reads them: the app, its command and the `_bench/`
    URLs (behind the login, like every staff page, but for the public status page's floor)
    exist with BENCH_ENDPOINTS=1 only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BENCH_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="kelurahan.settings",
        DJANGO_ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        **({"BENCH_ENDPOINTS": "1"} if on else {}),
    )
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=measure.ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["home"] == "/"  # the portal's own URLs either way
    if on:
        assert probe["installed"] and probe["command"]
        assert probe["urlconf"] == "bench.urls"
        assert probe["ok"] == [302, "/masuk/?next=/_bench/ok"]
        assert probe["memory"] == [302, "/masuk/?next=/_bench/queue-from-memory"]
        assert probe["status"] == [200, None]  # public, like the status page it stands for
    else:
        assert not probe["installed"] and not probe["command"]
        assert probe["urlconf"] == "kelurahan.urls"
        assert probe["ok"] == probe["memory"] == probe["status"] == [404, None]


# --- the wrk script itself ---
class _Pages(BaseHTTPRequestHandler):
    """/page is the page, /redirect a login redirect, /other a 200 that is another page."""

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/masuk/?next=/page")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"<h1>Antrean permohonan</h1>" if self.path == "/page" else b"<h1>Masuk</h1>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # wrk hangs up mid-response when its time is over


@pytest.mark.skipif(
    not shutil.which("wrk"), reason="wrk is not installed (scripts/sysdeps.sh bench)"
)
def test_the_wrk_script_counts_statuses_and_markers():
    server = _QuietServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    marker = "<h1>Antrean permohonan</h1>"
    try:
        page = measure.wrk(f"{base}/page", "x", marker, duration=1, connections=2)
        redirect = measure.wrk(f"{base}/redirect", "x", marker, duration=1, connections=2)
        other = measure.wrk(f"{base}/other", "x", marker, duration=1, connections=2)
    finally:
        server.shutdown()
        server.server_close()
    assert page["check"]["responses"] > 0
    assert page["check"]["statuses"] == {200: page["check"]["responses"]}
    assert page["problems"] == []
    assert redirect["check"]["statuses"] == {302: redirect["check"]["responses"]} != {}
    assert "not 200" in redirect["problems"][0]
    assert other["check"]["marker_missing"] == other["check"]["responses"] > 0
    assert "without the page's marker" in other["problems"][0]


# --- production settings for every timed figure ---
LOADER_PROBE = (
    "import json, django; django.setup(); from django.conf import settings;"
    " from bench import measure;"
    " print(json.dumps([settings.DEBUG, measure.cached_template_loader()]))"
)


def _probe(env: dict) -> list:
    out = subprocess.run(
        [sys.executable, "-c", LOADER_PROBE], env=env, cwd=measure.ROOT, capture_output=True,
        text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_servers_settings_have_the_cached_loader_and_development_has_not(tmp_path):
    """The loader check finds the cached loader wherever it is in the list (inside a wrapping
    loader too: django-template-partials' held it, and a check of the outer loader said False)."""
    db = {"DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}
    server = {**measure.Server().env(), "DJANGO_SETTINGS_MODULE": "kelurahan.settings", **db}
    assert _probe(server) == [False, True]
    dev = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BENCH_"))}
    dev.update(DJANGO_SETTINGS_MODULE="kelurahan.settings", DJANGO_DEBUG="1", **db)
    assert _probe(dev) == [True, False]


def test_the_bench_reruns_itself_in_production_and_refuses_to_time_development(monkeypatch):
    from django.core.management.base import CommandError

    from bench.management.commands import bench

    assert not bench.production_settings()  # the tests' settings: uncached loaders
    runs = []
    monkeypatch.setattr(bench.subprocess, "run", lambda argv, env, **kw: runs.append(env)
                        or subprocess.CompletedProcess(argv, 0))  # fmt: skip
    bench.Command().rerun_in_production()
    assert runs[0]["DJANGO_DEBUG"] == "0" and runs[0][bench.RERUN_FLAG] == "1"
    assert runs[0]["DJANGO_SECRET_KEY"] == settings.SECRET_KEY
    # Re-run and still not production (e.g. a loader setting gone wrong): no figures.
    monkeypatch.setenv(bench.RERUN_FLAG, "1")
    with pytest.raises(CommandError, match="template loader is not the cached one"):
        bench.Command().rerun_in_production()


# --- the fast seed ---
def _index_names():
    from django.db import connection

    tables = {m._meta.db_table for m in __import__("bench.seed").seed.SEEDED}
    with connection.cursor() as cursor:
        return {
            (table, name)
            for table in tables
            for name, info in connection.introspection.get_constraints(cursor, table).items()
            if info["index"]
        }


def test_the_seed_writes_rows_the_orm_reads_and_leaves_indexes_and_ids_as_they_were(db):
    from services.models import Application, ApplicationEvent, Attachment, Letter

    before = _index_names()
    seed_city(300)
    assert _index_names() == before  # dropped for the load, built again after
    case = Application.objects.filter(state="completed").order_by("pk").last()
    assert case.code.startswith("B") and len(case.status_token) == 22
    assert case.extra == {} and case.is_open is False and case.updated_at is not None
    assert case.received_at.tzinfo is not None and case.completed_at > case.received_at
    assert ApplicationEvent.objects.filter(application=case).count() == 2
    assert Attachment.objects.filter(application=case).count() == 2
    assert Letter.objects.get(application=case).token
    assert Application.objects.count() == 300
    # The next case the ORM writes gets the next id (PostgreSQL: the sequence was moved on).
    new = ApplicationFactory(officer=case.received_by, rt=case.rt, docs=False)
    assert new.pk > Application.objects.exclude(pk=new.pk).order_by("-pk").first().pk
    seed_city(400)  # tops up
    assert Application.objects.count() == 400  # the total, with the one above


def test_the_bench_times_the_notifications_page_with_a_full_page_of_notes(targets):
    """The seed gives each officer and supervisor more notes than the bell's page shows, so
    every size times the page with its 100 notes (the first size timed it empty: no note
    before the first sweep), and the page's marker is a note, not its heading."""
    from bench.seed import NOTES_PER_MEMBER
    from services.models import Notification

    officer = targets["officer"]
    assert Notification.objects.filter(recipient=officer).count() == NOTES_PER_MEMBER > 100
    assert Notification.objects.filter(recipient=targets["supervisor"]).count() > 100
    url, user, marker = targets["pages"]["notifications"]
    client = Client()
    client.force_login(user)
    html = client.get(url).content.decode()
    assert html.count(marker) == 100
    assert "Belum ada notifikasi" not in html
    Notification.objects.filter(recipient=officer).delete()
    assert marker not in client.get(url).content.decode()  # an empty page is not the page


# --- the floor's variants ---
def test_each_floor_variant_changes_only_its_setting():
    from bench import floor

    names = floor.variants(settings.MIDDLEWARE)
    assert names[0] == floor.BASELINE and floor.overrides(floor.BASELINE, settings) == {}
    removed = [n for n in names if n.startswith("without ")]
    assert len(removed) == len(settings.MIDDLEWARE) - len(floor.ESSENTIAL)
    for name in removed:
        middleware = floor.overrides(name, settings)["MIDDLEWARE"]
        assert set(settings.MIDDLEWARE) - set(middleware) == {name.removeprefix("without ")}
    session = floor.overrides("SESSION_ENGINE cached_db, file cache", settings)
    assert session["SESSION_ENGINE"].endswith("cached_db")
    assert "FileBasedCache" in session["CACHES"]["default"]["BACKEND"]
    with pytest.raises(ValueError):
        floor.overrides("without django.contrib.sessions.middleware.SessionMiddleware", settings)


def test_the_uncached_variant_of_production_templates_is_uncached():
    from bench import floor

    production = [
        {**settings.TEMPLATES[0], "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"], "loaders": [
            ("django.template.loaders.cached.Loader",
             ["django.template.loaders.filesystem.Loader",
              "django.template.loaders.app_directories.Loader"])]}},
        settings.TEMPLATES[1],  # the Jinja2 engine: no loaders option
    ]  # fmt: skip
    with override_settings(TEMPLATES=production):
        assert measure.cached_template_loader()
        uncached = floor.overrides("uncached template loader", settings)
    with override_settings(**uncached):
        assert not measure.cached_template_loader()
