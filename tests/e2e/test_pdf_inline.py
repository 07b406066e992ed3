"""A PDF document opens in the browser's viewer instead of downloading."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from kelurahan.models import RT
from services import workflow
from services.documents.cleaning import clean_upload
from tests.conftest import pdf_upload
from tests.e2e.test_rt_chair_journey import login
from tests.factories import ApplicationFactory


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_pdf_attachment_opens_inline_under_the_sandbox_policy(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    rt = RT.objects.get(rw__office__code="BKS", rw__number=1, number=1)
    application = ApplicationFactory(officer=officer, rt=rt, docs=False)
    (pdf,) = workflow.attachment_add(
        application=application,
        requirement=application.service.requirements.first(),
        files=[clean_upload(pdf_upload("kk.pdf"))],
        by=officer,
    )
    login(page, live_server.url, "petugas")
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    url = f"{live_server.url}/permohonan/{application.code}/berkas/{pdf.uuid}/"
    response = page.goto(url)
    headers = response.all_headers()  # .headers leaves out security headers
    assert headers["content-disposition"].startswith("inline;")
    assert headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert headers["x-content-type-options"] == "nosniff"
    page.wait_for_timeout(1000)
    assert downloads == [] and page.url == url  # shown in the viewer, not saved
