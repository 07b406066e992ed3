"""Sending the resident's messages automatically: the gateway backends (the HTTP one against a
real server on 127.0.0.1), the claim that keeps two workers from sending one message twice,
retries with backoff, failure and the officer's click-to-chat fallback, and email."""

from __future__ import annotations

import json
import logging
import smtplib
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from services import jobs, workflow
from services.models import ApplicationEvent, ApplicationState, ResidentMessage
from services.notifications import gateway, sending
from services.notifications.gateway import (
    HttpGatewayBackend,
    PermanentSendError,
    TransientSendError,
)
from services.notifications.residents import wa_me_link
from services.notifications.sending import (
    LEASE,
    send_due_resident_messages,
    send_resident_message,
)
from tests.factories import NIK, ApplicationFactory, case_in

S = ApplicationState
TOKEN = "rahasia-token-gateway-123"  # noqa: S105
HTTP = "services.notifications.gateway.HttpGatewayBackend"
LOCMEM = "services.notifications.gateway.LocmemBackend"


# --- a small gateway the tests start on 127.0.0.1 ---------------------------------------------
class Gateway:
    """A ThreadingHTTPServer on an ephemeral port answering from a script of statuses."""

    def __init__(self, statuses, delay=0.0):
        self.statuses = list(statuses)
        self.delay = delay
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
                )
                if gateway.delay:
                    time.sleep(gateway.delay)
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                if status in (301, 302):
                    self.send_response(status)
                    self.send_header("Location", "/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = (
                    {"id": f"wamid.{len(gateway.requests)}"}
                    if status < 300
                    else {"error": f"nomor 6281234567890 ditolak, token {TOKEN}"}
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST  # noqa: N815 - a followed redirect would arrive as a GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_gateway(settings):
    """Start a gateway answering ``statuses`` in turn and point the settings at it."""
    servers = []

    def start(*statuses, delay=0.0, timeout=5):
        server = Gateway(statuses, delay=delay).__enter__()
        servers.append(server)
        settings.RESIDENT_MESSAGE_BACKEND = HTTP
        settings.RESIDENT_GATEWAY_URL = server.url
        settings.RESIDENT_GATEWAY_TOKEN = TOKEN
        settings.RESIDENT_GATEWAY_TEMPLATE = "status_permohonan"
        settings.RESIDENT_GATEWAY_TIMEOUT = timeout
        return server

    yield start
    for server in servers:
        server.__exit__()


@pytest.fixture
def locmem_gateway(settings):
    settings.RESIDENT_MESSAGE_BACKEND = LOCMEM
    gateway.outbox.clear()
    yield gateway.outbox
    gateway.outbox.clear()


def gateway_message(case, step="receive"):
    return ResidentMessage.objects.get(application=case, step=step, channel="gateway")


def later(minutes=0, seconds=0):
    return timezone.now() + timedelta(minutes=minutes, seconds=seconds)


# --- which rows the workflow writes ------------------------------------------------------------
def test_with_a_gateway_a_mobile_number_gets_a_gateway_row_due_now(officer, rt1, locmem_gateway):
    case = ApplicationFactory(officer=officer, rt=rt1)

    rows = list(ResidentMessage.objects.filter(application=case))
    assert [(m.channel, m.recipient, m.state) for m in rows] == [
        ("gateway", "6281234567890", "pending")
    ]
    assert rows[0].next_attempt_at is not None and rows[0].next_attempt_at <= timezone.now()


def test_without_a_gateway_whatsapp_rows_wait_for_the_click_and_no_job_runs(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1)
    message = ResidentMessage.objects.get(application=case)
    assert (message.channel, message.next_attempt_at) == ("whatsapp", None)
    assert send_due_resident_messages(now=later(minutes=10)) == 0
    message.refresh_from_db()
    assert message.state == "pending" and message.attempts == 0


def test_the_step_queues_the_send_after_commit_only(officer, rt1, locmem_gateway, monkeypatch):
    queued = []
    monkeypatch.setattr(jobs, "async_task", lambda func, *args, **kw: queued.append((func, args)))
    case = ApplicationFactory(officer=officer, rt=rt1)
    assert queued == []  # the test's transaction never commits: nothing queued

    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.application_cancel(application=case, by=officer, reason="uji")

    message = gateway_message(case, "cancel")
    assert queued == [(jobs.SEND_RESIDENT_MESSAGES, ([str(message.uuid)],))]


def test_a_committed_step_sends_its_message_through_the_job(officer, rt1, locmem_gateway):
    case = ApplicationFactory(officer=officer, rt=rt1)
    with TestCase.captureOnCommitCallbacks(execute=True):  # sync jobs, as the cluster would
        workflow.application_cancel(application=case, by=officer, reason="uji")

    message = gateway_message(case, "cancel")
    assert message.state == "sent" and message.sent_at is not None and message.sent_by is None
    assert message.provider_ref == f"locmem-{len(locmem_gateway)}"
    assert [m["recipient"] for m in locmem_gateway] == ["6281234567890"]
    assert locmem_gateway[0]["text"] == message.text and NIK not in message.text
    event = ApplicationEvent.objects.get(application=case, transition="message_sent")
    assert event.by is None and "lewat Gateway" in event.note


# --- the HTTP backend against a real server ----------------------------------------------------
def test_the_http_gateway_is_retried_after_a_500_then_sent_exactly_once(officer, rt1, http_gateway):
    server = http_gateway(500, 200)
    case = ApplicationFactory(officer=officer, rt=rt1)
    message = gateway_message(case)

    assert send_resident_message(message.pk) is False  # 500: a temporary error
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("pending", 1)
    assert "HTTP 500" in message.last_error
    assert TOKEN not in message.last_error and "6281234567890" not in message.last_error
    retry_at = message.next_attempt_at
    assert retry_at > timezone.now() + timedelta(seconds=50)  # the first delay: 60 s

    assert send_due_resident_messages() == 0  # not due yet: the server hears nothing
    assert len(server.requests) == 1

    assert send_due_resident_messages(now=retry_at + timedelta(seconds=1)) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts, message.provider_ref) == ("sent", 2, "wamid.2")
    assert message.next_attempt_at is None and message.last_error == ""

    # Nothing sends it again: not the scheduled run, not a late copy of the job.
    assert send_due_resident_messages(now=later(minutes=120)) == 0
    assert send_resident_message(message.pk, now=later(minutes=120)) is False
    assert len(server.requests) == 2

    for request in server.requests:
        assert request["path"] == "/send"
        assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
        assert request["headers"]["Content-Type"].startswith("application/json")
        assert request["headers"]["Idempotency-Key"] == str(message.uuid)
        assert request["body"] == {
            "to": "6281234567890",
            "text": message.text,
            "template": "status_permohonan",
            "reference": str(message.uuid),
        }
    assert case.code in message.text and NIK not in json.dumps(server.requests)


def test_a_4xx_marks_it_failed_without_retry_and_offers_click_to_chat(
    officer_client, officer, rt1, http_gateway
):
    server = http_gateway(400)
    case = ApplicationFactory(officer=officer, rt=rt1)
    message = gateway_message(case)

    assert send_resident_message(message.pk) is False
    message.refresh_from_db()
    assert (message.state, message.attempts, message.next_attempt_at) == ("failed", 1, None)
    assert message.last_error.startswith("Gateway menjawab HTTP 400")
    assert TOKEN not in message.last_error and "6281234567890" not in message.last_error
    assert send_due_resident_messages(now=later(minutes=120)) == 0
    assert len(server.requests) == 1
    failed = ApplicationEvent.objects.get(application=case, transition="message_failed")
    assert "HTTP 400" in failed.note

    # The officer sees it as failed, with the WhatsApp button as the fallback.
    page = officer_client.get(reverse("services:resident_messages")).content.decode()
    assert "Gagal dikirim otomatis" in page and "HTTP 400" in page
    send = reverse("services:resident_message_send", args=[message.uuid])
    assert send in page
    response = officer_client.post(send)
    assert response.status_code == 303 and response["Location"] == wa_me_link(message)
    message.refresh_from_db()
    assert (message.state, message.sent_by) == ("sent", officer)
    page = officer_client.get(reverse("services:resident_messages")).content.decode()
    assert send not in page


def test_a_pending_gateway_message_is_not_offered_to_the_officer(
    officer_client, officer, rt1, locmem_gateway
):
    case = ApplicationFactory(officer=officer, rt=rt1)
    message = gateway_message(case)
    send = reverse("services:resident_message_send", args=[message.uuid])

    assert send not in officer_client.get(reverse("services:resident_messages")).content.decode()
    with pytest.raises(workflow.WorkflowError):
        workflow.resident_message_mark_sent(message=message, by=officer)
    message.refresh_from_db()
    assert message.state == "pending" and message.sent_by is None


def test_a_gateway_that_does_not_answer_in_time_is_a_temporary_error(officer, rt1, http_gateway):
    http_gateway(200, delay=1.5, timeout=0.3)
    message = gateway_message(ApplicationFactory(officer=officer, rt=rt1))
    started = time.monotonic()
    assert send_resident_message(message.pk) is False
    assert time.monotonic() - started < 1.4
    message.refresh_from_db()
    assert message.state == "pending" and "tidak menjawab dalam 0.3 detik" in message.last_error


def test_a_refused_connection_is_a_temporary_error(officer, rt1, settings):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.RESIDENT_MESSAGE_BACKEND = HTTP
    settings.RESIDENT_GATEWAY_URL = f"http://127.0.0.1:{port}/send"
    message = gateway_message(ApplicationFactory(officer=officer, rt=rt1))

    assert send_resident_message(message.pk) is False
    message.refresh_from_db()
    assert message.state == "pending" and "tidak dapat dihubungi" in message.last_error


def test_a_redirect_is_not_followed(officer, rt1, http_gateway):
    server = http_gateway(302)
    message = gateway_message(ApplicationFactory(officer=officer, rt=rt1))
    send_resident_message(message.pk)
    message.refresh_from_db()
    assert message.state == "failed" and "HTTP 302" in message.last_error
    assert [r["path"] for r in server.requests] == ["/send"]


def test_after_the_last_attempt_it_is_failed(officer, rt1, http_gateway, settings):
    settings.RESIDENT_MESSAGE_MAX_ATTEMPTS = 3
    server = http_gateway(503, 503, 503, 200)
    message = gateway_message(ApplicationFactory(officer=officer, rt=rt1))

    for hours in range(1, 6):  # each run well after the previous one's delay
        send_due_resident_messages(now=later(minutes=120 * hours))
    message.refresh_from_db()
    assert len(server.requests) == 3
    assert (message.state, message.attempts) == ("failed", 3)
    assert ApplicationEvent.objects.filter(transition="message_failed").count() == 1


def test_the_delay_doubles_and_stops_at_an_hour(settings):
    settings.RESIDENT_MESSAGE_RETRY_SECONDS = 60
    assert [sending.retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert sending.retry_delay(10) == timedelta(hours=1)


def test_neither_the_token_nor_the_text_nor_the_full_number_is_logged(
    officer, rt1, http_gateway, caplog
):
    http_gateway(500, 400)
    message = gateway_message(ApplicationFactory(officer=officer, rt=rt1))
    with caplog.at_level(logging.DEBUG):
        send_due_resident_messages()
        send_due_resident_messages(now=later(minutes=5))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert str(message.uuid) in logged and "6281*******90" in logged
    assert TOKEN not in logged and "6281234567890" not in logged
    assert message.text[:40] not in logged


# --- the claim ---------------------------------------------------------------------------------
def test_a_claimed_message_is_not_sent_again_until_its_claim_lapses(officer, rt1, locmem_gateway):
    message = gateway_message(ApplicationFactory(officer=officer, rt=rt1))
    now = timezone.now()
    assert sending.claim(message.pk, now) is not None  # a worker took it, then died

    assert send_due_resident_messages(now=now + LEASE - timedelta(seconds=1)) == 0
    assert locmem_gateway == []
    assert send_due_resident_messages(now=now + LEASE + timedelta(seconds=1)) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts, len(locmem_gateway)) == ("sent", 2, 1)


def test_a_worker_that_outlived_its_claim_does_not_overwrite_the_outcome(
    officer, rt1, locmem_gateway, monkeypatch
):
    message = gateway_message(ApplicationFactory(officer=officer, rt=rt1))
    now = timezone.now()
    slow = sending.claim(message.pk, now)  # attempt 1, then stuck past its lease
    assert send_resident_message(message.pk, now=now + LEASE + timedelta(seconds=1)) is True

    sending._failed(slow, now, "Gateway menjawab HTTP 500.", False, "Gateway")
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == ("sent", 2, "")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_at_once_send_a_message_once(officer, rt1, settings, monkeypatch):
    settings.RESIDENT_MESSAGE_BACKEND = "tests.test_message_sending.SlowBackend"
    monkeypatch.setattr(jobs, "async_task", lambda *args, **kwargs: None)  # the workers below
    SlowBackend.sent.clear()
    message = gateway_message(ApplicationFactory(officer=officer, rt=rt1))
    barrier = threading.Barrier(2)
    results = []

    def worker(run):
        try:
            barrier.wait(timeout=10)
            results.append(run())
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(lambda: send_resident_message(message.pk),)),
        threading.Thread(target=worker, args=(send_due_resident_messages,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert SlowBackend.sent == [str(message.uuid)]
    assert sorted(int(r) for r in results) == [0, 1]
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 1)


class SlowBackend(gateway.BaseMessageBackend):
    """Takes its time, so that a second worker comes while the first is sending."""

    sent: list[str] = []

    def send(self, message):
        time.sleep(0.3)
        self.sent.append(str(message.uuid))
        return "slow"


# --- a corrected number, a step rolled back ----------------------------------------------------
def test_a_failed_gateway_message_is_sent_to_the_corrected_number(officer, rt1, http_gateway):
    from verification import workflow as rt_workflow

    server = http_gateway(400, 200)
    case = ApplicationFactory(officer=officer, rt=rt1, phone="0812-0000-0000")
    message = gateway_message(case)
    send_resident_message(message.pk)
    message.refresh_from_db()
    assert message.state == "failed"

    with TestCase.captureOnCommitCallbacks(execute=True):
        rt_workflow.application_correct(
            application=case, by=officer, changes={"phone": "0812 3456 7890"}, reason="salah"
        )

    message.refresh_from_db()
    assert (message.state, message.recipient, message.attempts) == ("sent", "6281234567890", 1)
    assert [r["body"]["to"] for r in server.requests] == ["6281200000000", "6281234567890"]


def test_a_step_rolled_back_sends_nothing(officer, rt1, http_gateway, monkeypatch):
    server = http_gateway(200)
    case = ApplicationFactory(officer=officer, rt=rt1)
    original = workflow.message_resident

    def write_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise workflow.WorkflowError("gagal")

    monkeypatch.setattr(workflow, "message_resident", write_then_fail)
    with TestCase.captureOnCommitCallbacks(execute=True), pytest.raises(workflow.WorkflowError):
        workflow.application_cancel(application=case, by=officer, reason="uji")

    assert not ResidentMessage.objects.filter(application=case, step="cancel").exists()
    assert server.requests == []


# --- configuration -----------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["", "file:///etc/passwd", "ftp://127.0.0.1/x", "127.0.0.1:80"])
def test_the_http_backend_takes_only_an_http_url(url, settings):
    settings.RESIDENT_GATEWAY_URL = url
    with pytest.raises(ImproperlyConfigured):
        HttpGatewayBackend()


def test_the_settings_refuse_the_http_backend_without_a_url():
    import os
    import subprocess
    import sys

    env = {**os.environ, "RESIDENT_MESSAGE_BACKEND": HTTP, "RESIDENT_GATEWAY_URL": ""}
    env["DJANGO_SETTINGS_MODULE"] = "kelurahan.settings"
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode != 0 and "RESIDENT_GATEWAY_URL" in run.stderr


def test_the_click_to_chat_backend_sends_nothing(db):
    assert gateway.gateway_enabled() is False
    with pytest.raises(PermanentSendError):
        gateway.ClickToChatBackend().send(ResidentMessage(recipient="6281234567890", text="x"))


def test_the_errors_are_transient_or_permanent():
    assert issubclass(TransientSendError, gateway.SendError)
    assert not issubclass(TransientSendError, PermanentSendError)
    assert gateway.mask_number("6281234567890") == "6281*******90"
    assert gateway.safe_snippet(f"x {TOKEN} 6281234567890", TOKEN) == "x *** 6281*******90"


# --- email -------------------------------------------------------------------------------------
def email_message(case, step="receive"):
    return ResidentMessage.objects.get(application=case, step=step, channel="email")


def test_an_email_row_is_sent_by_the_job_through_django_email(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1, email="siti@example.com")
    with TestCase.captureOnCommitCallbacks(execute=True):
        workflow.application_cancel(application=case, by=officer, reason="uji")

    message = email_message(case, "cancel")
    assert message.state == "sent" and message.attempts == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["siti@example.com"]
    assert sent.subject == f"Permohonan dibatalkan: {case.code}"
    assert sent.body == message.text and NIK not in sent.body
    # The click-to-chat row of the same step still waits for the officer.
    whatsapp = ResidentMessage.objects.get(application=case, step="cancel", channel="whatsapp")
    assert whatsapp.state == "pending"


def test_an_email_is_retried_after_a_server_error_and_sent_once(officer, rt1, monkeypatch):
    case = ApplicationFactory(officer=officer, rt=rt1, email="siti@example.com")
    message = email_message(case)
    real = sending.send_mail
    calls = []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("gone")
        return real(*args, **kwargs)

    monkeypatch.setattr(sending, "send_mail", flaky)
    assert send_resident_message(message.pk) is False
    message.refresh_from_db()
    assert message.state == "pending" and "SMTPServerDisconnected" in message.last_error
    assert send_due_resident_messages(now=later(minutes=2)) == 1
    assert send_due_resident_messages(now=later(minutes=200)) == 0
    message.refresh_from_db()
    assert (message.state, message.attempts, len(mail.outbox), len(calls)) == ("sent", 2, 1, 2)


def test_a_refused_email_address_fails_without_retry(officer, rt1, monkeypatch):
    message = email_message(ApplicationFactory(officer=officer, rt=rt1, email="x@example.com"))

    def refuse(*args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no such user")})

    monkeypatch.setattr(sending, "send_mail", refuse)
    send_resident_message(message.pk)
    message.refresh_from_db()
    assert message.state == "failed" and message.next_attempt_at is None
    assert "menolak alamat" in message.last_error


def test_a_failed_email_is_listed_without_a_whatsapp_button(
    officer_client, officer, rt1, monkeypatch
):
    case = case_in(S.RECEIVED, officer=officer, rt=rt1, email="x@example.com", phone="0711 1234")
    message = email_message(case)
    monkeypatch.setattr(
        sending,
        "send_mail",
        lambda *a, **k: (_ for _ in ()).throw(smtplib.SMTPDataError(554, b"x")),
    )
    send_resident_message(message.pk)

    page = officer_client.get(reverse("services:resident_messages")).content.decode()
    assert "Gagal dikirim otomatis" in page and "Email x@example.com" in page
    assert reverse("services:resident_message_send", args=[message.uuid]) not in page


# --- the migration -----------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_keeps_sent_rows_sent_and_makes_pending_emails_due(officer):
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        ("services", "0018_seed_message_templates"),
        ("services", "0019_message_sending"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps.get_model("services", "ResidentMessage")
    office_id = officer.membership.office_id
    common = {"office_id": office_id, "step": "receive", "text": "Halo"}
    old.objects.create(channel="whatsapp", recipient="6281", sent_at=timezone.now(), **common)
    old.objects.create(channel="whatsapp", recipient="6282", **common)
    old.objects.create(channel="email", recipient="a@example.com", **common)

    executor.loader.build_graph()
    executor.migrate([after])
    # Read through the models as of 0019 (later migrations add columns, e.g. complaint).
    new = executor.loader.project_state([after]).apps
    rows = {m.recipient: m for m in new.get_model("services", "ResidentMessage").objects.all()}
    assert rows["6281"].state == "sent"
    assert (rows["6282"].state, rows["6282"].next_attempt_at) == ("pending", None)
    assert rows["a@example.com"].state == "pending"
    assert rows["a@example.com"].next_attempt_at is not None
    templates = new.get_model("services", "MessageTemplate").objects
    assert {"reject", "reopen"} <= set(templates.values_list("step", flat=True))
    # Forward to the latest schema again: the tests after this one need the later tables.
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_backend_path_that_does_not_import_falls_back_to_click_to_chat(officer, rt1, settings):
    settings.RESIDENT_MESSAGE_BACKEND = "services.notifications.gateway.NoSuchBackend"
    case = ApplicationFactory(officer=officer, rt=rt1)  # the step still works
    assert ResidentMessage.objects.get(application=case).channel == "whatsapp"
