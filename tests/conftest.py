"""Shared fixtures: two offices, and in the first an officer, a supervisor and two RT chairs."""

import pytest
from django.contrib.auth import get_user_model

from kelurahan.models import RT, RW, Membership, Office, Role

PASSWORD = "Sandi-Uji-Yang-Panjang-1"


@pytest.fixture(autouse=True)
def _no_n_plus_one():
    """Every test in a django-zeal context (tests/settings.py): an N+1 query raises."""
    from zeal import zeal_context

    with zeal_context():
        yield


@pytest.fixture(autouse=True)
def _fast_and_sync(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}


def make_office(code: str, name: str) -> Office:
    return Office.objects.create(
        code=code,
        name=name,
        kecamatan="Kalidoni",
        city="Kota Palembang",
        address=f"Jl. Kantor {name} No. 1",
        lurah_name=f"Lurah {name}",
        lurah_nip="197805122005012003",
    )


def make_user(username: str, office: Office, role: str, rt: RT | None = None):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, first_name=username.title()
    )
    Membership.objects.create(user=user, office=office, role=role, rt=rt)
    return user


@pytest.fixture
def office(db) -> Office:
    return make_office("BKS", "Bukit Sangkal")


@pytest.fixture
def other_office(db) -> Office:
    return make_office("KBR", "Kober")


@pytest.fixture
def rw1(office) -> RW:
    return RW.objects.create(office=office, number=1)


@pytest.fixture
def rt1(rw1) -> RT:
    return RT.objects.create(rw=rw1, number=1)


@pytest.fixture
def rt2(rw1) -> RT:
    return RT.objects.create(rw=rw1, number=2)


@pytest.fixture
def other_rt(other_office) -> RT:
    rw = RW.objects.create(office=other_office, number=7)
    return RT.objects.create(rw=rw, number=9)


@pytest.fixture
def officer(office):
    return make_user("petugas", office, Role.OFFICER)


@pytest.fixture
def supervisor(office):
    return make_user("lurah", office, Role.SUPERVISOR)


@pytest.fixture
def rt_chair(office, rt1):
    return make_user("ketua_rt01", office, Role.RT_CHAIR, rt=rt1)


@pytest.fixture
def other_rt_chair(office, rt2):
    return make_user("ketua_rt02", office, Role.RT_CHAIR, rt=rt2)


@pytest.fixture
def other_officer(other_office, other_rt):
    return make_user("petugas_kbr", other_office, Role.OFFICER)


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg_upload(name: str = "ktp.jpg", size=(800, 600), color=(200, 180, 160)):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf_upload(name: str = "surat.pdf"):
    import io

    import pikepdf
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = pikepdf.new()
    pdf.add_blank_page()
    buffer = io.BytesIO()
    pdf.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


SAMPLE_ANSWERS = {"text": "Contoh", "long_text": "Contoh isian", "date": "2026-12-12"}


def sample_extra(service) -> dict:
    """An answer to each required data field of the service (SITU: nama usaha, ...)."""
    answers = {}
    for field in service.data_fields.filter(required=True):
        if field.kind == "choice":
            answers[field.code] = field.choice_list()[0]
        elif field.kind == "number":
            answers[field.code] = 1
        else:
            answers[field.code] = SAMPLE_ANSWERS[field.kind]
    return answers


def make_application(
    *,
    officer,
    rt,
    service_code: str = "KTP",
    nik: str = "3271014501900002",
    docs: bool = True,
    variant_code: str | None = None,
    extra: dict | None = None,
):
    """A received application with one pending JPEG per requirement (when ``docs``).

    A service with variants gets ``variant_code`` or its first variant; required data
    fields get sample answers unless ``extra`` is given.
    """
    from services import workflow
    from services.catalogue import requirements_for
    from services.models import Service
    from services.uploads import clean_upload

    service = Service.objects.get(code=service_code)
    variants = service.variants.filter(active=True)
    variant = variants.get(code=variant_code) if variant_code else variants.first()
    files = {}
    if docs:
        files = {
            r: [clean_upload(jpeg_upload(f"{r.code}.jpg"))]
            for r in requirements_for(service, variant)
        }
    return workflow.application_receive(
        office=officer.membership.office,
        service=service,
        data=workflow.ApplicantData(
            applicant_name="Siti Rahmawati",
            nik=nik,
            phone="+6281234567890",
            address="Jl. Mawar No. 3",
            rt_id=rt.pk,
        ),
        files=files,
        by=officer,
        variant=variant,
        extra=sample_extra(service) if extra is None else extra,
    )


@pytest.fixture
def application(officer, rt1):
    return make_application(officer=officer, rt=rt1)


def pytest_collection_modifyitems(items):
    # Browser tests last: Playwright's sync API keeps an event loop in the main thread, after
    # which Django's context-local connections no longer carry the serialized test data that
    # transactional tests restore from.
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))


def committed(step, /, **kwargs):
    """Run a workflow step, then the jobs it queued for after commit (as a real commit would).

    Tests run inside a transaction that never commits, so on_commit callbacks need this.
    """
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return step(**kwargs)


def named_url_patterns():
    """(name, full route, pattern) for every named URL of the portal, the admin left out
    (Django's own, with its own CSRF protection and tests)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, namespace="", route=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, ns, route + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name:
                yield namespace + p.name, route + str(p.pattern), p

    return list(walk(get_resolver().url_patterns))
