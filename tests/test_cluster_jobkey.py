"""SECURITY.md J61 on the Redis broker (REDIS_URL, issue 17 part 2): the web process and the
job cluster refuse to run with different DJANGO_SECRET_KEYs just as on the ORM broker
(tests/test_jobkey.py), against a real redis-server started for this module on a loopback
port in a temporary folder (skipped when Debian's redis-server is not installed)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.test_job_cluster import database_url

ROOT = Path(__file__).resolve().parent.parent
ANOTHER_KEY = "another-key-" + "r" * 50
START_AS = (
    "import django; django.setup(); from kelurahan.jobkey import check_on_start; "
    "check_on_start({side!r})"
)

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server not installed"
)


@pytest.fixture(scope="module")
def redis_url():
    import redis

    folder = tempfile.mkdtemp(prefix="kelurahan-redis-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", folder,
         "--save", "", "--appendonly", "no", "--unixsocket", ""],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    client = redis.Redis(port=port)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0", client
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


def run(redis_url: str, args: list[str], key: str | None = None):
    env = {k: v for k, v in os.environ.items() if k not in {"Q_SYNC", "DJANGO_DEBUG"}}
    env.update(
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="kelurahan.settings",
        REDIS_URL=redis_url,
    )
    if key is not None:
        env["DJANGO_SECRET_KEY"] = key
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        err += "\n[still running after 60 s: killed]"
    return subprocess.CompletedProcess(args, process.returncode, out, err)


MARKERS = ("django_q:kelurahan.keycheck.web:q", "django_q:kelurahan.keycheck.cluster:q")


@pytest.mark.django_db
def test_j61_on_redis_a_cluster_with_another_key_refuses_and_so_does_the_web(redis_url):
    url, client = redis_url
    client.flushdb()
    assert run(url, ["-c", START_AS.format(side="web")]).returncode == 0
    assert client.llen(MARKERS[0]) == 1  # the marker is in Redis, not in the ORM queue

    cluster = run(url, ["manage.py", "qcluster"], key=ANOTHER_KEY)
    assert cluster.returncode != 0
    assert "different keys" in cluster.stderr and "qcluster" in cluster.stderr
    assert "Q Cluster" not in cluster.stderr + cluster.stdout

    web = run(url, ["-c", "import kelurahan.wsgi"])
    assert web.returncode != 0
    assert "Refusing to start the web process" in web.stderr
    assert run(url, ["-c", "import kelurahan.wsgi"], key=ANOTHER_KEY).returncode == 0


@pytest.mark.django_db
def test_j61_on_redis_same_keys_start_markers_stay_one_each_and_reset(redis_url):
    url, client = redis_url
    client.flushdb()
    assert run(url, ["-c", START_AS.format(side="cluster")]).returncode == 0
    # Two web nodes starting at the same moment: still one marker (one MULTI/EXEC each).
    webs = [
        subprocess.Popen(
            [sys.executable, "-c", "import kelurahan.wsgi"],
            cwd=ROOT,
            env={
                **{k: v for k, v in os.environ.items() if k not in {"Q_SYNC", "DJANGO_DEBUG"}},
                "DATABASE_URL": database_url(),
                "DJANGO_SETTINGS_MODULE": "kelurahan.settings",
                "REDIS_URL": url,
            },
        )
        for _ in range(2)
    ]
    assert [w.wait(timeout=60) for w in webs] == [0, 0]
    assert [client.llen(m) for m in MARKERS] == [1, 1]

    shown = run(url, ["manage.py", "jobkey"])
    assert shown.returncode == 0, shown.stderr
    assert "web: same key" in shown.stdout and "cluster: same key" in shown.stdout
    # Read in place: the markers are still there, one each.
    assert [client.llen(m) for m in MARKERS] == [1, 1]

    assert run(url, ["-c", START_AS.format(side="cluster")], key=ANOTHER_KEY).returncode != 0
    assert run(url, ["manage.py", "jobkey"]).returncode != 0
    assert run(url, ["manage.py", "jobkey", "--reset"]).returncode == 0
    assert [client.llen(m) for m in MARKERS] == [0, 0]


SHOW_SCALE_OUT = """
import django; django.setup()
from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core.cache import cache
cache.set("scale-out-probe", "ok", 60)
print(settings.Q_CLUSTER.get("redis"), "orm" in settings.Q_CLUSTER, settings.SESSION_ENGINE)
print(settings.CACHES["default"]["BACKEND"], cache.get("scale-out-probe"))
"""


@pytest.mark.django_db
def test_redis_url_puts_broker_cache_and_sessions_on_redis(redis_url):
    url, client = redis_url
    client.flushdb()
    shown = run(url, ["-c", SHOW_SCALE_OUT])
    assert shown.returncode == 0, shown.stderr
    broker_line, cache_line = shown.stdout.split("\n")[:2]
    assert broker_line == f"{url} False django.contrib.sessions.backends.cached_db"
    assert cache_line == "django.core.cache.backends.redis.RedisCache ok"
    assert client.exists(":1:scale-out-probe")  # in this redis-server, not a per-process cache
