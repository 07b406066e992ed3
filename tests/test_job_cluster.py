"""A real django-q2 cluster (ORM broker) on the test database: the scheduled SLA sweep, and the
reconciliation job making a letter whose render a cluster with another key refused."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import TestCase
from django.utils import timezone
from django_q.models import Schedule

from services.letters.render import render_bundle
from services.models import Application, ApplicationState, DocumentRender, SlaBreach
from services.selectors import current_letter
from tests.factories import ApplicationFactory, case_in

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_running_cluster_sweeps_on_schedule_and_records_the_breach(officer, supervisor, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1)
    past = timezone.now() - timedelta(hours=1)
    Application.objects.filter(pk=application.pk).update(archive_due=past)
    Schedule.objects.update_or_create(
        name="sla_sweep",
        defaults={
            "func": "services.tasks.sla_sweep_task",
            "schedule_type": Schedule.MINUTES,
            "minutes": 5,
            "repeats": -1,
            "next_run": timezone.now() - timedelta(seconds=1),
        },
    )
    env = {k: v for k, v in os.environ.items() if k not in {"Q_SYNC", "DJANGO_DEBUG"}}
    env["DATABASE_URL"] = database_url()
    env["Q_WORKERS"] = "1"
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120  # the scheduler wakes about every 30 s
        while time.monotonic() < deadline and cluster.poll() is None:
            if SlaBreach.objects.filter(application=application, milestone="archive").exists():
                break
            time.sleep(1)
        assert SlaBreach.objects.filter(application=application, milestone="archive").exists()
        assert Schedule.objects.get(name="sla_sweep").next_run > timezone.now()
    finally:
        cluster.send_signal(signal.SIGTERM)
        try:
            output, _ = cluster.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            cluster.kill()
            output, _ = cluster.communicate()
    assert "has stopped" in output, output[-2000:]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_j61_a_render_the_cluster_refused_is_requeued_by_the_reconciliation_and_made(
    officer, rt1, settings
):
    """Issue 15 point 3 as it happened: the web process signs a render with one key, a cluster
    running with another drops it; the reconciliation job, run by that cluster, queues it
    again (signed with the cluster's own key) and the letter gets its PDF."""
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    with TestCase.captureOnCommitCallbacks(execute=True):
        case = case_in(ApplicationState.ISSUED, officer=officer, rt=rt1, jobs=True)
    letter = current_letter(case)
    assert not letter.is_rendered
    # The bundle's render was queued earlier in the steps and dropped by case_in: make it, so
    # the letter is the one document this test watches.
    render_bundle(case.pk)
    Schedule.objects.filter(name="reconcile_renders").update(
        next_run=timezone.now() - timedelta(seconds=1)
    )
    env = {k: v for k, v in os.environ.items() if k not in {"Q_SYNC", "DJANGO_DEBUG"}}
    env.update(
        DATABASE_URL=database_url(),
        Q_WORKERS="1",
        DJANGO_SECRET_KEY="the-cluster-has-another-key-" + "z" * 40,
        RENDER_RETRY_MINUTES="0",
    )
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and cluster.poll() is None:
            letter.refresh_from_db()
            if letter.is_rendered:
                break
            time.sleep(1)
        letter.refresh_from_db()
        assert letter.is_rendered
        assert case.events.filter(transition="render_requeue").count() == 1
        assert DocumentRender.objects.get(letter=letter).done_at is not None
    finally:
        cluster.send_signal(signal.SIGTERM)
        try:
            output, _ = cluster.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            output, _ = cluster.communicate()
    # The refused task left exactly this trace in the cluster's log, and nothing else did.
    assert "Failed to push task to queue" in output, output[-3000:]
