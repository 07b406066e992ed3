"""Production settings, headers, the database configuration and the system checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from kelurahan import checks

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k" * 20 + "-a-long-random-production-secret-value-0123456789",
        DJANGO_ALLOWED_HOSTS="layanan.kelurahan.example",
        SITE_URL="https://layanan.kelurahan.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_weasyprint_check_names_the_debian_packages_to_install(monkeypatch):
    def fake_cdll(name):
        if "pango" in name:
            raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(checks.ctypes, "CDLL", fake_cdll)
    errors = checks.weasyprint_libraries(None)
    assert len(errors) == 1
    assert errors[0].id == "kelurahan.E001"
    assert "apt-get install -y libpango-1.0-0 libpangoft2-1.0-0" in errors[0].hint


def test_weasyprint_check_is_quiet_when_the_libraries_are_there():
    assert checks.weasyprint_libraries(None) == []


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_immediate_transactions():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    # The in-memory test database cannot use WAL; a file database does.
    assert mode in {"wal", "memory"}


def test_file_database_is_in_wal_mode(tmp_path):
    code = (
        "import django; django.setup();"
        "from django.db import connection;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kelurahan.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "wal", result.stderr


@pytest.mark.django_db
def test_pages_carry_security_headers_and_a_nonce_csp(client):
    response = client.get(reverse("login"))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    # Inline scripts run only with the per-request nonce (added when a template uses it).
    assert "unsafe-inline" not in csp


def test_time_zone_and_language_are_indonesian(settings):
    assert settings.TIME_ZONE == "Asia/Jakarta"
    assert settings.LANGUAGE_CODE == "id"


def test_collectstatic_works_with_production_settings(tmp_path):
    result = run_manage(
        "collectstatic",
        "--no-input",
        "-v0",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k" * 20 + "-a-long-random-production-secret-value-0123456789",
        STATIC_ROOT=str(tmp_path),
        SITE_URL="https://layanan.kelurahan.example",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("letters/letter.*.css"))


def test_the_kelurahan_app_config_runs_so_its_checks_are_registered():
    """apps.py holds two AppConfigs; Django must still pick KelurahanConfig (and its ready)."""
    from django.apps import apps
    from django.core.checks import registry

    from kelurahan.apps import KelurahanConfig

    assert type(apps.get_app_config("kelurahan")) is KelurahanConfig
    assert checks.weasyprint_libraries in registry.registry.registered_checks
