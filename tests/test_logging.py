"""Log lines (SECURITY.md G42, G44; issue 15 point 10): JSON in UTC with a request id and a user
id, and no NIK/KK number or phone number in any of them — Django's, runserver's, gunicorn's."""

import io
import json
import logging
import re
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIRequestHandler
from django.urls import reverse
from gunicorn.config import Config

from kelurahan.logs import (
    GunicornLogger,
    RequestContextFilter,
    ScrubPersonalDataFilter,
    UtcJsonFormatter,
    scrub,
)
from tests.conftest import PASSWORD
from tests.factories import NIK

SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


@pytest.fixture
def log_lines():
    """What the configured console handler prints, through its own formatter and filters."""
    configured = logging.getLogger().handlers[0]
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(configured.formatter)
    for f in configured.filters:
        handler.addFilter(f)
    loggers = [logging.getLogger(), logging.getLogger("django.server")]
    for logger in loggers:
        logger.addHandler(handler)
    levels = [(logger, logger.level) for logger in loggers]
    logging.getLogger().setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    lines.raw = buffer.getvalue
    yield lines
    for logger in loggers:
        logger.removeHandler(handler)
    for logger, level in levels:
        logger.setLevel(level)


def test_the_console_handler_writes_json_through_the_masking_filters():
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler.formatter, UtcJsonFormatter)
    kinds = {type(f) for f in handler.filters}
    assert {RequestContextFilter, ScrubPersonalDataFilter} <= kinds
    # runserver's request lines go through the same handler, not Django's default one.
    server = logging.getLogger("django.server")
    own = [h for h in server.handlers if not type(h).__module__.startswith("_pytest")]
    assert own == [handler] and not server.propagate


def test_g44_a_line_is_json_with_a_utc_timestamp(log_lines):
    logging.getLogger("kelurahan.test").warning("sesuatu terjadi")
    (line,) = log_lines()
    assert line["level"] == "WARNING" and line["logger"] == "kelurahan.test"
    assert line["message"] == "sesuatu terjadi"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert line["request_id"] == "-" and line["user_id"] is None


def test_scrub_masks_nik_kk_and_phone_numbers_in_every_shape():
    text = f"nik={NIK}&kk=3171012345678901 hp 081234567890 / +62 812-3456-7890 / 6281234567890"
    masked = scrub(text)
    assert not SIXTEEN_DIGITS.search(masked)
    assert "0812" not in masked and "812-3456" not in masked and "62812" not in masked
    # Case codes, years and ids are left alone.
    assert scrub("KTP-2026-000123 status 404 id 42") == "KTP-2026-000123 status 404 id 42"


@pytest.mark.django_db
def test_g42_a_nik_in_a_404_address_is_masked_in_django_request_log(client, officer, log_lines):
    client.force_login(officer)
    response = client.get(f"/permohonan/{NIK}/")
    assert response.status_code == 404
    raw = log_lines.raw()
    assert "Not Found" in raw
    assert NIK not in raw and not SIXTEEN_DIGITS.search(raw)


@pytest.mark.django_db
def test_g42_the_request_id_and_user_id_of_a_request_are_on_its_lines(client, officer, log_lines):
    client.force_login(officer)
    response = client.get("/permohonan/TIDAK-ADA/")
    (line,) = [ln for ln in log_lines() if ln["logger"] == "django.request"]
    assert line["request_id"] == response["X-Request-ID"]
    assert len(response["X-Request-ID"]) == 32
    assert line["user_id"] == officer.pk


@pytest.mark.django_db
def test_a_proxy_request_id_is_kept_and_a_forged_one_replaced(client):
    kept = client.get(reverse("health"), HTTP_X_REQUEST_ID="a1b2c3d4e5f60718")
    assert kept["X-Request-ID"] == "a1b2c3d4e5f60718"
    forged = client.get(reverse("health"), HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b")
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])


def test_g42_runserver_request_line_with_a_nik_in_the_query_is_masked(log_lines):
    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    handler.request = SimpleNamespace()
    handler.client_address = ("127.0.0.1", 5000)
    handler.log_message('"%s" %s %s', f"GET /permohonan/?q={NIK} HTTP/1.1", "200", "512")
    raw = log_lines.raw()
    assert "GET /permohonan/?q=[NIK] HTTP/1.1" in raw
    assert not SIXTEEN_DIGITS.search(raw)


def test_g42_gunicorn_access_line_with_a_nik_in_the_query_is_masked(tmp_path):
    access = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(access))
    logger = GunicornLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/permohonan/?q={NIK}",
        "PATH_INFO": "/permohonan/",
        "QUERY_STRING": f"q={NIK}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.9",
        "HTTP_REFERER": f"https://portal/permohonan/?q={NIK}&hp=081234567890",
    }
    resp = SimpleNamespace(status="200 OK", sent=100, headers=[])
    req = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    logger.access(resp, req, environ, timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = access.read_text()
    assert "GET /permohonan/?q=[NIK]" in line
    assert NIK not in line and "081234567890" not in line


def test_gunicorn_conf_in_the_project_folder_names_the_masking_logger():
    # gunicorn reads ./gunicorn.conf.py (its default config file) when started in the project.
    namespace = runpy.run_path(str(Path(settings.BASE_DIR) / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("logger_class", namespace["logger_class"])
    assert cfg.logger_class is GunicornLogger


@pytest.mark.django_db
def test_g44_login_failure_and_lockout_are_logged_with_the_username(client, officer, log_lines):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": "petugas", "password": "salah"},
            REMOTE_ADDR="10.0.0.5",
        )
    events = [ln for ln in log_lines() if ln["logger"] == "kelurahan.security"]
    failed = [ln for ln in events if ln.get("event") == "login_failed"]
    assert len(failed) == settings.AXES_FAILURE_LIMIT
    assert {ln["username"] for ln in failed} == {"petugas"}
    (lockout,) = [ln for ln in events if ln.get("event") == "lockout"]
    assert lockout["username"] == "petugas" and lockout["ip"] == "10.0.0.5"
    assert all(ln["time"].endswith("Z") for ln in events)
    assert "salah" not in log_lines.raw()  # never the password


@pytest.mark.django_db
def test_g44_a_successful_login_is_logged_by_user_id(client, officer, log_lines):
    client.post(reverse("login"), {"username": "petugas", "password": PASSWORD})
    (line,) = [ln for ln in log_lines() if ln.get("event") == "login"]
    assert line["login_user_id"] == officer.pk


@pytest.mark.django_db
def test_g44_cr_lf_in_a_username_cannot_forge_a_log_line(client, log_lines):
    forged = 'x\n{"level": "INFO", "logger": "kelurahan.security", "event": "login"}'
    client.post(reverse("login"), {"username": forged, "password": "salah"})
    lines = log_lines.raw().splitlines()
    assert all(json.loads(line) for line in lines)  # every line is one whole record
    parsed = [json.loads(line) for line in lines]
    assert not [ln for ln in parsed if ln.get("event") == "login"]
    (failed,) = [ln for ln in parsed if ln.get("event") == "login_failed"]
    assert failed["username"] == forged


def test_a_nik_in_an_exception_message_is_masked_in_the_traceback(log_lines):
    try:
        raise ValueError(f"NIK {NIK} tidak valid")
    except ValueError:
        logging.getLogger("kelurahan.test").exception("gagal")
    (line,) = log_lines()
    assert "ValueError" in line["exc_info"] and NIK not in line["exc_info"]
