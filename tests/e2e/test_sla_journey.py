import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from kelurahan.management.commands.seed_demo import DEMO_PASSWORD
from kelurahan.models import RT
from services.models import Application
from services.sla import sla_sweep
from tests.e2e.second_factor import pass_second_factor
from tests.factories import ApplicationFactory


def login(page, base, username):
    page.goto(base + "/masuk/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    pass_second_factor(page, username)  # supervisors and superusers: the TOTP step


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_overdue_case_leads_the_queue_and_the_supervisor_sees_the_escalation(
    live_server, page, settings
):
    settings.DEBUG = True
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    rt = RT.objects.get(rw__office__code="BKS", rw__number=1, number=2)
    fresh = ApplicationFactory(officer=officer, rt=rt, nik="3271010101900003")
    late = ApplicationFactory(officer=officer, rt=rt, nik="3271014501900002")
    yesterday = timezone.now() - timedelta(days=1)
    Application.objects.filter(pk=late.pk).update(
        archive_due=yesterday, verify_due=yesterday + timedelta(days=3)
    )
    assert sla_sweep() == 1

    login(page, live_server.url, "petugas")
    first_row = page.locator("table tbody tr").first
    expect(first_row).to_contain_text(late.code)
    expect(first_row.locator(".sla-mark")).to_have_class(re.compile("sla-overdue"))
    expect(first_row.locator(".sla-mark")).to_contain_text("terlambat")
    expect(page.locator("table tbody tr").nth(1)).to_contain_text(fresh.code)

    page.get_by_role("button", name="Keluar").click()
    login(page, live_server.url, "lurah")
    bell = page.get_by_role("link", name=re.compile("Notifikasi: 1 belum dibaca"))
    expect(bell).to_be_visible()
    bell.click()
    expect(page.locator(".note.unread")).to_contain_text(f"Eskalasi: {late.code} terlambat")
