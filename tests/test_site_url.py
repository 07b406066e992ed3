"""SITE_URL in production (SECURITY.md J66): no start without it, and only an http(s) address.

Letters print SITE_URL into their QR codes and an issued PDF never changes, so a production
process that starts with the development default would print a dead link for good.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kelurahan.checks import site_url_problems

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-value-0123456789",
    "DJANGO_ALLOWED_HOSTS": "layanan.kelurahan.example",
}


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.pop("SITE_URL", None)
    return subprocess.run(
        args, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def test_j66_check_deploy_fails_in_production_without_site_url():
    result = run([sys.executable, "manage.py", "check", "--deploy"], **PRODUCTION)
    assert result.returncode != 0
    assert "kelurahan.E002" in result.stderr
    assert "SITE_URL" in result.stderr


def test_j66_check_deploy_passes_with_an_https_site_url():
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **PRODUCTION,
        SITE_URL="https://layanan.kelurahan.example",
    )
    assert result.returncode == 0, result.stderr


def test_j66_gunicorns_wsgi_entry_point_refuses_to_load_without_site_url():
    # gunicorn imports kelurahan.wsgi in each worker and runs no system checks; a worker that
    # cannot import its application fails to boot and gunicorn exits.
    code = "import kelurahan.wsgi"
    result = run([sys.executable, "-c", code], **PRODUCTION)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "kelurahan.E002" in result.stderr
    ok = run([sys.executable, "-c", code], **PRODUCTION, SITE_URL="https://x.example")
    assert ok.returncode == 0, ok.stderr


def test_j66_the_job_cluster_refuses_to_start_without_site_url():
    # qcluster runs the system checks before it starts any worker.
    result = run([sys.executable, "manage.py", "qcluster"], **PRODUCTION)
    assert result.returncode != 0
    assert "kelurahan.E002" in result.stderr


def test_j66_development_keeps_its_local_default():
    result = run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from django.conf import settings; print(settings.SITE_URL)",
        ],
        DJANGO_SETTINGS_MODULE="kelurahan.settings",
    )
    assert result.stdout.strip() == "http://127.0.0.1:8000", result.stderr


@pytest.mark.parametrize(
    "value",
    [
        "layanan.kelurahan.example",  # no scheme
        "ftp://layanan.kelurahan.example",
        "javascript:alert(1)",
        "https://",
        "https://layanan.kelurahan.example/?a=1",
        "https://user:pw@layanan.kelurahan.example",
        "https://layanan kelurahan.example",
    ],
)
def test_j66_site_url_must_be_an_absolute_http_or_https_address(value):
    for debug in (True, False):
        problems = site_url_problems(debug=debug, site_url=value)
        assert [p.id for p in problems] == ["kelurahan.E003"], (value, debug)


def test_j66_accepted_addresses_and_the_http_warning_in_production():
    assert site_url_problems(debug=False, site_url="https://layanan.example") == []
    assert site_url_problems(debug=False, site_url="https://kota.example/kelurahan") == []
    assert site_url_problems(debug=True, site_url="http://127.0.0.1:8000") == []
    assert [p.id for p in site_url_problems(debug=False, site_url="http://x.example")] == [
        "kelurahan.W004"
    ]
