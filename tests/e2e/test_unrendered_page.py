"""The supervisor follows the dashboard's "dokumen belum jadi" to the list, on a phone."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from kelurahan.models import RT
from services.models import ApplicationState, DocumentRender
from services.selectors import current_letter
from tests.e2e.axe import assert_no_axe_violations, assert_tap_targets
from tests.e2e.test_rt_chair_journey import login
from tests.factories import case_in


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_j61_supervisor_sees_the_letter_without_its_pdf(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    # Its jobs go to the broker and no cluster runs: the letter stays without its PDF.
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    case = case_in(
        ApplicationState.ISSUED,
        officer=officer,
        rt=RT.objects.get(rw__office__code="BKS", rw__number=1, number=1),
        nik="3271014501900077",
    )
    letter = current_letter(case)
    DocumentRender.objects.filter(application=case).update(
        requested_at=timezone.now() - timedelta(hours=1)
    )
    login(page, live_server.url, "lurah")
    page.goto(live_server.url + "/dasbor/")
    page.get_by_role("link", name="dokumen belum jadi").click()
    expect(page.get_by_role("heading", name="Dokumen belum jadi")).to_be_visible()
    expect(page.get_by_role("link", name=case.code)).to_have_count(2)  # the letter, the bundle
    expect(page.get_by_text(f"Surat {letter.number}")).to_be_visible()
    expect(page.get_by_role("cell", name="Berkas arsip")).to_be_visible()
    assert_no_axe_violations(page, "lurah /dasbor/dokumen-belum-jadi/")
    assert_tap_targets(page)
