"""Files chosen on an intake form survive a validation error (kept server-side per session)."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from services.documents.pending import SESSION_KEY, purge_expired
from services.models import Application, Service
from tests.conftest import jpeg_upload, pdf_upload
from tests.factories import OfficerFactory

KEPT = re.compile(r'name="(berkas_\d+__simpan)" value="([^"]+)"')


def intake_url(code="KTP", variant=""):
    if variant:
        return reverse("services:application_create_variant", args=[code, variant])
    return reverse("services:application_create", args=[code])


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


def kept_inputs(page: str) -> dict[str, list[str]]:
    kept: dict[str, list[str]] = {}
    for name, token in KEPT.findall(page):
        kept.setdefault(name, []).append(token)
    return kept


def pending_files(settings) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "pending"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def ktp():
    return Service.objects.get(code="KTP")


@pytest.fixture
def first_two(ktp):
    return [f"berkas_{r.pk}" for r in ktp.requirements.all()[:2]]


def failed_intake(client, rt, fields, files=None):
    """Post the form with a bad NIK and the given files; return the page."""
    data = intake_data(rt, nik="123")
    files = files or {fields[0]: [jpeg_upload("ktp.jpg")], fields[1]: [pdf_upload("kk.pdf")]}
    data.update(files)
    response = client.post(intake_url(), data)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_files_are_kept_after_an_error_and_used_on_the_next_submit(
    officer_client, rt1, first_two, settings
):
    page = failed_intake(officer_client, rt1, first_two)
    assert "sudah dipilih: ktp.jpg ✓" in page and "sudah dipilih: kk.pdf ✓" in page
    assert "tidak perlu dipilih ulang" in page
    assert not Application.objects.exists()
    kept = kept_inputs(page)
    assert set(kept) == {f"{name}__simpan" for name in first_two}
    assert all(len(token) >= 32 for tokens in kept.values() for token in tokens)
    stored = pending_files(settings)
    # The photo and the PDF as sent, in private media: the NIK was wrong, so nothing was
    # decoded (no thumbnail yet); they are decoded on the submit that passes.
    assert len(stored) == 2
    assert all(f.stat().st_mode & 0o007 == 0 for f in stored)  # not world-readable

    response = officer_client.post(intake_url(), {**intake_data(rt1), **kept})
    application = Application.objects.get()
    assert response["Location"] == reverse("services:application_receipt", args=[application.code])
    names = sorted(application.attachments.values_list("original_name", flat=True))
    assert names == ["kk.pdf", "ktp.jpg"]
    photo = application.attachments.get(original_name="ktp.jpg")
    assert photo.thumbnail and photo.content_type == "image/jpeg"
    assert pending_files(settings) == []  # cleaned up on success
    assert not officer_client.session.get(SESSION_KEY)


@pytest.mark.django_db
def test_kept_files_and_new_ones_are_used_together(officer_client, rt1, first_two):
    kept = kept_inputs(failed_intake(officer_client, rt1, first_two))
    data = {**intake_data(rt1), **kept, first_two[0]: [jpeg_upload("ktp-belakang.jpg")]}
    officer_client.post(intake_url(), data)
    application = Application.objects.get()
    assert application.attachments.count() == 3


@pytest.mark.django_db
def test_another_user_cannot_claim_the_kept_files(
    officer_client, officer, rt1, first_two, settings
):
    kept = kept_inputs(failed_intake(officer_client, rt1, first_two))
    colleague = Client()
    colleague.force_login(OfficerFactory(username="petugas2", office=officer.membership.office))
    colleague.post(intake_url(), {**intake_data(rt1), **kept})
    application = Application.objects.get()
    assert application.attachments.count() == 0  # the tokens are not in this session
    assert len(pending_files(settings)) == 2  # and the owner still has them (as sent)


@pytest.mark.django_db
def test_a_forged_token_or_one_of_another_form_is_ignored(officer_client, rt1, first_two):
    kept = kept_inputs(failed_intake(officer_client, rt1, first_two))
    kk = Service.objects.get(code="KK")
    kk_field = f"berkas_{kk.requirements.first().pk}"
    token = kept[f"{first_two[0]}__simpan"][0]
    officer_client.post(
        intake_url("KK", "baru"),
        {**intake_data(rt1, nik="3271010101900004"), f"{kk_field}__simpan": [token, "x" * 32]},
    )
    application = Application.objects.get()
    assert application.service == kk and application.attachments.count() == 0


@pytest.mark.django_db
def test_the_remove_button_drops_one_file_and_saves_nothing(
    officer_client, rt1, first_two, settings
):
    kept = kept_inputs(failed_intake(officer_client, rt1, first_two))
    photo_token = kept[f"{first_two[0]}__simpan"][0]
    response = officer_client.post(
        intake_url(), {**intake_data(rt1), **kept, "hapus_berkas": photo_token}
    )
    page = response.content.decode()
    assert response.status_code == 200 and not Application.objects.exists()
    assert "ktp.jpg dihapus dari berkas yang dipilih." in page
    assert "sudah dipilih: ktp.jpg" not in page and "sudah dipilih: kk.pdf ✓" in page
    assert len(pending_files(settings)) == 1  # the photo and its thumbnail are gone

    officer_client.post(intake_url(), {**intake_data(rt1), **kept_inputs(page)})
    application = Application.objects.get()
    assert list(application.attachments.values_list("original_name", flat=True)) == ["kk.pdf"]


@pytest.mark.django_db
def test_a_bad_file_next_to_a_good_one_keeps_the_good_one(officer_client, rt1, first_two):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("virus.jpg", b"<html>not a photo</html>")
    page = failed_intake(
        officer_client, rt1, first_two, {first_two[0]: [jpeg_upload("ktp.jpg"), bad]}
    )
    assert "virus.jpg:" in page
    assert "sudah dipilih: ktp.jpg ✓" in page and "sudah dipilih: virus.jpg" not in page


@pytest.mark.django_db
def test_kept_files_expire(officer_client, rt1, first_two, settings, time_machine):
    from django.utils import timezone

    settings.PENDING_UPLOAD_TTL_SECONDS = 60
    time_machine.move_to(timezone.now(), tick=False)
    kept = kept_inputs(failed_intake(officer_client, rt1, first_two))
    time_machine.shift(120)
    officer_client.post(intake_url(), {**intake_data(rt1), **kept})
    assert Application.objects.get().attachments.count() == 0
    assert pending_files(settings) == []  # deleted when the expired tokens were seen


@pytest.mark.django_db
def test_purge_deletes_files_left_by_sessions_that_never_came_back(
    officer_client, rt1, first_two, settings
):
    import time

    failed_intake(officer_client, rt1, first_two)
    assert purge_expired() == 0
    assert purge_expired(time.time() + 3 * 60 * 60) == 2  # the two files as sent
    assert pending_files(settings) == []


@pytest.mark.django_db
def test_over_the_session_cap_a_file_is_not_kept_and_the_form_says_so(
    officer_client, rt1, first_two, settings
):
    settings.PENDING_UPLOAD_MAX_FILES = 1
    page = failed_intake(officer_client, rt1, first_two)
    assert "sudah dipilih: ktp.jpg ✓" in page
    assert "Pilih ulang: kk.pdf" in page
    assert len(pending_files(settings)) == 1  # the photo only (as sent: nothing decoded)


@pytest.mark.django_db
def test_the_rt_chairs_form_keeps_files_too_and_asks_no_cover_letter(client, rt_chair, rt1):
    client.force_login(rt_chair)
    service = Service.objects.get(code="KTP")
    url = reverse("verification:assisted_create", args=["KTP"])
    page = client.get(url).content.decode()
    for requirement in service.requirements.all():
        shown = f'name="berkas_{requirement.pk}"' in page
        assert shown == (requirement.kind != "rt_cover_letter"), requirement.label
    field = f"berkas_{service.requirements.exclude(kind='rt_cover_letter').first().pk}"
    data = {
        "applicant_name": "Mbah Karsiyem",
        "nik": "123",
        "phone": "0813 1111 2222",
        "address": "Jl. Kenanga 2",
        "delivery": "pickup",
        field: [jpeg_upload("ktp.jpg")],
    }
    page = client.post(url, data).content.decode()
    assert "sudah dipilih: ktp.jpg ✓" in page
    del data[field]  # the browser does not send the file again
    response = client.post(url, {**data, "nik": "3271016507450001", **kept_inputs(page)})
    assert response.status_code == 302
    assert Application.objects.get().attachments.count() == 1


# --- anonymous disk fill: the public complaint form's kept photo (issue 15 point 2) ----------
def failed_complaint(client, office, name="jalan.jpg", address="10.0.0.1"):
    """A public complaint whose text is too short, with a photo: the photo is kept (or not)."""
    return client.post(
        reverse("services:complaint_form"),
        {"office": office.pk, "kind": "pengaduan", "text": "pendek", "photo": jpeg_upload(name)},
        REMOTE_ADDR=address,
    ).content.decode()


@pytest.mark.django_db
def test_new_sessions_from_one_address_keep_photos_only_up_to_the_address_cap(office, settings):
    size = len(jpeg_upload().read())
    settings.PENDING_UPLOAD_MAX_BYTES_PER_ADDRESS = size  # one photo per address
    assert "sudah dipilih: jalan.jpg ✓" in failed_complaint(Client(), office)

    page = failed_complaint(Client(), office)  # a fresh session, the same address

    assert "sudah dipilih: jalan.jpg" not in page and "Pilih ulang: jalan.jpg" in page
    assert len(pending_files(settings)) == 1
    assert "sudah dipilih: jalan.jpg ✓" in failed_complaint(Client(), office, address="10.0.0.2")


@pytest.mark.django_db
def test_every_session_together_keeps_at_most_the_total_cap(office, settings):
    size = len(jpeg_upload().read())
    settings.PENDING_UPLOAD_TOTAL_MAX_BYTES = 2 * size
    for i in range(2):
        page = failed_complaint(Client(), office, address=f"10.0.1.{i}")
        assert "sudah dipilih: jalan.jpg ✓" in page

    page = failed_complaint(Client(), office, address="10.0.1.9")

    assert "Pilih ulang: jalan.jpg" in page
    assert len(pending_files(settings)) == 2
    assert sum(f.stat().st_size for f in pending_files(settings)) <= 2 * size


@pytest.mark.django_db
def test_the_scheduled_job_deletes_kept_files_of_sessions_that_never_came_back(
    office, settings, time_machine
):
    from django.utils import timezone
    from django_q.models import Schedule

    from services import jobs, tasks

    time_machine.move_to(timezone.now(), tick=False)
    failed_complaint(Client(), office)
    assert tasks.purge_pending_uploads_task() == 0
    time_machine.shift(3 * 60 * 60)  # past the 2-hour TTL, and nobody came back

    assert tasks.purge_pending_uploads_task() == 1
    assert pending_files(settings) == []
    schedule = Schedule.objects.get(func=jobs.PURGE_PENDING_UPLOADS)
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 10, -1)
