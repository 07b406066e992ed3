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
    assert len(stored) == 3  # the photo, its thumbnail and the PDF, in private media
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
    assert len(pending_files(settings)) == 3  # and the owner still has them


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
    assert purge_expired(time.time() + 3 * 60 * 60) == 3
    assert pending_files(settings) == []


@pytest.mark.django_db
def test_over_the_session_cap_a_file_is_not_kept_and_the_form_says_so(
    officer_client, rt1, first_two, settings
):
    settings.PENDING_UPLOAD_MAX_FILES = 1
    page = failed_intake(officer_client, rt1, first_two)
    assert "sudah dipilih: ktp.jpg ✓" in page
    assert "Pilih ulang: kk.pdf" in page
    assert len(pending_files(settings)) == 2  # the photo and its thumbnail only


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
