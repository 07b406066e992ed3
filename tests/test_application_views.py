"""Officer pages for applications: intake, the case page, documents, the queue, and access."""

import pytest
from django.test import Client
from django.urls import reverse

from services import workflow
from services.documents.cleaning import clean_upload
from services.models import AccessLog, Application, ApplicationState, Attachment, Service
from tests.conftest import jpeg_upload, pdf_upload
from tests.factories import ApplicationFactory, OfficeFactory, OfficerFactory, RTFactory, case_in

S = ApplicationState


def detail_url(application):
    return reverse("services:application_detail", args=[application.code])


def intake_data(rt, **overrides):
    data = {
        "applicant_name": "Budi Santoso",
        "nik": "3271010101900003",
        "phone": "0812-3456-7890",
        "address": "Jl. Melati 4",
        "rt": rt.pk,
        "channel": "walk_in",
        "delivery": "pickup",
    }
    data.update(overrides)
    return data


# --- access ---------------------------------------------------------------------------------
def case_urls(application):
    code = application.code
    attachment = application.attachments.first()
    gets = [
        reverse("services:application_detail", args=[code]),
        reverse("services:application_receipt", args=[code]),
        reverse("services:attachment_file", args=[code, attachment.uuid]),
        reverse("services:attachment_thumbnail", args=[code, attachment.uuid]),
    ]
    posts = [
        reverse(name, args=[code])
        for name in (
            "services:application_archive",
            "services:application_mark_incomplete",
            "services:application_resubmit",
            "services:application_cancel",
            "services:attachment_upload",
            "services:attachment_accept_all",
        )
    ] + [
        reverse(name, args=[code, attachment.uuid])
        for name in ("services:attachment_accept", "services:attachment_reject")
    ]
    return gets, posts


@pytest.mark.django_db
def test_officer_of_another_office_gets_404_for_the_case_its_documents_and_every_action(
    client, application, other_officer
):
    client.force_login(other_officer)
    gets, posts = case_urls(application)
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"reason": "x", "state": "received"}).status_code == 404, url
    application.refresh_from_db()
    assert application.state == S.RECEIVED
    assert application.code not in client.get(reverse("services:queue")).content.decode()


@pytest.mark.django_db
def test_rt_chair_gets_404_for_officer_pages(client, application, rt_chair):
    client.force_login(rt_chair)
    gets, posts = case_urls(application)
    for url in [*gets, reverse("services:queue"), reverse("services:application_new")]:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"reason": "x"}).status_code == 404, url


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_from_case_pages(client, application):
    gets, _ = case_urls(application)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/masuk/")


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused(application, officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    response = client.post(
        reverse("services:application_cancel", args=[application.code]), {"reason": "x"}
    )
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.state == S.RECEIVED


@pytest.mark.django_db
def test_extra_posted_fields_cannot_set_state_or_office(officer_client, rt1, other_office):
    response = officer_client.post(
        reverse("services:application_create", args=["KTP"]),
        intake_data(rt1, state="completed", office=other_office.pk, code="EVIL-1"),
    )
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.state == S.RECEIVED
    assert application.office.code == "BKS"
    assert application.code.startswith("BKS-")


# --- intake ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_intake_records_the_application_with_documents_and_shows_the_receipt(officer_client, rt1):
    service = Service.objects.get(code="KTP")
    data = intake_data(
        rt1,
        channel="assisted",
        assisted_by="Bu Sri, tetangga",
        delivery="courier",
        delivery_address="Jl. Melati 4, rumah pagar hijau",
    )
    requirements = list(service.requirements.all())
    data[f"berkas_{requirements[1].pk}"] = [jpeg_upload("kk-1.jpg"), jpeg_upload("kk-2.jpg")]
    data[f"berkas_{requirements[0].pk}"] = [pdf_upload("pengantar.pdf")]
    response = officer_client.post(reverse("services:application_create", args=["KTP"]), data)
    application = Application.objects.get()
    assert response["Location"] == reverse("services:application_receipt", args=[application.code])
    assert application.phone == "+6281234567890"
    assert application.channel == "assisted" and application.assisted_by == "Bu Sri, tetangga"
    assert application.delivery == "courier"
    assert application.attachments.count() == 3
    assert application.events.get().transition == "receive"
    receipt = officer_client.get(response["Location"]).content.decode()
    assert application.code in receipt
    assert "Tanda Terima" in receipt and "3 hari kerja" in receipt
    assert "kk-2.jpg" in receipt and "pengantar.pdf" in receipt


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"nik": "12345"}, "nik", "NIK harus 16 angka"),
        ({"nik": "3271013201900003"}, "nik", "Tanggal lahir pada NIK"),
        ({"kk_number": "0071010101900003"}, "kk_number", "nomor KK"),
        ({"phone": "+1 202 555 0100"}, "phone", "nomor Indonesia"),
        ({"channel": "assisted"}, "assisted_by", "siapa yang membantu"),
        ({"delivery": "courier"}, "delivery_address", "alamat pengiriman"),
    ],
)
def test_intake_refuses_bad_input_with_an_indonesian_message(
    officer_client, rt1, overrides, field, message
):
    response = officer_client.post(
        reverse("services:application_create", args=["KTP"]), intake_data(rt1, **overrides)
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message.lower() in errors.lower()
    assert Application.objects.count() == 0


@pytest.mark.django_db
def test_intake_with_a_bad_file_stores_nothing_and_says_which_file(officer_client, rt1):
    service = Service.objects.get(code="KTP")
    requirement = service.requirements.first()
    data = intake_data(rt1)
    fake = jpeg_upload("foto.jpg")
    fake.file.seek(0)
    data[f"berkas_{requirement.pk}"] = [
        jpeg_upload("baik.jpg"),
        type(fake)("palsu.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),
    ]
    response = officer_client.post(reverse("services:application_create", args=["KTP"]), data)
    assert response.status_code == 200
    assert "palsu.jpg" in response.content.decode()
    assert Application.objects.count() == 0 and Attachment.objects.count() == 0


@pytest.mark.django_db
def test_intake_of_a_duplicate_points_to_the_open_application(officer_client, application, rt1):
    response = officer_client.post(
        reverse("services:application_create", args=["KTP"]),
        intake_data(rt1, nik=application.nik),
    )
    assert response.status_code == 200
    assert application.code in response.content.decode()
    assert Application.objects.count() == 1


@pytest.mark.django_db
def test_intake_rt_must_belong_to_the_office(officer_client, other_rt):
    response = officer_client.post(
        reverse("services:application_create", args=["KTP"]), intake_data(other_rt)
    )
    assert response.status_code == 200
    assert "rt" in response.context["form"].errors
    assert Application.objects.count() == 0


# --- the case page and its actions ------------------------------------------------------------
@pytest.mark.django_db
def test_case_page_shows_data_documents_timeline_and_only_allowed_buttons(
    officer_client, application, officer
):
    page = officer_client.get(detail_url(application)).content.decode()
    assert "Siti Rahmawati" in page and application.nik in page
    assert page.count('class="doc verdict-pending"') == 4
    assert "Permohonan dicatat" in page
    assert "Tandai belum lengkap" in page and "Arsipkan" in page and "Batalkan" in page
    assert "ajukan ulang" not in page
    assert AccessLog.objects.filter(application=application, action="view_application").exists()
    completed = case_in(S.COMPLETED, officer=officer, rt=application.rt, nik="3271010101900011")
    page = officer_client.get(detail_url(completed)).content.decode()
    assert "Langkah berikutnya" not in page


@pytest.mark.django_db
def test_case_page_query_count_is_constant(
    officer_client, application, officer, django_assert_max_num_queries
):
    for _ in range(5):
        workflow.attachment_add(
            application=application,
            requirement=application.service.requirements.last(),
            files=[clean_upload(jpeg_upload())],
            by=officer,
        )
    # 20: one of them lists the resident's pending WhatsApp messages.
    with django_assert_max_num_queries(20):
        assert officer_client.get(detail_url(application)).status_code == 200


@pytest.mark.django_db
def test_reject_accept_mark_incomplete_resubmit_and_archive_through_the_pages(
    officer_client, application
):
    attachments = list(application.attachments.all())
    reject_url = reverse("services:attachment_reject", args=[application.code, attachments[0].uuid])
    response = officer_client.post(reject_url, {"reason": ""}, follow=True)
    assert "Tulis alasan penolakan" in response.content.decode()
    officer_client.post(reject_url, {"reason": "tidak ada cap RT"})
    for attachment in attachments[1:]:
        officer_client.post(
            reverse("services:attachment_accept", args=[application.code, attachment.uuid])
        )
    response = officer_client.post(
        reverse("services:application_mark_incomplete", args=[application.code]),
        {"state": "received"},
        follow=True,
    )
    assert "Ditandai belum lengkap" in response.content.decode()
    assert "tidak ada cap RT" in response.content.decode()
    application.refresh_from_db()
    assert application.state == S.INCOMPLETE

    requirement = attachments[0].requirement
    officer_client.post(
        reverse("services:attachment_upload", args=[application.code]),
        {"requirement": requirement.pk, "files": [jpeg_upload("pengantar-baru.jpg")]},
    )
    officer_client.post(
        reverse("services:application_resubmit", args=[application.code]), {"state": "incomplete"}
    )
    new = application.attachments.get(original_name="pengantar-baru.jpg")
    officer_client.post(reverse("services:attachment_accept", args=[application.code, new.uuid]))
    response = officer_client.post(
        reverse("services:application_archive", args=[application.code]),
        {"state": "received"},
        follow=True,
    )
    assert "Permohonan diarsipkan." in response.content.decode()
    application.refresh_from_db()
    assert application.state == S.ARCHIVED


@pytest.mark.django_db
def test_a_refused_step_shows_its_message_and_changes_nothing(officer_client, application):
    response = officer_client.post(
        reverse("services:application_archive", args=[application.code]),
        {"state": "received"},
        follow=True,
    )
    assert "belum diperiksa" in response.content.decode()
    application.refresh_from_db()
    assert application.state == S.RECEIVED


@pytest.mark.django_db
def test_a_page_that_went_stale_gets_a_message_instead_of_a_second_step(
    officer_client, application, officer
):
    workflow.application_cancel(application=application, by=officer, reason="dobel")
    events = application.events.count()
    response = officer_client.post(
        reverse("services:application_cancel", args=[application.code]),
        {"state": "received", "reason": "klik dua kali"},
        follow=True,
    )
    assert "baru saja diubah" in response.content.decode()
    assert application.events.count() == events


def _bad_files():
    import io

    import pikepdf
    from PIL import Image

    from tests.conftest import jpeg_upload  # noqa: F401  (same helpers as the intake tests)

    def png(size):
        buffer = io.BytesIO()
        Image.new("1", size).save(buffer, "PNG")
        return buffer.getvalue()

    def locked_pdf():  # (a PDF with JavaScript is stored re-written: tests/test_pdf_rewrite.py)
        pdf = pikepdf.new()
        pdf.add_blank_page()
        buffer = io.BytesIO()
        pdf.save(buffer, encryption=pikepdf.Encryption(owner="pemilik", user="rahasia"))
        return buffer.getvalue()

    return {
        "bomb": ("bom.png", png((20000, 20000)), "terlalu besar"),
        "png_named_pdf": ("surat.pdf", png((50, 50)), "PNG"),
        "html_named_jpg": ("ktp.jpg", b"<html><script>alert(1)</script></html>", "bukan foto"),
        "locked_pdf": ("surat.pdf", locked_pdf(), "kata sandi"),
        "oversize": ("besar.jpg", b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024), "10 MB"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(_bad_files()))
def test_bad_upload_gets_its_message_and_existing_attachments_stay(
    officer_client, application, case
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    name, content, message = _bad_files()[case]
    before = list(application.attachments.values_list("uuid", "sha256", "verdict", "file"))
    files_before = sorted(p.name for p in _media_files())
    requirement = application.service.requirements.first()
    response = officer_client.post(
        reverse("services:attachment_upload", args=[application.code]),
        {"requirement": requirement.pk, "files": [SimpleUploadedFile(name, content)]},
        follow=True,
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert name in page and message in page, page[page.find("messages") :][:600]
    assert list(application.attachments.values_list("uuid", "sha256", "verdict", "file")) == before
    assert sorted(p.name for p in _media_files()) == files_before


def _media_files():
    from pathlib import Path

    from django.conf import settings

    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


@pytest.mark.django_db
def test_a_name_with_directories_is_stored_under_a_uuid_with_only_its_base_name(
    officer_client, application
):
    requirement = application.service.requirements.first()
    officer_client.post(
        reverse("services:attachment_upload", args=[application.code]),
        {"requirement": requirement.pk, "files": [jpeg_upload("../../x.jpg")]},
    )
    stored = application.attachments.latest("id")
    assert stored.original_name == "x.jpg"
    assert stored.file.name == f"attachments/{stored.uploaded_at:%Y/%m}/{stored.uuid}.jpg"


@pytest.mark.django_db
def test_document_is_served_privately_with_its_original_name_and_logged(
    officer_client, application, officer
):
    attachment = application.attachments.first()
    response = officer_client.get(
        reverse("services:attachment_file", args=[application.code, attachment.uuid])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert "pengantar-rt.jpg" in response["Content-Disposition"]
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert AccessLog.objects.filter(attachment=attachment, user=officer).count() == 1
    assert attachment.file.name.startswith("attachments/")
    assert "pengantar" not in attachment.file.name


# --- the queue ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_queue_query_count_is_the_same_for_5_and_200_applications(
    officer_client, officer, rt1, django_assert_num_queries, time_machine
):
    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)  # no session renewal in between
    officer_client.get(reverse("services:queue"))

    def fill(n):
        for i in range(Application.objects.count(), n):
            ApplicationFactory(
                officer=officer, rt=rt1, nik=f"3271010101{900000 + i:06d}"[:16], docs=False
            )

    fill(5)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        officer_client.get(reverse("services:queue"))
    fill(200)
    with django_assert_num_queries(len(small.captured_queries)):
        response = officer_client.get(reverse("services:queue"))
    assert "200 permohonan" in response.content.decode()


@pytest.mark.django_db
def test_queue_filters_by_state_service_and_rt_and_searches_code_and_name(
    officer_client, officer, rt1, rt2
):
    ktp = ApplicationFactory(officer=officer, rt=rt1, docs=False)
    situ = ApplicationFactory(
        officer=officer, rt=rt2, service="SITU", docs=False, nik="3271010101900009"
    )
    workflow.application_cancel(application=situ, by=officer, reason="batal")
    url = reverse("services:queue")
    page = officer_client.get(url).content.decode()
    assert ktp.code in page and situ.code not in page  # open cases by default
    page = officer_client.get(url, {"state": "cancelled"}).content.decode()
    assert situ.code in page and ktp.code not in page
    page = officer_client.get(url, {"state": "all", "service": "SITU"}).content.decode()
    assert situ.code in page and ktp.code not in page
    page = officer_client.get(url, {"state": "all", "rt": rt1.pk}).content.decode()
    assert ktp.code in page and situ.code not in page
    page = officer_client.get(url, {"state": "all", "q": situ.code.lower()}).content.decode()
    assert situ.code in page and ktp.code not in page
    page = officer_client.get(url, {"q": "rahma"}).content.decode()
    assert ktp.code in page


@pytest.mark.django_db
def test_nik_search_goes_by_post_and_never_into_the_url(officer_client, officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1, docs=False)
    response = officer_client.post(reverse("services:queue"), {"q": application.nik})
    page = response.content.decode()
    assert application.code in page and "Hasil pencarian NIK" in page
    assert application.nik not in response.wsgi_request.get_full_path()
    other = officer_client.post(reverse("services:queue"), {"q": "3271010101900099"})
    assert application.code not in other.content.decode()


@pytest.mark.django_db
def test_queue_is_paginated(officer_client, officer, rt1, settings):
    from services import views

    views_size = views.QUEUE_PAGE_SIZE
    views.QUEUE_PAGE_SIZE = 2
    try:
        for i in range(3):
            ApplicationFactory(officer=officer, rt=rt1, docs=False, nik=f"327101010190001{i}")
        page1 = officer_client.get(reverse("services:queue")).content.decode()
        page2 = officer_client.get(reverse("services:queue"), {"halaman": 2}).content.decode()
    finally:
        views.QUEUE_PAGE_SIZE = views_size
    assert "Halaman 1 dari 2" in page1 and "Halaman 2 dari 2" in page2


@pytest.mark.django_db
def test_a_pdf_has_no_thumbnail_url(officer_client, officer, rt1):
    from services.documents.cleaning import clean_upload

    application = ApplicationFactory(officer=officer, rt=rt1, docs=False)
    (attachment,) = workflow.attachment_add(
        application=application,
        requirement=application.service.requirements.first(),
        files=[clean_upload(pdf_upload())],
        by=officer,
    )
    url = reverse("services:attachment_thumbnail", args=[application.code, attachment.uuid])
    assert officer_client.get(url).status_code == 404
    assert not AccessLog.objects.filter(attachment=attachment).exists()
    full = officer_client.get(
        reverse("services:attachment_file", args=[application.code, attachment.uuid])
    )
    assert full["Content-Type"] == "application/pdf"
    # Opens in the browser's PDF viewer: inline, never sniffed, nothing may load or frame it.
    assert full["Content-Disposition"].startswith("inline;")
    assert full["X-Content-Type-Options"] == "nosniff"
    assert full["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert AccessLog.objects.filter(attachment=attachment).count() == 1


@pytest.mark.django_db
def test_search_by_reference_code_works_for_two_letter_office_codes(client, rt1, officer):
    office = OfficeFactory(code="AB", name="Ampel")
    rt = RTFactory(rw__office=office, rw__number=1, number=1)
    clerk = OfficerFactory(username="petugas_ab", office=office)
    application = ApplicationFactory(officer=clerk, rt=rt, docs=False)
    client.force_login(clerk)
    page = client.get(reverse("services:queue"), {"q": application.code[:7].lower()})
    assert application.code in page.content.decode()


@pytest.mark.django_db
def test_a_bad_filter_is_shown_and_the_others_still_apply(officer_client, officer, rt1, other_rt):
    application = ApplicationFactory(officer=officer, rt=rt1, docs=False)
    workflow.application_cancel(application=application, by=officer, reason="batal")
    response = officer_client.get(
        reverse("services:queue"), {"state": "cancelled", "rt": other_rt.pk}
    )
    page = response.content.decode()
    assert application.code in page  # the state filter still applied
    assert response.context["filters"].errors["rt"]
