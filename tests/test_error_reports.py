"""Error reports (SECURITY.md A5): a 500 in production shows a plain Indonesian page and mails
ADMINS a report holding no NIK, KK number or phone number."""

import re

import pytest
from django.contrib.auth.decorators import login_not_required
from django.core import mail
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from kelurahan import urls as portal_urls
from kelurahan.errors import MASK, scrub
from kelurahan.settings import env_admins

NIK = "3271014501900002"
KK = "3271010101900011"
PHONE = "081234567890"


@login_not_required
@csrf_exempt
def boom(request):
    nik = request.POST.get("nik")  # a local variable the report prints
    kk_number = request.POST.get("kk_number")  # noqa: F841
    raise RuntimeError(f"duplicate key value: (nik)=({nik}) phone +62 812-3456-7890")


urlpatterns = [path("uji/500/", boom), *portal_urls.urlpatterns]


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ADMINS = [("Admin Kota", "admin@kota.example")]
    settings.ALLOWED_HOSTS = ["testserver"]


def report_text(message) -> str:
    parts = [message.subject, message.body]
    parts += [content for content, _ in getattr(message, "alternatives", [])]
    return "\n".join(parts)


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a5_a_forced_500_mails_admins_without_nik_kk_or_phone(production):
    client = Client(raise_request_exception=False)
    response = client.post(
        f"/uji/500/?nik={NIK}",
        {
            "nik": NIK,
            "kk_number": KK,
            "phone": PHONE,
            "address": "Jl. Mawar No. 3",
            "catatan": f"nomor saya {PHONE}, NIK {NIK[:4]} {NIK[4:8]} {NIK[8:12]} {NIK[12:]}",
        },
    )

    assert response.status_code == 500
    page = response.content.decode()
    assert "Terjadi kesalahan" in page and "Traceback" not in page and NIK not in page
    assert len(mail.outbox) == 1
    report = mail.outbox[0]
    assert report.to == ["admin@kota.example"]
    text = report_text(report)
    assert "RuntimeError" in text and "/uji/500/" in text  # still a useful report
    assert "Jl. Mawar No. 3" in text  # fields without personal numbers stay readable
    digits = re.sub(r"[^\d]", "", text)  # also as typed in groups or with separators
    for secret in (NIK, KK, "81234567890"):
        assert secret not in text and secret not in digits, secret
    assert MASK in text


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a5_no_mail_while_debugging(settings):
    settings.DEBUG = True
    settings.ADMINS = [("Admin Kota", "admin@kota.example")]
    Client(raise_request_exception=False).post("/uji/500/", {"nik": NIK})
    assert mail.outbox == []


@pytest.mark.parametrize(
    "text",
    [
        NIK,
        "3271 0145 0190 0002",
        "3271-0145-0190-0002",
        PHONE,
        "+62 812-3456-7890",
        "6281234567890",
    ],
)
def test_a5_scrub_masks_nik_and_phone_shaped_values(text):
    assert scrub(f"a {text} b") == f"a {MASK} b"


def test_a5_scrub_leaves_codes_dates_and_amounts():
    text = "BKS-2611-0042 pada 2026-11-23 biaya 15000 RT 001/RW 002"
    assert scrub(text) == text


def test_admins_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_ADMINS", "Nama Satu <satu@kota.example>, Dua <dua@kota.example>")
    assert env_admins("DJANGO_ADMINS") == [
        ("Nama Satu", "satu@kota.example"),
        ("Dua", "dua@kota.example"),
    ]
    monkeypatch.setenv("DJANGO_ADMINS", "")
    assert env_admins("DJANGO_ADMINS") == []


def test_a5_the_report_filter_hides_personal_fields_by_name_whatever_their_value(rf, settings):
    from kelurahan.errors import PortalExceptionReporterFilter

    settings.DEBUG = False
    request = rf.post("/", {"nik": "3271", "contact_phone": "0812", "kk_number": "x", "rt": "1"})
    shown = PortalExceptionReporterFilter().get_post_parameters(request)
    assert shown["nik"] == shown["contact_phone"] == shown["kk_number"] == "********************"
    assert shown["rt"] == "1"
