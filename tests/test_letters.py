"""Letters: numbering under concurrency, the PDF, its QR, verification, hand-over, bundles."""

import hashlib
import io
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pikepdf
import pypdf
import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from PIL import Image

from services import workflow
from services.letters.render import render_bundle, render_letter
from services.models import Application, ApplicationState, Letter, LetterKind, Service
from services.workflow import WorkflowError, WorkflowPermissionDenied
from tests.conftest import committed, pdf_upload
from tests.factories import ApplicationFactory, case_in, issued_letter

S = ApplicationState
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils")


def pdf_text(letter: Letter) -> str:
    with letter.pdf.open("rb") as f:
        data = f.read()
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()


def pdf_png(letter: Letter, tmp_path, dpi: int = 100) -> list:
    path = tmp_path / "letter.pdf"
    with letter.pdf.open("rb") as f:
        path.write_bytes(f.read())
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(path), str(tmp_path / "p")], check=True)
    return sorted(tmp_path.glob("p*.png"))


# --- numbering --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_issue_numbers_the_letter_with_the_default_pattern(officer, rt1, time_machine):
    time_machine.move_to("2026-11-23 10:00 +0700", tick=False)
    first = issued_letter(officer=officer, rt=rt1, nik="3271010101900011")
    second = issued_letter(officer=officer, rt=rt1, nik="3271010101900012", service="SITU")
    assert first.number == "474.4/001/BKS/XI/2026"
    assert second.number == "503/002/BKS/XI/2026"  # one counter per office by default
    application = first.application
    assert application.state == S.ISSUED and application.issued_at
    assert application.events.latest("id").note == "Nomor 474.4/001/BKS/XI/2026"


@pytest.mark.django_db
def test_counter_per_service_and_yearly_reset(officer, rt1, time_machine):
    office = officer.membership.office
    office.letter_counter_per_service = True
    office.save()
    time_machine.move_to("2026-12-31 10:00 +0700", tick=False)
    assert issued_letter(officer=officer, rt=rt1, nik="3271010101900011").seq == 1
    assert issued_letter(officer=officer, rt=rt1, nik="3271010101900012", service="SITU").seq == 1
    time_machine.move_to("2027-01-04 10:00 +0700", tick=False)
    letter = issued_letter(officer=officer, rt=rt1, nik="3271010101900013")
    assert (letter.seq, letter.number) == (1, "474.4/001/BKS/I/2027")


@pytest.mark.django_db
def test_issue_is_refused_before_verification(officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1)
    with pytest.raises(WorkflowError):
        workflow.application_issue(application=application, by=officer)
    assert not Letter.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_issues_get_fifty_consecutive_numbers(officer, rt1, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}  # queue the renders, don't run
    cases = [
        case_in(S.VERIFIED, officer=officer, rt=rt1, nik=f"32710101019{i:05d}") for i in range(50)
    ]

    def issue(application):
        try:
            return workflow.application_issue(application=application, by=officer).seq
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        seqs = list(pool.map(issue, cases))
    assert sorted(seqs) == list(range(1, 51))
    numbers = list(Letter.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 50
    assert Application.objects.filter(state=S.ISSUED).count() == 50


def copy_of(letter: Letter, **changes) -> Letter:
    """A second row for the letter's office, written past the counter (as a bug or a script
    would), with a fresh token."""
    fields = {
        f.name: getattr(letter, f.name)
        for f in Letter._meta.concrete_fields
        if f.name not in {"id", "token", "pdf", "sha256", "replaces"}
    }
    return Letter(**{**fields, **changes})


@pytest.mark.django_db
@pytest.mark.parametrize("write", ["create", "bulk_create"])
def test_the_database_refuses_a_duplicate_letter_number_in_one_office(
    officer, rt1, other_officer, write
):
    letter = issued_letter(officer=officer, rt=rt1)
    duplicates = [
        copy_of(letter, counter_key="letter-import", seq=1),  # same number
        copy_of(letter, number=letter.number + "-B"),  # same counter and sequence
    ]
    for duplicate in duplicates:
        with pytest.raises(IntegrityError), transaction.atomic():
            if write == "create":
                duplicate.save(force_insert=True)
            else:
                Letter.objects.bulk_create([duplicate])
    assert list(Letter.objects.values_list("number", flat=True)) == [letter.number]
    # The same number in another office is another letter.
    other_office = other_officer.membership.office
    copy_of(letter, office=other_office).save(force_insert=True)
    assert Letter.objects.filter(number=letter.number).count() == 2


# --- the PDF ----------------------------------------------------------------------------------
@needs_poppler
@pytest.mark.django_db
def test_pdf_carries_number_name_office_and_a_qr_to_the_verification_page(
    officer, rt1, tmp_path, settings
):
    letter = issued_letter(officer=officer, rt=rt1)
    assert letter.is_rendered and letter.pdf.name.endswith(f"{letter.token}.pdf")
    text = pdf_text(letter)
    assert letter.number in text
    assert "SITI RAHMAWATI" in text
    assert "KELURAHAN BUKIT SANGKAL" in text
    (png,) = pdf_png(letter, tmp_path, dpi=200)
    decoded = subprocess.run(
        ["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True
    ).stdout.strip()
    assert decoded == f"{settings.SITE_URL}/v/{letter.token}"


@needs_poppler
@pytest.mark.django_db
@pytest.mark.parametrize("code", ["KK", "KTP", "NIKAH", "SITU"])
def test_each_service_letter_is_one_a4_page_with_nothing_past_the_margins(
    officer, rt1, tmp_path, code
):
    application = case_in(S.VERIFIED, officer=officer, rt=rt1, service=code)
    Application.objects.filter(pk=application.pk).update(
        applicant_name="Raden Ajeng Siti Nurhaliza Kusumawardhani Puspitasari Wijayakusuma",
        address="Jl. Letnan Jenderal Harun Sohar Gang Mawar Merah Nomor 127 Blok C/17 "
        "Perumahan Griya Sangkal Indah Tahap III",
        purpose="Melengkapi berkas administrasi kependudukan untuk keperluan pekerjaan",
    )
    letter = committed(workflow.application_issue, application=application, by=officer)
    letter.refresh_from_db()
    with letter.pdf.open("rb") as f, pikepdf.open(io.BytesIO(f.read())) as pdf:
        assert len(pdf.pages) == 1
        x0, y0, x1, y1 = (float(v) for v in pdf.pages[0].mediabox)
        assert (round(x1 - x0), round(y1 - y0)) == (595, 842)  # A4 in points
    (png,) = pdf_png(letter, tmp_path, dpi=50)
    image = Image.open(png).convert("L")
    width, height = image.size
    # The page margins (1.8 cm bottom, 2 cm right) hold no ink: nothing overflowed.
    right = image.crop((width - int(width * 1.5 / 21), 0, width, height))
    bottom = image.crop((0, height - int(height * 1.2 / 29.7), width, height))
    assert right.getextrema()[0] > 200 and bottom.getextrema()[0] > 200
    assert letter.application.service.letter_title in pdf_text(letter)  # the service's own


@needs_poppler
@pytest.mark.django_db
def test_hostile_applicant_text_is_printed_literally_and_nothing_outside_static_is_fetched(
    officer, rt1, monkeypatch
):
    from services.letters import pdf

    requested = []
    original = pdf.RestrictedURLFetcher.fetch

    def spy(self, url, *args, **kwargs):
        requested.append(url)
        return original(self, url, *args, **kwargs)

    monkeypatch.setattr(pdf.RestrictedURLFetcher, "fetch", spy)
    application = case_in(S.VERIFIED, officer=officer, rt=rt1)
    hostile = '<img src="file:///etc/passwd"> x'
    Application.objects.filter(pk=application.pk).update(
        applicant_name=hostile, address="Jl. A; background: url(http://127.0.0.1/) }"
    )
    letter = committed(workflow.application_issue, application=application, by=officer)
    letter.refresh_from_db()
    text = pdf_text(letter)
    assert '<IMG SRC="FILE:///ETC/PASSWD"> X' in text  # the name is printed upper-case
    assert "url(http://127.0.0.1/)" in text
    static_roots = [str(p) for p in settings.STATICFILES_DIRS]
    for url in requested:
        assert url.startswith("data:") or any(root in url for root in static_roots), url


# Markup in every field an applicant (or an officer typing for them) fills in. Each one wraps a
# word that appears nowhere else, so the text layer shows whether the tags were printed or obeyed.
HOSTILE_FIELDS = {
    "applicant_name": "<b>xnamax</b>",
    "nik": "<i>9876543</i>",  # 16 characters at most
    "kk_number": "<u>1357913</u>",
    "address": "<i>xalamatx</i><br>",
    "purpose": "<u>xkeperluanx</u><hr>",
    "assisted_by": "<b>xdibantux</b>",
}
OUTPUT_LETTER_FIELDS = ["applicant_name", "nik", "kk_number", "address", "purpose"]


def text_layer(content: bytes) -> str:
    """The PDF's text, upper-cased (names are printed in capitals), without whitespace."""
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    return "".join(text.split()).upper()


def assert_printed_literally(content: bytes, markup: dict[str, str], fields: list[str]) -> None:
    text = text_layer(content)
    for name, value in markup.items():
        literal = "".join(value.split()).upper()
        word = re.search(r">([^<]+)<", literal).group(1)  # the text the tags wrap
        if name in fields:
            assert literal in text, f"{name}: {value!r} is not printed as written"
        # Wherever the word is, its tags are too: no copy of it was taken as HTML.
        assert text.count(word) == text.count(literal), f"{name}: {value!r} became markup"


def hostile_case(officer, rt, state=S.VERIFIED, **extra) -> Application:
    application = case_in(state, officer=officer, rt=rt, **extra)
    Application.objects.filter(pk=application.pk).update(**HOSTILE_FIELDS)
    application.refresh_from_db()
    return application


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["KK", "KTP", "NIKAH", "SITU"])
def test_every_letter_template_prints_html_in_applicant_fields_as_text(officer, rt1, code):
    application = hostile_case(officer, rt1, service=code)
    letter = committed(workflow.application_issue, application=application, by=officer)
    letter.refresh_from_db()
    with letter.pdf.open("rb") as f:
        assert_printed_literally(f.read(), HOSTILE_FIELDS, OUTPUT_LETTER_FIELDS)


@pytest.mark.django_db
def test_the_digital_rt_cover_letter_prints_html_in_applicant_fields_as_text(
    officer, rt1, rt_chair
):
    from services.letters.numbering import new_rt_cover_letter

    application = hostile_case(officer, rt1)
    with transaction.atomic():
        letter = new_rt_cover_letter(application, rt_chair)
    assert render_letter(letter.pk)
    letter.refresh_from_db()
    with letter.pdf.open("rb") as f:
        assert_printed_literally(
            f.read(), HOSTILE_FIELDS, ["applicant_name", "nik", "address", "purpose"]
        )


@pytest.mark.django_db
def test_the_archive_bundle_prints_html_in_applicant_and_document_fields_as_text(officer, rt1):
    application = hostile_case(officer, rt1, state=S.RECEIVED)
    attachments = list(application.attachments.all())
    markup = {
        **HOSTILE_FIELDS,
        "original_name": "<b>xberkasx</b>.jpg",
        "verdict_reason": "<i>xalasanx</i>",
    }
    application.attachments.update(original_name=markup["original_name"])
    for attachment in attachments[1:]:
        workflow.attachment_accept(attachment=attachment, by=officer)
    workflow.attachment_reject(
        attachment=attachments[0], by=officer, reason=markup["verdict_reason"]
    )
    assert render_bundle(application.pk)
    application.refresh_from_db()
    with application.bundle.open("rb") as f:
        assert_printed_literally(
            f.read(),
            markup,
            ["applicant_name", "nik", "address", "assisted_by", "original_name", "verdict_reason"],
        )


@pytest.mark.django_db
def test_placeholders_in_the_letter_body_are_filled_with_the_applicant_text_as_text(officer, rt1):
    Service.objects.filter(code="SITU").update(
        letter_body="Usaha milik {nama} di {alamat}.\n\nKeperluan: {keperluan} ({layanan})."
    )
    application = hostile_case(officer, rt1, service="SITU")
    letter = committed(workflow.application_issue, application=application, by=officer)
    letter.refresh_from_db()
    with letter.pdf.open("rb") as f:
        content = f.read()
    body = {k: HOSTILE_FIELDS[k] for k in ("applicant_name", "address", "purpose")}
    assert_printed_literally(content, body, list(body))
    text = text_layer(content)
    assert "USAHAMILIK<B>XNAMAX</B>DI<I>XALAMATX</I><BR>." in text
    assert "KEPERLUAN:<U>XKEPERLUANX</U><HR>(" in text
    assert "{" not in text


@pytest.mark.django_db
def test_render_job_run_twice_leaves_one_file_with_the_same_hash(officer, rt1):
    letter = issued_letter(officer=officer, rt=rt1)
    sha, name = letter.sha256, letter.pdf.name
    folder = os.path.dirname(letter.pdf.storage.path(name))
    files_before = sorted(os.listdir(folder))
    assert render_letter(letter.pk) is False
    letter.refresh_from_db()
    assert (letter.sha256, letter.pdf.name) == (sha, name)
    assert sorted(os.listdir(folder)) == files_before
    with letter.pdf.open("rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == sha


@pytest.mark.django_db
def test_a_render_interrupted_after_writing_is_redone_at_the_same_path(officer, rt1, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    letter = workflow.application_issue(
        application=case_in(S.VERIFIED, officer=officer, rt=rt1), by=officer
    )
    assert render_letter(letter.pk) is True
    letter.refresh_from_db()
    path = letter.pdf.name
    Letter.objects.filter(pk=letter.pk).update(sha256="")  # as if the job died before saving
    assert render_letter(letter.pk) is True
    letter.refresh_from_db()
    assert letter.pdf.name == path and letter.is_rendered


# --- verification, revocation, re-issue ------------------------------------------------------
@pytest.mark.django_db
def test_verification_page_is_public_and_shows_valid_then_revoked(officer, supervisor, rt1):
    letter = issued_letter(officer=officer, rt=rt1)
    url = reverse("services:letter_verify", args=[letter.token])
    anonymous = Client()
    page = anonymous.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "SAH" in body
    assert letter.number in body and letter.sha256 in body
    assert "Siti Rahmawati" not in body and "S*** R********" in body
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    with pytest.raises(WorkflowPermissionDenied):
        workflow.letter_revoke(letter=letter, by=officer, reason="salah nama")
    workflow.letter_revoke(letter=letter, by=supervisor, reason="salah nama")
    body = anonymous.get(url).content.decode()
    assert "DICABUT" in body and "SAH" not in body


@pytest.mark.django_db
def test_revoking_a_letter_writes_one_event_on_the_case_history(officer, supervisor, rt1):
    letter = issued_letter(officer=officer, rt=rt1)
    application = letter.application
    before = list(application.events.values_list("id", flat=True))
    workflow.letter_revoke(letter=letter, by=supervisor, reason="salah nama")
    new = list(application.events.exclude(id__in=before))
    assert [(e.transition, e.source, e.target, e.by) for e in new] == [
        ("revoke_letter", S.ISSUED, S.ISSUED, supervisor)
    ]
    assert new[0].note == f"{letter.number}: salah nama"
    assert new[0].label == "Surat dicabut"
    with pytest.raises(WorkflowError, match="sudah dicabut"):
        workflow.letter_revoke(letter=letter, by=supervisor, reason="lagi")
    assert application.events.count() == len(before) + 1


@pytest.mark.django_db
def test_unknown_token_says_so_plainly(client):
    page = client.get(reverse("services:letter_verify", args=["tidak-ada-kode-seperti-ini"]))
    assert page.status_code == 404
    assert "tidak dikenal" in page.content.decode()


@pytest.mark.django_db
def test_verification_is_throttled_per_address(client, settings):
    settings.VERIFY_RATE_PER_MINUTE = 3
    from django.core.cache import cache

    cache.clear()
    url = reverse("services:letter_verify", args=["abc"])
    codes = [client.get(url, REMOTE_ADDR="198.51.100.4").status_code for _ in range(5)]
    assert codes == [404, 404, 404, 429, 429]
    assert client.get(url, REMOTE_ADDR="198.51.100.5").status_code == 404


@pytest.mark.django_db
def test_reissue_revokes_the_old_letter_and_numbers_a_new_one(officer, rt1):
    old = issued_letter(officer=officer, rt=rt1)
    new = committed(workflow.letter_reissue, letter=old, by=officer, reason="salah ketik alamat")
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.revoked_at and new.replaces == old and new.seq == old.seq + 1
    assert new.is_rendered and new.sha256 != ""
    page = Client().get(reverse("services:letter_verify", args=[old.token])).content.decode()
    assert new.number in page


# --- hand-over --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_hand_over_by_pickup_or_courier_completes_the_case(officer, rt1):
    letter = issued_letter(officer=officer, rt=rt1)
    application = letter.application
    with pytest.raises(WorkflowError, match="nama orang"):
        workflow.application_hand_over(application=application, by=officer, method="pickup")
    workflow.application_hand_over(
        application=application, by=officer, method="pickup", received_by="Siti (pemohon)"
    )
    assert application.state == S.COMPLETED and application.handed_over_to == "Siti (pemohon)"
    courier = issued_letter(officer=officer, rt=rt1, nik="3271010101900012").application
    with pytest.raises(WorkflowError, match="resi"):
        workflow.application_hand_over(
            application=courier, by=officer, method="courier", courier_name="JNE"
        )
    workflow.application_hand_over(
        application=courier,
        by=officer,
        method="courier",
        courier_name="JNE",
        courier_receipt="JN123",
    )
    assert courier.state == S.COMPLETED and courier.courier_receipt == "JN123"


@pytest.mark.django_db
def test_hand_over_waits_for_the_pdf(officer, rt1, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    letter = workflow.application_issue(
        application=case_in(S.VERIFIED, officer=officer, rt=rt1), by=officer
    )
    with pytest.raises(WorkflowError, match="masih dibuat"):
        workflow.application_hand_over(
            application=letter.application, by=officer, method="pickup", received_by="X"
        )


# --- pages and access -------------------------------------------------------------------------
@pytest.mark.django_db
def test_officer_issues_downloads_and_hands_over_through_the_pages(officer_client, officer, rt1):
    application = case_in(S.VERIFIED, officer=officer, rt=rt1)
    page = officer_client.get(reverse("services:application_detail", args=[application.code]))
    assert "Terbitkan surat" in page.content.decode()
    committed(
        officer_client.post,
        path=reverse("services:application_issue", args=[application.code]),
        data={"state": "verified"},
    )
    letter = Letter.objects.get()
    download = officer_client.get(
        reverse("services:letter_pdf", args=[application.code, letter.token])
    )
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    response = officer_client.post(
        reverse("services:application_hand_over", args=[application.code]),
        {"state": "issued", "method": "pickup", "received_by": "Siti"},
        follow=True,
    )
    assert "permohonan selesai" in response.content.decode()
    application.refresh_from_db()
    assert application.state == S.COMPLETED


@pytest.mark.django_db
def test_letter_urls_of_another_office_answer_404(client, officer, rt1, other_officer, rt_chair):
    letter = issued_letter(officer=officer, rt=rt1)
    code = letter.application.code
    urls = [
        ("get", reverse("services:letter_pdf", args=[code, letter.token])),
        ("get", reverse("services:bundle_pdf", args=[code])),
        ("post", reverse("services:letter_revoke", args=[code, letter.token])),
        ("post", reverse("services:letter_reissue", args=[code, letter.token])),
        ("post", reverse("services:application_issue", args=[code])),
        ("post", reverse("services:application_hand_over", args=[code])),
    ]
    for user in (other_officer, rt_chair):
        client.force_login(user)
        for method, url in urls:
            assert getattr(client, method)(url, {"reason": "x"}).status_code == 404, url
    letter.refresh_from_db()
    assert letter.revoked_at is None


# --- archive bundle and the digital RT cover letter -------------------------------------------
@pytest.mark.django_db
def test_archive_bundle_has_a_cover_sheet_then_one_page_per_accepted_image(officer, rt1):
    from services.documents.cleaning import clean_upload

    application = ApplicationFactory(officer=officer, rt=rt1)
    workflow.attachment_add(
        application=application,
        requirement=application.service.requirements.get(code="fotokopi-kk"),
        files=[clean_upload(pdf_upload("kk-halaman-2.pdf"))],
        by=officer,
    )
    for attachment in application.attachments.all():
        workflow.attachment_accept(attachment=attachment, by=officer)
    committed(workflow.application_archive, application=application, by=officer)
    application.refresh_from_db()
    assert application.bundle_sha256
    with application.bundle.open("rb") as f, pikepdf.open(io.BytesIO(f.read())) as bundle:
        # cover sheet + 4 accepted photos + the 1-page PDF attachment
        assert len(bundle.pages) == 1 + 4 + 1
    assert render_bundle(application.pk) is False  # once per case


@pytest.mark.django_db
def test_rt_approval_standing_in_for_the_cover_letter_renders_a_digital_one(officer, rt1, rt_chair):
    from services.documents.cleaning import clean_upload
    from tests.conftest import jpeg_upload
    from verification.workflow import application_send_to_rt, verification_approve

    application = ApplicationFactory(officer=officer, rt=rt1, docs=False)
    for requirement in application.service.requirements.exclude(kind="rt_cover_letter"):
        workflow.attachment_add(
            application=application,
            requirement=requirement,
            files=[clean_upload(jpeg_upload())],
            by=officer,
        )
    for attachment in application.attachments.all():
        workflow.attachment_accept(attachment=attachment, by=officer)
    workflow.application_archive(application=application, by=officer)
    request = application_send_to_rt(application=application, by=officer)
    committed(verification_approve, request=request, by=rt_chair)
    cover = Letter.objects.get(application=application, kind=LetterKind.RT_COVER)
    assert cover.is_rendered and cover.signatory_name == rt_chair.get_full_name()
    assert cover.signatory_title == "Ketua RT 001/RW 001"
    page = Client().get(reverse("services:letter_verify", args=[cover.token])).content.decode()
    assert "Surat pengantar RT digital" in page and "SAH" in page


@pytest.mark.django_db
def test_number_pattern_is_validated_in_the_admin_form():
    from django.core.exceptions import ValidationError

    service = Service.objects.get(code="KK")
    service.number_pattern = "{classification}/{office}/{year}"
    with pytest.raises(ValidationError, match="seq"):
        service.full_clean()
    service.number_pattern = "{classification}/{nomor}/{year}"
    with pytest.raises(ValidationError, match="tidak dikenal"):
        service.full_clean()
