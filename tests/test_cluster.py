"""Scale-out across nodes (issue 17 part 2), `make test-cluster`: real processes over HTTP.

Debian's redis-server on a loopback port in a temporary folder, the PostgreSQL of
scripts/with-postgres.sh (DATABASE_URL), two gunicorn nodes (ports of their own; the same
DJANGO_SECRET_KEY, REDIS_URL, DATABASE_URL and MEDIA_ROOT) and two `manage.py qcluster`
processes. One case goes across them: intake with a real photo on node 1 by a logged-in
officer (CSRF token from the form, like a browser), archive and send to the RT, the RT chair
approves on node 2, the officer issues on node 2 (the session, in Redis and the database, is
the same on both nodes), the letter's PDF is rendered by whichever job cluster takes the task
and downloads from both nodes. The SLA sweep, scheduled while both clusters are up, runs once;
two sweeps queued together while another holds the sweep's lock both skip. Then everything is
stopped and no process is left.

Not in the default run (it needs PostgreSQL and a minute or two): `make test-cluster` runs it
with CLUSTER_TEST=1 under scripts/with-postgres.sh.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.cluster_forms import form_with, links

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Layanan-Demo-2026"  # seed_demo's DEMO_PASSWORD
SWEEP_FUNC = "services.tasks.sla_sweep_task"
RENDER_FUNC = "services.tasks.render_letter_task"

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(
        not os.environ.get("CLUSTER_TEST"), reason="make test-cluster (CLUSTER_TEST=1)"
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def deploy_site() -> str:
    """The nginx site of docs/deploy.md, as written there."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    return re.search(r"```nginx\n(.*?)```", text, re.S).group(1)


def nginx_conf(folder: Path, site: str) -> str:
    """A whole nginx.conf around ``site`` whose files all live in ``folder``."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the root-owned media
    temp = "".join(
        f"    {kind}_temp_path {folder}/nginx-{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/nginx-error.log;\nevents {{ worker_connections 64; }}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    access_log {folder}/nginx-access.log;\n"
        f"{temp}{site}}}\n"
    )


def site_in_front_of(port: int, listen: int, static: str, media: str) -> str:
    """docs/deploy.md's site on a loopback port without TLS, in front of node ``port``; the
    paths replaced are the ones the docs name, so a docs change that breaks them fails here."""
    site = deploy_site()
    replacements = {
        "listen 443 ssl;": f"listen 127.0.0.1:{listen};",
        "/srv/kelurahan/staticfiles/": static.rstrip("/") + "/",
        "/srv/kelurahan/media/": media.rstrip("/") + "/",
        "proxy_pass http://127.0.0.1:8000;": f"proxy_pass http://127.0.0.1:{port};",
    }
    for old, new in replacements.items():
        assert old in site, f"docs/deploy.md's nginx site no longer has {old!r}"
        site = site.replace(old, new)
    return "\n".join(line for line in site.splitlines() if "ssl_certificate" not in line)


class Stack:
    """The processes of the cluster test, each in a process group (session) of its own."""

    def __init__(self):
        if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("the cluster test needs PostgreSQL: run it with `make test-cluster`")
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server not found: apt-get install -y redis-server")
        self.dir = Path(tempfile.mkdtemp(prefix="kelurahan-cluster-"))
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.redis_port = free_port()
        self.nodes = {"node1": free_port(), "node2": free_port()}
        self.nginx_port = free_port() if shutil.which("nginx") else None
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "Q_", "PYTEST", "REDIS_", "PRIVATE_MEDIA"))
        }
        self.env = {
            **base,
            "DJANGO_SETTINGS_MODULE": "kelurahan.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "http://127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_LOG_FORMAT": "plain",
            "DJANGO_LOG_LEVEL": "INFO",
            "STATIC_ROOT": str(self.dir / "static"),
            "MEDIA_ROOT": str(self.dir / "media"),  # the folder every node mounts
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "Q_WORKERS": "1",
        }

    # --- processes -------------------------------------------------------------------------
    def start(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        log = self.dir / f"{name}.log"
        self.logs[name] = log
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env or self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs[name] = proc
        return proc

    def manage(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def log(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")

    def up(self):
        self.start(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--dir", str(self.dir), "--save", "", "--appendonly", "no", "--unixsocket", ""],
        )  # fmt: skip
        import redis

        self.redis = redis.Redis(port=self.redis_port)
        wait_for(self._redis_ready, 20, "redis-server")
        static = subprocess.Popen(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
            cwd=ROOT, env=self.env,
        )  # fmt: skip
        self.manage("migrate", "--no-input", "-v0")
        self.manage("seed_demo", "--force")
        assert static.wait(timeout=300) == 0
        for name, port in self.nodes.items():
            env = dict(self.env)
            if name == "node2" and self.nginx_port:
                # node 2 sits behind nginx: private files go out through X-Accel-Redirect.
                env["PRIVATE_MEDIA_ACCEL_PREFIX"] = "/_protected"
            self.start(
                name,
                [sys.executable, "-m", "gunicorn", "kelurahan.wsgi", "-w", "1",
                 "-b", f"127.0.0.1:{port}", "--log-level", "info",
                 # two nodes on one machine: a control socket each (the default is per user)
                 "--control-socket", str(self.dir / f"{name}.ctl")],
                env=env,
            )  # fmt: skip
        if self.nginx_port:
            env = self.env
            site = site_in_front_of(
                self.nodes["node2"], self.nginx_port, env["STATIC_ROOT"], env["MEDIA_ROOT"]
            )
            conf = self.dir / "nginx.conf"
            conf.write_text(nginx_conf(self.dir, site))
            self.start("nginx", ["nginx", "-p", str(self.dir), "-c", str(conf)])
        for name in ("cluster1", "cluster2"):
            self.start(name, [sys.executable, "manage.py", "qcluster"])
        ports = {**self.nodes, **({"nginx": self.nginx_port} if self.nginx_port else {})}
        for name, port in ports.items():
            wait_for(lambda p=port: self._http_up(p), 60, f"{name} on port {port}")
        for name in ("cluster1", "cluster2"):
            wait_for(lambda n=name: "running" in self.log(n).lower(), 60, f"{name} to start")

    def _redis_ready(self) -> bool:
        try:
            return self.redis.ping()
        except Exception:  # noqa: BLE001 - not up yet
            return False

    def _http_up(self, port: int) -> bool:
        import requests

        try:
            return requests.get(f"http://127.0.0.1:{port}/healthz?live=1", timeout=2).ok
        except requests.RequestException:
            return False

    def down(self) -> list[str]:
        """Stop every process (one SIGTERM to its main process, which stops its own workers, as
        scripts/run.sh does; SIGKILL to its group after a grace time); the names of those that
        had to be killed or still had a process in their group afterwards."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        left = []
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                left.append(f"{name} (killed)")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        time.sleep(0.5)  # children of a stopped main process (workers) on their way out
        for name, proc in self.procs.items():
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                continue
            left.append(f"{name} (group still alive)")
            os.killpg(proc.pid, signal.SIGKILL)
        return left

    # --- reading the shared state ----------------------------------------------------------
    def sql(self, query: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def tasks(self, func: str) -> int:
        return self.sql("SELECT count(*) FROM django_q_task WHERE func = %s", [func])[0][0]

    def taken_by(self, func: str) -> dict[str, int]:
        """How many ``func`` tasks each job cluster's log says it took."""
        return {
            name: len(re.findall(rf"processing \S+ '{re.escape(func)}'", self.log(name)))
            for name in ("cluster1", "cluster2")
        }

    def node_direct(self, node: str, path: str, browser: Browser):
        """``path`` from a node itself, past nginx."""
        return browser.get(f"http://127.0.0.1:{self.nodes[node]}{path}")

    def enqueue(self, func: str, times: int = 1):
        code = (
            f"from django_q.tasks import async_task\nfor _ in range({times}): async_task({func!r})"
        )
        self.manage("shell", "-c", code)


class Browser:
    """A logged-in user over HTTP: cookies kept (the production cookies are Secure and the
    test talks plain HTTP to loopback, so they are sent anyway), forms posted with their CSRF
    token and the clicked button, as a browser does."""

    def __init__(self):
        import requests

        self.http = requests.Session()

    def _keep_cookies(self):
        for cookie in self.http.cookies:
            cookie.secure = False

    def get(self, url: str, **kw):
        response = self.http.get(url, timeout=60, **kw)
        self._keep_cookies()
        return response

    def submit(self, url: str, button: str, files=None, **values):
        """Open ``url``, post the form with the button ``button`` (its defaults and
        ``values``); the response, redirects not followed."""
        page = self.get(url)
        assert page.status_code == 200, (url, page.status_code)
        form = form_with(page.text, button)
        target = requests_join(page.url, form.action)
        response = self.http.post(
            target,
            data=form.data(button, **values),
            files=files,
            headers={"Referer": page.url},
            allow_redirects=False,
            timeout=120,
        )
        self._keep_cookies()
        return response

    def log_in(self, base: str, username: str):
        response = self.submit(base + "/masuk/", "Masuk", username=username, password=PASSWORD)
        assert response.status_code == 302 and "/masuk/" not in response.headers["Location"], (
            response.status_code,
            response.text[:500],
        )


def requests_join(page_url: str, action: str) -> str:
    from urllib.parse import urljoin

    return urljoin(page_url, action) if action else page_url


def photo(color) -> bytes:
    """A real camera-sized JPEG."""
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), color).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def stack():
    s = Stack()
    try:
        s.up()
        yield s
    finally:
        left = s.down()
        logs = {n: s.log(n)[-1500:] for n in s.logs}
        shutil.rmtree(s.dir, ignore_errors=True)
        assert not left, f"processes left after the teardown: {left}; logs: {logs}"


def test_a_case_goes_across_two_nodes_and_two_job_clusters(stack):
    node1 = f"http://127.0.0.1:{stack.nodes['node1']}"
    # Node 2 through nginx (docs/deploy.md's site) when nginx is installed.
    node2 = f"http://127.0.0.1:{stack.nginx_port or stack.nodes['node2']}"
    # Both web nodes and both clusters left their signed key marker in Redis (kelurahan.jobkey).
    assert stack.redis.llen("django_q:kelurahan.keycheck.web:q") == 1
    assert stack.redis.llen("django_q:kelurahan.keycheck.cluster:q") == 1

    officer = Browser()
    officer.log_in(node1, "petugas")
    intake = f"{node1}/permohonan/baru/SITU/"
    page = officer.get(intake)
    file_fields = form_with(page.text, "Simpan permohonan").files
    assert len(file_fields) == 3
    response = officer.submit(
        intake,
        "Simpan permohonan",
        files=[
            (name, (f"foto-{i}.jpg", photo((40 * i, 120, 200)), "image/jpeg"))
            for i, name in enumerate(file_fields)
        ],  # fmt: skip
        applicant_name="Siti Rahmawati",
        nik="3271014501900002",
        phone="0812 3456 7890",
        address="Jl. Mawar No. 3",
        rt="text:RT 001/RW 001",
        data_nama_usaha="Warung Siti",
        data_jenis_usaha="Warung makan",
        data_alamat_usaha="Jl. Mawar No. 3",
    )
    assert response.status_code == 302, response.text[:2000]
    code = re.search(r"/permohonan/([^/]+)/tanda-terima/", response.headers["Location"]).group(1)
    case1, case2 = f"{node1}/permohonan/{code}/", f"{node2}/permohonan/{code}/"

    # The photo, stored by node 1, is served by node 2 from the shared MEDIA_ROOT.
    files = links(officer.get(case1).text, rf"^/permohonan/{code}/berkas/[0-9a-f-]+/$")
    assert len(files) == 3
    served = officer.get(node2 + files[0])  # the officer's session works on node 2 too
    assert served.status_code == 200 and served.content[:3] == b"\xff\xd8\xff"
    if stack.nginx_port:
        # nginx sent the file (node 2 answered with an empty body and X-Accel-Redirect): the
        # internal location's headers are on it, and the location is not reachable directly.
        print(f"through nginx: {dict(served.headers)}")  # noqa: T201 (-s)
        # The app's Cache-Control, once (the site adds no second one).
        assert served.headers["Cache-Control"].count("no-store") == 1
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in served.headers["Content-Security-Policy"]
        direct = stack.node_direct("node2", files[0], officer)
        assert direct.headers["X-Accel-Redirect"].startswith("/_protected/")
        assert direct.content == b""
        stored = direct.headers["X-Accel-Redirect"]
        assert officer.get(node2 + stored).status_code == 404  # `internal`

    assert officer.submit(case1, "Terima semua").status_code == 302
    assert officer.submit(case1, "Arsipkan & kirim ke Ketua RT").status_code == 302

    chair = Browser()
    chair.log_in(node2, "ketua_rt01")
    asked = links(chair.get(f"{node2}/rt/").text, r"^/rt/permintaan/[0-9a-f-]+/$")
    ours = [u for u in dict.fromkeys(asked) if code in chair.get(node2 + u).text]
    assert len(ours) == 1, asked  # the demo's own requests are there too
    approved = chair.submit(node2 + ours[0], "Setujui")
    assert approved.status_code == 302, approved.text[:1000]

    renders_before = stack.tasks(RENDER_FUNC)
    issued = officer.submit(case2, "Terbitkan surat")
    assert issued.status_code == 302, issued.text[:1000]
    # Rendered by a job cluster (not by the web request): the page links the PDF once made.
    wait_for(lambda: stack.tasks(RENDER_FUNC) > renders_before, 120, "the letter's render task")
    pdf_link = rf"^/permohonan/{code}/surat/[^/]+\.pdf$"
    letter = wait_for(lambda: links(officer.get(case2).text, pdf_link), 60, "the letter's link")
    assert len(letter) == 1

    def pdf_from(base: str):
        got = officer.get(base + letter[0])
        is_pdf = got.status_code == 200 and got.content[:5] == b"%PDF-"
        return got if is_pdf else None

    first = wait_for(lambda: pdf_from(node1), 60, "the letter's PDF on node 1")
    second = pdf_from(node2)
    assert second is not None and second.content == first.content
    if stack.nginx_port:
        assert "X-Accel-Redirect" in stack.node_direct("node2", letter[0], officer).headers
    # Which cluster took it: the newest render task's name in the cluster's own log.
    name = stack.sql(
        "SELECT name FROM django_q_task WHERE func = %s ORDER BY started DESC LIMIT 1",
        [RENDER_FUNC],
    )[0][0]
    taken = [n for n in ("cluster1", "cluster2") if f"processing {name} " in stack.log(n)]
    assert len(taken) == 1, (name, taken)
    print(f"the letter's render task {name} was taken by {taken[0]}")  # noqa: T201 (-s)


def test_the_sweep_runs_once_though_two_clusters_are_up(stack):
    from services.sla.sweep import SWEEP_LOCK_KEY

    # An overdue case for the sweep to find.
    officer = Browser()
    node1 = f"http://127.0.0.1:{stack.nodes['node1']}"
    officer.log_in(node1, "petugas")
    intake = f"{node1}/permohonan/baru/KTP/"
    response = officer.submit(
        intake,
        "Simpan permohonan",
        applicant_name="Budi Hartono",
        nik="3271010101800003",
        phone="0813 1111 2222",
        address="Jl. Melati No. 5",
        rt="text:RT 002/RW 001",
    )
    assert response.status_code == 302, response.text[:2000]
    code = re.search(r"/permohonan/([^/]+)/tanda-terima/", response.headers["Location"]).group(1)
    stack.sql(
        "UPDATE services_application SET archive_due = now() - interval '1 minute' WHERE code = %s",
        [code],
    )
    breaches = (
        "SELECT count(*) FROM services_slabreach b JOIN services_application a "
        "ON a.id = b.application_id WHERE a.code = %s"
    )

    # 1. Another sweep holds the lock (this test's own connection, in a transaction): two
    # sweeps queued together, taken by the clusters, both return at once and say so.
    import psycopg

    skipped_before = sum(stack.log(n).count("sla sweep: skipped") for n in ("cluster1", "cluster2"))
    sweeps_before = stack.tasks(SWEEP_FUNC)
    with psycopg.connect(os.environ["DATABASE_URL"]) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])
        stack.enqueue(SWEEP_FUNC, times=2)
        wait_for(lambda: stack.tasks(SWEEP_FUNC) >= sweeps_before + 2, 60, "two sweep tasks")
        skipped = sum(stack.log(n).count("sla sweep: skipped") for n in ("cluster1", "cluster2"))
        assert skipped == skipped_before + 2
        assert stack.sql(breaches, [code])[0][0] == 0
        holder.rollback()
    print(f"sweep tasks taken by: {stack.taken_by(SWEEP_FUNC)}")  # noqa: T201

    # 2. The schedule comes due while both clusters' schedulers are up: one sweep task, which
    # records the breach once.
    sweeps_before = stack.tasks(SWEEP_FUNC)
    ran_before = sum(
        len(re.findall(r"sla sweep: \d+ breaches", stack.log(n))) for n in ("cluster1", "cluster2")
    )
    stack.sql(
        "UPDATE django_q_schedule SET next_run = now() - interval '1 second' WHERE name = %s",
        ["sla_sweep"],
    )
    wait_for(lambda: stack.tasks(SWEEP_FUNC) > sweeps_before, 90, "the scheduled sweep")
    # Both schedulers tick every 30 s: give the other one its turn before counting.
    time.sleep(35)
    assert stack.tasks(SWEEP_FUNC) == sweeps_before + 1
    ran = sum(
        len(re.findall(r"sla sweep: \d+ breaches", stack.log(n))) for n in ("cluster1", "cluster2")
    )
    assert ran == ran_before + 1
    assert stack.sql(breaches, [code])[0][0] == 1
