"""SECURITY.md J61: web and job cluster refuse to run with different DJANGO_SECRET_KEYs.

Real processes on the test database: each side signs its marker with its own key into the
broker (the ORM broker's queue table) and verifies the other side's (kelurahan.jobkey).
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django_q.models import OrmQ

from kelurahan.jobkey import KeyMismatch, check_on_start, queue_name
from tests.test_job_cluster import database_url

ROOT = Path(__file__).resolve().parent.parent
ANOTHER_KEY = "another-key-" + "y" * 50
START_AS_CLUSTER = (
    "import django; django.setup(); from kelurahan.jobkey import check_on_start; "
    "check_on_start('cluster')"
)


def run(args: list[str], key: str | None = None) -> subprocess.CompletedProcess:
    """A process of the portal on the test database, with ``key`` (None: the test run's)."""
    env = {k: v for k, v in os.environ.items() if k not in {"Q_SYNC", "DJANGO_DEBUG", "Q_WORKERS"}}
    env.update(DATABASE_URL=database_url(), DJANGO_SETTINGS_MODULE="kelurahan.settings")
    if key is not None:
        env["DJANGO_SECRET_KEY"] = key
    # A process group of its own: a cluster that wrongly starts is stopped with its workers.
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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_j61_the_cluster_refuses_to_start_when_the_web_signs_with_another_key():
    check_on_start("web")  # this process is the web side
    assert OrmQ.objects.filter(key=queue_name("web")).count() == 1

    cluster = run(["manage.py", "qcluster"], key=ANOTHER_KEY)
    assert cluster.returncode != 0
    assert "different keys" in cluster.stderr and "qcluster" in cluster.stderr
    assert "Q Cluster" not in cluster.stderr + cluster.stdout  # no cluster ever started

    # The refused cluster left its marker: the web process now refuses too, until the keys
    # agree (or an operator resets the markers after a deliberate change).
    with pytest.raises(KeyMismatch):
        check_on_start("web")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_j61_the_web_refuses_to_start_when_the_cluster_signs_with_another_key():
    assert run(["-c", START_AS_CLUSTER], key=ANOTHER_KEY).returncode == 0

    web = run(["-c", "import kelurahan.wsgi"])
    assert web.returncode != 0
    assert "Refusing to start the web process" in web.stderr

    # With the cluster's own key the web process starts.
    assert run(["-c", "import kelurahan.wsgi"], key=ANOTHER_KEY).returncode == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_j61_same_keys_start_and_the_markers_can_be_shown_and_reset():
    assert run(["-c", START_AS_CLUSTER]).returncode == 0
    assert run(["-c", "import kelurahan.wsgi"]).returncode == 0
    shown = run(["manage.py", "jobkey"])
    assert shown.returncode == 0, shown.stderr
    assert "web: same key" in shown.stdout and "cluster: same key" in shown.stdout
    # Markers are read without being used up: the check still finds them afterwards.
    assert OrmQ.objects.filter(key__in=[queue_name("web"), queue_name("cluster")]).count() == 2

    assert run(["-c", START_AS_CLUSTER], key=ANOTHER_KEY).returncode != 0
    assert run(["manage.py", "jobkey"]).returncode != 0
    assert run(["manage.py", "jobkey", "--reset"]).returncode == 0
    assert not OrmQ.objects.filter(key__startswith=queue_name("")).exists()
