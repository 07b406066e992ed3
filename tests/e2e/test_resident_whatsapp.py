"""The officer sends the resident's WhatsApp message from the case page, on a phone (390×844).

wa.me is never reached (no internet here): the browser context answers it locally, and the
test reads the popup's address, which is what the officer's WhatsApp would open.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from kelurahan.models import RT
from services.models import ApplicationEvent, ApplicationState, ResidentMessage
from tests.e2e.axe import assert_no_axe_violations, assert_tap_targets
from tests.e2e.test_rt_chair_journey import login
from tests.factories import case_in

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "id-ID"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_officer_sends_the_pending_whatsapp_message_in_one_click(live_server, browser, settings):
    settings.DEBUG = True
    settings.SITE_URL = live_server.url
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    rt = RT.objects.get(rw__office__code="BKS", rw__number=1, number=1)
    case = case_in(
        ApplicationState.RECEIVED, officer=officer, rt=rt, nik="3271014501900002",
        phone="0812 3456 7890",
    )  # fmt: skip
    message = ResidentMessage.objects.get(application=case, step="receive")

    context = browser.new_context(**PHONE)
    opened = []

    def fake_wa_me(route):
        opened.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>WhatsApp</title>")

    context.route("https://wa.me/**", fake_wa_me)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, live_server.url, "petugas")

        # The office's list of messages still to send, linked from the menu.
        page.goto(live_server.url + "/pesan/belum-terkirim/")
        expect(page.get_by_role("heading", name="Pesan belum terkirim")).to_be_visible()
        expect(page.get_by_text(case.code, exact=True)).to_be_visible()
        assert_no_axe_violations(page, "pesan belum terkirim")
        assert_tap_targets(page)

        page.goto(live_server.url + case.get_absolute_url())
        section = page.locator(
            "section", has=page.get_by_role("heading", name="Pesan untuk pemohon")
        )
        expect(section).to_contain_text(case.code)
        expect(section).to_contain_text("6281234567890")
        assert_no_axe_violations(page, "halaman kasus dengan pesan")

        # A new tab (the case page's COOP may cut it off from its opener: any new page counts).
        with context.expect_page() as new_tab:
            section.get_by_role("button", name="Kirim lewat WhatsApp").click()
        popup = new_tab.value
        popup.wait_for_url("https://wa.me/**")

        link = urlsplit(popup.url)
        assert (link.netloc, link.path) == ("wa.me", "/6281234567890")
        message.refresh_from_db()
        assert parse_qs(link.query)["text"] == [message.text]
        assert opened and opened[-1] == popup.url
        assert message.sent_by == officer and message.sent_at is not None
        assert (
            ApplicationEvent.objects.filter(application=case, transition="message_sent").count()
            == 1
        )

        page.reload()
        expect(page.get_by_role("heading", name="Pesan untuk pemohon")).to_have_count(0)
        expect(page.get_by_text("Pesan WhatsApp ke pemohon dikirim")).to_be_visible()
    finally:
        context.close()
