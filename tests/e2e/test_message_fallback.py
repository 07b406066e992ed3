"""A message the gateway gave up on, on a phone (390×844): the officer's "Pesan belum terkirim"
shows it as failed, with the reason, and sends it by click-to-chat instead; a failed email is
shown without a WhatsApp button. 0 axe violations, 44 px tap targets."""

import smtplib
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from kelurahan.models import RT
from services.models import ApplicationState, ResidentMessage
from services.notifications import sending
from tests.e2e.axe import assert_no_axe_violations, assert_tap_targets
from tests.e2e.test_rt_chair_journey import login
from tests.factories import case_in

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "id-ID"}


def refuse_email(*args, **kwargs):
    raise smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"no such user")})


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_gateway_message_is_sent_by_click_to_chat(
    live_server, browser, settings, monkeypatch
):
    settings.DEBUG = True
    settings.SITE_URL = live_server.url
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    rt = RT.objects.get(rw__office__code="BKS", rw__number=1, number=1)
    settings.RESIDENT_MESSAGE_BACKEND = "services.notifications.gateway.LocmemBackend"
    monkeypatch.setattr("services.jobs.async_task", lambda *args, **kwargs: None)
    case = case_in(
        ApplicationState.RECEIVED, officer=officer, rt=rt, nik="3271014501900002",
        phone="0812 3456 7890", email="siti@example.com",
    )  # fmt: skip
    gateway = ResidentMessage.objects.get(application=case, channel="gateway")
    email = ResidentMessage.objects.get(application=case, channel="email")
    # The provider is gone (no gateway any more): a permanent error; the mail server refuses.
    settings.RESIDENT_MESSAGE_BACKEND = "services.notifications.gateway.ClickToChatBackend"
    monkeypatch.setattr(sending, "send_mail", refuse_email)
    sending.send_due_resident_messages()
    gateway.refresh_from_db()
    email.refresh_from_db()
    assert (gateway.state, email.state) == ("failed", "failed")

    context = browser.new_context(**PHONE)
    context.route(
        "https://wa.me/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<title>WA</title>"),
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, live_server.url, "petugas")
        page.goto(live_server.url + "/pesan/belum-terkirim/")
        # This case's messages (the demo's complaints have messages of their own).
        cards = page.locator("li.resident-message").filter(
            has=page.get_by_role("link", name=case.code, exact=True)
        )
        expect(cards).to_have_count(2)
        expect(cards.nth(0)).to_contain_text("Gagal dikirim otomatis")
        expect(cards.nth(0)).to_contain_text("Tidak ada gateway")
        expect(cards.nth(1)).to_contain_text("Server email menolak alamat penerima")
        expect(cards.nth(1).get_by_role("button")).to_have_count(0)
        assert_no_axe_violations(page, "pesan gagal terkirim")
        assert_tap_targets(page)

        with context.expect_page() as new_tab:
            cards.nth(0).get_by_role("button", name="Kirim lewat WhatsApp").click()
        popup = new_tab.value
        popup.wait_for_url("https://wa.me/**")
        assert urlsplit(popup.url).path == "/6281234567890"
        gateway.refresh_from_db()
        assert gateway.state == "sent" and gateway.sent_by == officer

        page.reload()
        expect(cards).to_have_count(1)  # the email stays listed
    finally:
        context.close()
