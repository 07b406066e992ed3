"""The first run, as the README tells a newcomer: `make run` on an empty database.

`make run` migrates, runs ``seed_demo --if-empty`` and starts ``scripts/run.sh``; CI runs the
real `make run` on a bare machine through ``scripts/check_run.py`` (.ci/run). Here: the seeding
step's decision, a real login as the demo officer, and the start/Ctrl-C of the web server and
the job cluster together.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from kelurahan.management.commands.seed_demo import DEMO_PASSWORD
from kelurahan.models import Office
from tests.factories import OfficeFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_seed_demo_if_empty_loads_the_demo_and_the_demo_officer_can_log_in(client, settings):
    settings.DEBUG = True
    call_command("seed_demo", "--if-empty")

    assert Office.objects.filter(code="BKS").exists()
    response = client.post(
        reverse("login"), {"username": "petugas", "password": DEMO_PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.wsgi_request.user.username == "petugas"
    queue = client.get(reverse("services:queue"))
    assert queue.status_code == 200
    assert "Antrean permohonan" in queue.content.decode()


@pytest.mark.django_db
def test_seed_demo_if_empty_leaves_a_database_with_an_office_alone(settings):
    settings.DEBUG = True
    OfficeFactory(code="KBR", name="Kober")

    call_command("seed_demo", "--if-empty")

    assert list(Office.objects.values_list("code", flat=True)) == ["KBR"]
    assert not get_user_model().objects.filter(username="petugas").exists()


def _check_run():
    spec = importlib.util.spec_from_file_location("check_run", ROOT / "scripts" / "check_run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_run_script_serves_the_demo_and_one_ctrl_c_stops_web_and_cluster(tmp_path):
    """scripts/run.sh (the last step of `make run`) against a fresh database: the demo officer
    logs in over HTTP, then one Ctrl-C in the terminal leaves no process behind (≤ 10 s)."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'first-run.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_DEBUG": "1",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    full_env = {**os.environ, **env}
    for step in (["migrate", "--no-input", "-v0"], ["seed_demo", "--if-empty"]):
        subprocess.run(
            [sys.executable, "manage.py", *step], cwd=ROOT, env=full_env, check=True, timeout=300
        )

    seconds = _check_run().check(["scripts/run.sh"], timeout=120, cwd=str(ROOT), env=env)

    assert seconds <= 10
