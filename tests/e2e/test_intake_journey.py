import io
import re

import pytest
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from kelurahan.management.commands.seed_demo import DEMO_PASSWORD
from services.models import Application, ApplicationState


def photo(name: str, color) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), color).save(buffer, "JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_officer_records_checks_and_archives_a_ktp_application(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    page.goto(live_server.url + "/masuk/")
    page.get_by_label("Nama pengguna").fill("petugas")
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("heading", name="Antrean permohonan")).to_be_visible()

    # Record the application with a file for each requirement.
    page.get_by_role("link", name="Permohonan baru").first.click()
    page.get_by_role("link", name=re.compile("Pembuatan KTP")).click()
    page.get_by_label("Nama lengkap pemohon").fill("Siti Rahmawati")
    page.get_by_label("NIK pemohon").fill("3271014501900002")
    page.get_by_label("Nomor WhatsApp/telepon").fill("0812 3456 7890")
    page.get_by_label("Alamat", exact=True).fill("Jl. Mawar No. 3")
    page.get_by_label("RT/RW tempat tinggal").select_option(label="RT 001/RW 001")
    page.get_by_label("Berkas diterima lewat").select_option("whatsapp")
    for i, label in enumerate(
        ["Surat pengantar RT", "Fotokopi Kartu Keluarga (KK)", "Fotokopi KTP lama", "Pas foto"]
    ):
        page.get_by_label(label, exact=True).set_input_files(
            [photo(f"berkas-{i}.jpg", (40 * i, 120, 200))]
        )
    page.get_by_role("button", name="Simpan permohonan").click()

    # The receipt shows the reference code.
    expect(page.get_by_role("heading", name="Tanda Terima Permohonan")).to_be_visible()
    code = Application.objects.get().code
    expect(page.locator(".code")).to_have_text(code)
    page.get_by_role("link", name="Buka permohonan").click()

    # Reject the cover letter with a reason, accept the rest, mark incomplete.
    docs = page.locator("li.doc")
    expect(docs).to_have_count(4)
    first = docs.nth(0)
    first.get_by_placeholder(re.compile("Alasan ditolak")).fill("tidak ada cap RT")
    first.get_by_role("button", name="Tolak").click()
    expect(page.get_by_text("Berkas ditolak.")).to_be_visible()
    for i in range(1, 4):
        page.locator("li.doc").nth(i).get_by_role("button", name="Terima").click()
        expect(page.get_by_text("Berkas diterima.")).to_be_visible()
    page.get_by_role("button", name="Tandai belum lengkap").click()
    expect(page.get_by_text("Ditandai belum lengkap. Sampaikan")).to_be_visible()
    expect(page.locator("h1 .state")).to_have_text("Belum lengkap")

    # The resident sends a new cover letter; the officer uploads it and resubmits.
    page.get_by_label("Persyaratan", exact=True).select_option(label="Surat pengantar RT")
    page.get_by_label("Berkas (foto atau PDF)").set_input_files(
        [photo("pengantar-baru.jpg", (9, 9, 9))]
    )
    page.get_by_role("button", name="Unggah").click()
    expect(page.get_by_text("1 berkas ditambahkan")).to_be_visible()
    page.get_by_role("button", name=re.compile("ajukan ulang")).click()
    expect(page.locator("h1 .state")).to_have_text("Diterima")

    # Accept the new file and archive.
    new_doc = page.locator("li.doc", has_text="pengantar-baru.jpg")
    new_doc.get_by_role("button", name="Terima").click()
    expect(page.get_by_text("Berkas diterima.")).to_be_visible()
    page.get_by_role("button", name="Arsipkan (berkas lengkap)").click()
    expect(page.get_by_text("Permohonan diarsipkan.")).to_be_visible()
    expect(page.locator("h1 .state")).to_have_text("Diarsipkan")
    assert Application.objects.get().state == ApplicationState.ARCHIVED
    expect(page.locator(".timeline")).to_contain_text("Diajukan ulang")

    page.get_by_role("link", name="Tanda terima").click()
    expect(page.locator(".code")).to_have_text(code)


def assert_no_axe_violations(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_officer_picks_a_kk_variant_and_answers_the_service_own_question(
    live_server, page, settings
):
    from services.models import Service, ServiceField

    settings.DEBUG = True
    call_command("seed_demo")
    kk = Service.objects.get(code="KK")
    ServiceField.objects.create(
        service=kk, code="alasan_perubahan", label="Alasan perubahan KK", kind="long_text"
    )
    page.goto(live_server.url + "/masuk/")
    page.get_by_label("Nama pengguna").fill("petugas")
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.get_by_role("link", name="Permohonan baru").first.click()
    page.get_by_role("link", name=re.compile("Kartu Keluarga")).click()

    # The variant comes first; each lists what it needs.
    expect(page.get_by_role("link", name=re.compile("Pindah datang"))).to_contain_text(
        "Surat keterangan pindah"
    )
    expect(page.get_by_role("link", name=re.compile("KK baru"))).not_to_contain_text(
        "Surat keterangan pindah"
    )
    assert_no_axe_violations(page)
    page.get_by_role("link", name=re.compile("Pindah datang")).click()
    expect(page.get_by_label("Surat keterangan pindah dari daerah asal")).to_be_visible()
    page.get_by_role("link", name="ganti jenis").click()
    page.get_by_role("link", name=re.compile("Tambah anggota keluarga")).click()
    expect(page.get_by_text("Jenis permohonan: Tambah anggota keluarga")).to_be_visible()
    expect(page.get_by_label("Surat keterangan pindah dari daerah asal")).to_have_count(0)

    page.get_by_label("Nama lengkap pemohon").fill("Siti Rahmawati")
    page.get_by_label("NIK pemohon").fill("3271014501900002")
    page.get_by_label("Nomor WhatsApp/telepon").fill("0812 3456 7890")
    page.get_by_label("Alamat", exact=True).fill("Jl. Mawar No. 3")
    page.get_by_label("RT/RW tempat tinggal").select_option(label="RT 001/RW 001")
    page.get_by_role("button", name="Simpan permohonan").click()
    # The service's own question is required.
    expect(page.locator(".has-error", has_text="Alasan perubahan KK")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_label("Alasan perubahan KK").fill("Kelahiran anak kedua")
    page.get_by_role("button", name="Simpan permohonan").click()

    expect(page.get_by_role("heading", name="Tanda Terima Permohonan")).to_be_visible()
    expect(page.locator(".receipt")).to_contain_text("Tambah anggota keluarga")
    expect(page.locator(".receipt")).to_contain_text("Kelahiran anak kedua")
    assert_no_axe_violations(page)
    application = Application.objects.get()
    assert application.variant.code == "tambah-anggota"
    assert application.extra == {"alasan_perubahan": "Kelahiran anak kedua"}
