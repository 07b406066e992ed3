"""Service variants (jenis permohonan), per-service data fields, and what letters make of them."""

import io

import pypdf
import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from services import workflow
from services.catalogue import clean_extra, requirements_for
from services.documents.cleaning import clean_upload
from services.models import (
    Application,
    ApplicationState,
    Letter,
    Service,
    ServiceField,
    ServiceVariant,
)
from services.requirements import requirement_statuses
from services.workflow import WorkflowError
from tests.conftest import PASSWORD, committed, jpeg_upload
from tests.factories import AdminFactory, ApplicationFactory, issued_letter, log_in
from tests.test_admin import data_field_rows, inline_management

S = ApplicationState


def kk(code: str) -> ServiceVariant:
    return ServiceVariant.objects.get(service__code="KK", code=code)


def accept_all(application, officer):
    for attachment in application.attachments.all():
        workflow.attachment_accept(attachment=attachment, by=officer)


def pdf_text(letter: Letter) -> str:
    """The PDF's text layer with whitespace collapsed (lines wrap anywhere)."""
    letter.refresh_from_db()
    with letter.pdf.open("rb") as f:
        reader = pypdf.PdfReader(io.BytesIO(f.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def pdf_image_count(letter: Letter) -> int:
    letter.refresh_from_db()
    with letter.pdf.open("rb") as f:
        reader = pypdf.PdfReader(io.BytesIO(f.read()))
    return sum(len(page.images) for page in reader.pages)


# --- the seeded catalogue ---------------------------------------------------------------------
@pytest.mark.django_db
def test_kk_has_four_variants_and_only_pindah_datang_asks_the_moving_certificate():
    service = Service.objects.get(code="KK")
    assert [v.code for v in service.variants.order_by("order")] == [
        "baru",
        "tambah-anggota",
        "pisah-kk",
        "pindah-datang",
    ]
    for variant in service.variants.all():
        codes = [r.code for r in requirements_for(service, variant)]
        assert ("surat-pindah" in codes) == (variant.code == "pindah-datang"), variant
        assert codes[:2] == ["pengantar-rt", "fotokopi-kk-lama"]
    assert [f.code for f in Service.objects.get(code="SITU").data_fields.all()] == [
        "nama_usaha",
        "jenis_usaha",
        "alamat_usaha",
    ]
    assert [f.code for f in Service.objects.get(code="NIKAH").data_fields.all()] == [
        "nama_calon_pasangan"
    ]


# --- variants decide the requirements ---------------------------------------------------------
@pytest.mark.django_db
def test_kk_baru_archives_without_the_moving_certificate(officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1, service="KK", variant="baru")
    assert application.variant == kk("baru")
    assert "surat-pindah" not in {
        a.requirement.code for a in application.attachments.select_related("requirement")
    }
    accept_all(application, officer)
    workflow.application_archive(application=application, by=officer)
    assert application.state == S.ARCHIVED


@pytest.mark.django_db
def test_kk_pindah_datang_cannot_archive_without_the_moving_certificate(officer, rt1):
    service = Service.objects.get(code="KK")
    variant = kk("pindah-datang")
    files = {
        r: [clean_upload(jpeg_upload(f"{r.code}.jpg"))]
        for r in requirements_for(service, variant)
        if r.code != "surat-pindah"
    }
    application = ApplicationFactory(
        officer=officer, rt=rt1, service="KK", docs=False, variant=variant, files=files
    )
    accept_all(application, officer)
    with pytest.raises(WorkflowError, match="Surat keterangan pindah dari daerah asal: belum ada"):
        workflow.application_archive(application=application, by=officer)
    application.refresh_from_db()
    assert application.state == S.RECEIVED
    statuses = requirement_statuses(application)
    assert [s.requirement.code for s in statuses][-1] == "surat-pindah"


@pytest.mark.django_db
def test_a_file_for_a_requirement_of_another_variant_is_refused(officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1, service="KK", variant="baru")
    moving = application.service.requirements.get(code="surat-pindah")
    with pytest.raises(WorkflowError, match="bukan untuk jenis permohonan"):
        workflow.attachment_add(
            application=application,
            requirement=moving,
            files=[clean_upload(jpeg_upload())],
            by=officer,
        )
    service, variant = application.service, kk("baru")
    with pytest.raises(WorkflowError, match="bukan dari jenis permohonan"):
        ApplicationFactory(
            officer=officer,
            rt=rt1,
            service="KK",
            docs=False,
            variant=variant,
            files={moving: [clean_upload(jpeg_upload())]},
        )
    assert list(Application.objects.values_list("variant", flat=True)) == [variant.pk]
    assert service.pk


@pytest.mark.django_db
def test_a_case_with_a_variant_of_another_service_is_refused(officer, rt1):
    with pytest.raises(WorkflowError, match="bukan untuk layanan Pembuatan KTP"):
        ApplicationFactory(officer=officer, rt=rt1, service="KTP", docs=False, variant=kk("baru"))
    with pytest.raises(WorkflowError, match="Pilih jenis permohonan"):
        ApplicationFactory(officer=officer, rt=rt1, service="KK", docs=False, variant=False)
    ServiceVariant.objects.filter(pk=kk("baru").pk).update(active=False)
    with pytest.raises(WorkflowError, match="sedang tidak dibuka"):
        ApplicationFactory(officer=officer, rt=rt1, service="KK", docs=False, variant=kk("baru"))
    assert not Application.objects.exists()


# --- intake pages -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_intake_asks_the_variant_first_then_only_its_requirements(officer_client):
    page = officer_client.get(reverse("services:application_create", args=["KK"]))
    html = page.content.decode()
    assert page.status_code == 200 and "Pindah datang" in html and "Pisah KK" in html
    assert 'name="nik"' not in html  # the form comes after the choice
    pindah = reverse("services:application_create_variant", args=["KK", "pindah-datang"])
    baru = reverse("services:application_create_variant", args=["KK", "baru"])
    assert f'href="{pindah}"' in html and f'href="{baru}"' in html
    moving = Service.objects.get(code="KK").requirements.get(code="surat-pindah")
    assert f'name="berkas_{moving.pk}"' in officer_client.get(pindah).content.decode()
    form = officer_client.get(baru).content.decode()
    assert f'name="berkas_{moving.pk}"' not in form and "KK baru" in form
    missing = reverse("services:application_create_variant", args=["KK", "tidak-ada"])
    assert officer_client.get(missing).status_code == 404
    ktp_variant = reverse("services:application_create_variant", args=["KTP", "baru"])
    assert officer_client.get(ktp_variant).status_code == 404


def situ_post(rt, **extra) -> dict:
    return {
        "applicant_name": "Bu Tini",
        "nik": "3271015507600001",
        "phone": "081311112222",
        "address": "Jl. Dahlia 1",
        "rt": rt.pk,
        "channel": "walk_in",
        "delivery": "pickup",
        **extra,
    }


@pytest.mark.django_db
def test_situ_form_asks_validates_and_stores_the_business_data(officer_client, rt1):
    url = reverse("services:application_create", args=["SITU"])
    form = officer_client.get(url).content.decode()
    assert "Nama usaha" in form and "Jenis usaha" in form and "Alamat tempat usaha" in form

    response = officer_client.post(
        url, situ_post(rt1, data_nama_usaha="x" * 121, data_jenis_usaha="warung")
    )
    assert response.status_code == 200 and not Application.objects.exists()
    errors = response.context["form"].errors
    assert "data_nama_usaha" in errors and "data_alamat_usaha" in errors
    assert "data_jenis_usaha" not in errors

    response = officer_client.post(
        url,
        situ_post(
            rt1,
            data_nama_usaha="  Warung <b>Bu Tini</b>  ",
            data_jenis_usaha="warung makan",
            data_alamat_usaha="Jl. Dahlia 1, depan pasar",
        ),
    )
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.extra == {
        "nama_usaha": "Warung <b>Bu Tini</b>",
        "jenis_usaha": "warung makan",
        "alamat_usaha": "Jl. Dahlia 1, depan pasar",
    }
    for name in ("application_receipt", "application_detail"):
        page = officer_client.get(reverse(f"services:{name}", args=[application.code]))
        html = page.content.decode()
        assert "Nama usaha" in html and "Warung &lt;b&gt;Bu Tini&lt;/b&gt;" in html
        assert "Jl. Dahlia 1, depan pasar" in html


@pytest.mark.django_db
def test_the_case_page_and_receipt_show_the_variant(officer_client, officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1, service="KK", variant="pindah-datang")
    for name in ("application_receipt", "application_detail"):
        html = officer_client.get(reverse(f"services:{name}", args=[application.code])).content
        assert "Jenis permohonan" in html.decode() and "Pindah datang" in html.decode()


@pytest.mark.django_db
def test_date_number_and_choice_fields_are_validated_and_stored_as_json(officer, rt1):
    service = Service.objects.get(code="KTP")
    ServiceField.objects.create(
        service=service, code="tanggal_hilang", label="Tanggal hilang", kind="date"
    )
    ServiceField.objects.create(service=service, code="jumlah", label="Jumlah", kind="number")
    ServiceField.objects.create(
        service=service, code="alasan", label="Alasan", kind="choice", choices="Hilang\nRusak\n"
    )
    with pytest.raises(Exception) as excinfo:
        clean_extra(service, {"tanggal_hilang": "2026-13-01", "jumlah": "tiga", "alasan": "Dicuri"})
    messages = " ".join(excinfo.value.messages)
    assert "Tanggal hilang:" in messages and "Jumlah:" in messages and "Alasan:" in messages
    with pytest.raises(WorkflowError, match="tidak dikenal"):
        ApplicationFactory(
            officer=officer, rt=rt1, service="KTP", docs=False, extra={"nama_usaha": "x"}
        )
    application = ApplicationFactory(
        officer=officer,
        rt=rt1,
        service="KTP",
        docs=False,
        extra={"tanggal_hilang": "2026-11-02", "jumlah": "3", "alasan": "Rusak"},
    )
    application.refresh_from_db()
    assert application.extra == {"tanggal_hilang": "2026-11-02", "jumlah": 3, "alasan": "Rusak"}
    from services.catalogue import extra_rows

    assert [r.text for r in extra_rows(application)] == ["2 November 2026", "3", "Rusak"]


@pytest.mark.django_db
def test_rt_chair_assisted_form_asks_the_variant_and_the_fields_too(client, rt_chair, rt1):
    client.force_login(rt_chair)
    choice = client.get(reverse("verification:assisted_create", args=["KK"])).content.decode()
    assert "Tambah anggota keluarga" in choice
    assert reverse("verification:assisted_create_variant", args=["KK", "tambah-anggota"]) in choice
    url = reverse("verification:assisted_create", args=["NIKAH"])
    form = client.get(url).content.decode()
    assert "Nama calon pasangan" in form
    data = {
        "applicant_name": "Rina",
        "nik": "3271015507600001",
        "phone": "081311112222",
        "address": "Jl. Dahlia 2",
        "delivery": "pickup",
    }
    response = client.post(url, data)
    assert (
        response.status_code == 200
        and "data_nama_calon_pasangan" in response.context["form"].errors
    )
    response = client.post(url, {**data, "data_nama_calon_pasangan": "Budi Santoso"})
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.extra == {"nama_calon_pasangan": "Budi Santoso"}
    assert application.assisted_by_user == rt_chair


@pytest.mark.django_db
def test_catalogue_lists_the_variants_data_and_which_requirement_is_for_whom(officer_client):
    html = officer_client.get(reverse("services:catalogue")).content.decode()
    for name in ("KK baru", "Tambah anggota keluarga", "Pisah KK", "Pindah datang"):
        assert name in html
    assert "(hanya untuk pindah datang)" in html
    assert "Data yang ditanyakan: nama usaha, jenis usaha, alamat tempat usaha." in html


# --- letters ----------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("code", ["KK", "KTP", "NIKAH", "SITU"])
def test_no_letter_says_its_opening_sentence_twice(officer, rt1, code):
    letter = issued_letter(officer=officer, rt=rt1, service=code)
    text = pdf_text(letter)
    assert text.count("Yang bertanda tangan di bawah ini") == 1, text
    assert "Orang tersebut di atas benar penduduk" in text


@pytest.mark.django_db
def test_data_fields_fill_placeholders_and_html_in_a_value_prints_literally(officer, rt1):
    Service.objects.filter(code="SITU").update(
        letter_body="Usaha {nama_usaha} ({jenis_usaha}) di {alamat_usaha}."
    )
    letter = issued_letter(
        officer=officer,
        rt=rt1,
        service="SITU",
        extra={
            "nama_usaha": '<b>Warung</b> "Sri" & Co',
            "jenis_usaha": "warung makan",
            "alamat_usaha": "Pasar Kalidoni blok B",
        },
    )
    text = pdf_text(letter)
    assert 'Usaha <b>Warung</b> "Sri" & Co (warung makan) di Pasar Kalidoni blok B' in text
    assert "Nama usaha : <b>Warung</b>" in text  # the data table row
    assert "{" not in text


@pytest.mark.django_db
def test_nikah_letter_names_the_future_spouse_in_the_body(officer, rt1):
    letter = issued_letter(
        officer=officer, rt=rt1, service="NIKAH", extra={"nama_calon_pasangan": "Budi Santoso"}
    )
    text = pdf_text(letter)
    assert "melangsungkan pernikahan dengan Budi Santoso" in text
    assert "Nama calon pasangan" not in text  # on_letter off: the body says it


@pytest.mark.django_db
def test_kk_letter_prints_the_variant(officer, rt1):
    letter = issued_letter(officer=officer, rt=rt1, service="KK", variant="pindah-datang")
    assert "Jenis permohonan : Pindah datang" in pdf_text(letter)


# --- the admin --------------------------------------------------------------------------------
@pytest.fixture
def admin_client(client, django_user_model):
    admin = AdminFactory(username="pengelola", password=PASSWORD)
    log_in(client, admin)
    return client


def service_post(service: Service, **changes) -> dict:
    data = {
        "code": service.code,
        "name": service.name,
        "description": service.description,
        "output": service.output,
        "sla_days": service.sla_days,
        "order": service.order,
        "active": "on",
        "rt_approval_replaces_cover_letter": "on",
        "classification": service.classification,
        "number_pattern": service.number_pattern,
        "letter_title": service.letter_title,
        "letter_body": service.letter_body,
        **inline_management("variants", service.variants.count()),
        **inline_management("data_fields", service.data_fields.count()),
        **inline_management("requirements", service.requirements.count()),
        **data_field_rows(service),
    }
    for i, v in enumerate(service.variants.order_by("order", "id")):
        data.update(
            {
                f"variants-{i}-id": v.pk,
                f"variants-{i}-service": service.pk,
                f"variants-{i}-order": v.order,
                f"variants-{i}-code": v.code,
                f"variants-{i}-name": v.name,
                f"variants-{i}-description": v.description,
                f"variants-{i}-active": "on" if v.active else "",
            }
        )
    for i, r in enumerate(
        service.requirements.order_by("order", "id").prefetch_related("variants")
    ):
        data.update(
            {
                f"requirements-{i}-id": r.pk,
                f"requirements-{i}-service": service.pk,
                f"requirements-{i}-order": r.order,
                f"requirements-{i}-code": r.code,
                f"requirements-{i}-label": r.label,
                f"requirements-{i}-kind": r.kind,
                f"requirements-{i}-required": "on" if r.required else "",
                f"requirements-{i}-help_text": r.help_text,
                f"requirements-{i}-variants": [v.pk for v in r.variants.all()],
            }
        )
    data.update(changes)
    return data


@pytest.mark.django_db
def test_admin_refuses_an_unknown_placeholder_and_lists_the_valid_ones(admin_client):
    service = Service.objects.get(code="KTP")
    before = service.letter_body
    url = reverse("admin:services_service_change", args=[service.pk])
    response = admin_client.post(
        url, service_post(service, letter_body="Usaha {nama_usaha} di {alamat}.")
    )
    assert response.status_code == 200
    (error,) = response.context["adminform"].form.errors["letter_body"]
    assert "Penanda tidak dikenal: {nama_usaha}" in error
    assert "{nama}, {nik}" in error and "{jenis_permohonan}" in error
    service.refresh_from_db()
    assert service.letter_body == before


@pytest.mark.django_db
def test_admin_accepts_the_service_own_field_codes_even_one_added_in_the_same_save(admin_client):
    situ = Service.objects.get(code="SITU")
    url = reverse("admin:services_service_change", args=[situ.pk])
    response = admin_client.post(url, service_post(situ, letter_body="Usaha {nama_usaha}."))
    assert response.status_code == 302
    ktp = Service.objects.get(code="KTP")
    data = service_post(
        ktp,
        letter_body="Hilang pada {tanggal_hilang}.",
        **{
            "data_fields-TOTAL_FORMS": 1,
            "data_fields-0-service": ktp.pk,
            "data_fields-0-order": 10,
            "data_fields-0-code": "tanggal_hilang",
            "data_fields-0-label": "Tanggal hilang",
            "data_fields-0-kind": "date",
            "data_fields-0-required": "on",
            "data_fields-0-max_length": 120,
        },
    )
    response = admin_client.post(reverse("admin:services_service_change", args=[ktp.pk]), data)
    assert response.status_code == 302
    assert ktp.data_fields.get().code == "tanggal_hilang"
    # Deleting the field the body uses, in the same save, is refused.
    ktp.refresh_from_db()
    data = service_post(ktp, **{"data_fields-0-DELETE": "on"})
    response = admin_client.post(reverse("admin:services_service_change", args=[ktp.pk]), data)
    assert response.status_code == 200 and ktp.data_fields.exists()


@pytest.mark.django_db
def test_admin_refuses_the_opening_sentence_in_a_body_and_a_field_code_of_a_builtin(admin_client):
    ktp = Service.objects.get(code="KTP")
    url = reverse("admin:services_service_change", args=[ktp.pk])
    body = "Yang bertanda tangan di bawah ini menerangkan bahwa {nama} benar warga."
    response = admin_client.post(url, service_post(ktp, letter_body=body))
    assert response.status_code == 200
    assert (
        "sudah dicetak oleh templat" in response.context["adminform"].form.errors["letter_body"][0]
    )
    data = service_post(
        ktp,
        **{
            "data_fields-TOTAL_FORMS": 1,
            "data_fields-0-service": ktp.pk,
            "data_fields-0-order": 10,
            "data_fields-0-code": "nama",
            "data_fields-0-label": "Nama",
            "data_fields-0-kind": "text",
            "data_fields-0-max_length": 120,
        },
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "penanda bawaan" in response.content.decode()
    assert not ktp.data_fields.exists()


@pytest.mark.django_db
def test_admin_ties_a_requirement_to_variants(admin_client):
    kk_service = Service.objects.get(code="KK")
    old_kk = kk_service.requirements.get(code="fotokopi-kk-lama")
    index = list(kk_service.requirements.order_by("order", "id")).index(old_kk)
    data = service_post(kk_service, **{f"requirements-{index}-variants": [kk("pisah-kk").pk]})
    response = admin_client.post(
        reverse("admin:services_service_change", args=[kk_service.pk]), data
    )
    assert response.status_code == 302
    assert list(old_kk.variants.all()) == [kk("pisah-kk")]
    assert "fotokopi-kk-lama" not in [r.code for r in requirements_for(kk_service, kk("baru"))]
    # Another service's variant is not a choice.
    ktp = Service.objects.get(code="KTP")
    other = ServiceVariant.objects.create(service=ktp, code="baru", name="KTP baru")
    data = service_post(kk_service, **{f"requirements-{index}-variants": [other.pk]})
    response = admin_client.post(
        reverse("admin:services_service_change", args=[kk_service.pk]), data
    )
    assert response.status_code == 200
    assert list(old_kk.variants.all()) == [kk("pisah-kk")]


# --- the office logo --------------------------------------------------------------------------
def office_post(office, **changes) -> dict:
    return {
        "code": office.code,
        "name": office.name,
        "kecamatan_ref": office.kecamatan_ref_id,
        "address": office.address,
        "phone": office.phone,
        "lurah_name": office.lurah_name,
        "lurah_nip": office.lurah_nip,
        "signatory_form": "",
        "signatory_name": "",
        "signatory_title": "",
        "signatory_nip": "",
        "letterhead": "",
        **inline_management("rws", office.rws.count(), office.rws.count()),
        **{f"rws-{i}-id": rw.pk for i, rw in enumerate(office.rws.all())},
        **{f"rws-{i}-office": office.pk for i, _ in enumerate(office.rws.all())},
        **{f"rws-{i}-number": rw.number for i, rw in enumerate(office.rws.all())},
        **inline_management("closed_days", 0),
        **changes,
    }


def png_logo(name="logo.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGBA", (300, 300), (200, 30, 30, 255)).save(buffer, "PNG", pnginfo=None)
    return SimpleUploadedFile(name, buffer.getvalue() + b"<script>x</script>", "image/png")


@pytest.mark.django_db
def test_logo_upload_is_cleaned_and_printed_in_both_kops(
    admin_client, office, officer, rt1, rt_chair
):
    url = reverse("admin:kelurahan_office_change", args=[office.pk])
    first = issued_letter(officer=officer, rt=rt1, nik="3271010101900011")
    without_logo = pdf_image_count(first)

    response = admin_client.post(url, office_post(office, logo=png_logo()), follow=False)
    assert response.status_code == 302, response.content.decode()[:3000]
    office.refresh_from_db()
    assert office.logo.name.startswith("offices/logo/") and office.logo.name.endswith(".jpg")
    assert "logo" not in office.logo.name.rsplit("/", 1)[-1]
    with office.logo.open("rb") as f:
        stored = f.read()
    assert stored.startswith(b"\xff\xd8\xff") and b"<script>" not in stored

    second = issued_letter(officer=officer, rt=rt1, nik="3271010101900012")
    assert pdf_image_count(second) == without_logo + 1

    # The RT chair's digital cover letter has the same kop.
    from services.letters.numbering import new_rt_cover_letter
    from services.letters.render import render_letter

    application = ApplicationFactory(officer=officer, rt=rt1, nik="3271010101900013")
    cover = new_rt_cover_letter(application, rt_chair)
    render_letter(cover.pk)
    assert pdf_image_count(cover) == without_logo + 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"),
        ("logo.pdf", None),
        ("logo.gif", b"GIF89a" + b"\x00" * 40),
    ],
)
def test_a_logo_that_is_not_an_image_is_refused_in_indonesian(admin_client, office, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import pdf_upload

    upload = pdf_upload(name) if content is None else SimpleUploadedFile(name, content)
    url = reverse("admin:kelurahan_office_change", args=[office.pk])
    response = admin_client.post(url, office_post(office, logo=upload))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["logo"]
    assert errors == [
        "Logo harus berupa gambar JPG, PNG atau WebP (bukan PDF, SVG atau berkas lain)."
    ]
    office.refresh_from_db()
    assert not office.logo


@pytest.mark.django_db
def test_a_stored_logo_that_is_no_image_leaves_the_kop_without_it(office, officer, rt1):
    from django.core.files.base import ContentFile

    office.logo.save("x.png", ContentFile(b"<html>not an image</html>"))
    letter = issued_letter(officer=officer, rt=rt1)
    letter.refresh_from_db()
    assert letter.sha256 and "KELURAHAN BUKIT SANGKAL" in pdf_text(letter)


@pytest.mark.django_db
def test_anonymous_gets_no_variant_intake(officer):
    response = Client().get(
        reverse("services:application_create_variant", args=["KK", "pindah-datang"])
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_archive_bundle_cover_names_the_variant_and_lists_only_its_requirements(officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1, service="KK", variant="baru")
    accept_all(application, officer)
    committed(workflow.application_archive, application=application, by=officer)
    application.refresh_from_db()
    with application.bundle.open("rb") as f:
        cover = pypdf.PdfReader(io.BytesIO(f.read())).pages[0].extract_text()
    cover = " ".join(cover.split())
    assert "Pembuatan Kartu Keluarga (KK) — KK baru" in cover
    assert "Fotokopi Kartu Keluarga (KK) lama" in cover
    assert "Surat keterangan pindah" not in cover
