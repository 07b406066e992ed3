"""A real django-q2 cluster (ORM broker) runs the scheduled SLA sweep on the test database."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule

from services.models import Application, SlaBreach
from tests.factories import ApplicationFactory

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
