"""The resident's status page `/s/<token>/` and the lookup `/lacak/` (services.public).

Cases are driven through the real workflow into every state (tests.factories); the page must
say where the case is, when each step happened, what is missing and why, and never show the
NIK, KK number, address, phone or a document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from services import workflow
from services.models import Application, ApplicationState, Verdict
from services.public.status import day_date_id, day_date_time_id
from services.requirements import requirement_statuses
from tests.factories import ApplicationFactory, case_in, clean_jpeg

S = ApplicationState
NIK = "3271014501900002"
KK = "3271010202020099"
ADDRESS = "Jl. Mawar No. 3"
DELIVERY_ADDRESS = "Jl. Kenanga Blok C-7"
PHONE_DIGITS = "81234567890"  # +6281234567890, as ApplicationFactory records it


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def status_url(application: Application) -> str:
    return reverse("services:public_status", args=[application.status_token])


@dataclass(frozen=True)
class Expect:
    state: str
    headline: str
    steps: tuple[str, ...]
    options: dict = field(default_factory=dict)  # case_in's, for how the case got there
    missing: tuple[str, ...] = ()
    promised: bool = False
    also: tuple[str, ...] = ()

    def case(self, **people) -> Application:
        """The case, through the real steps to ``state`` (tests.factories), a KK number on it."""
        return case_in(self.state, kk_number=KK, **self.options, **people)


RECEIVE = "Permohonan diterima kantor kelurahan"
ARCHIVE = "Berkas lengkap, diperiksa petugas"
SEND = "Dikirim ke Ketua RT untuk diperiksa"
APPROVE = "Disetujui Ketua RT"
ISSUE = "Surat selesai dibuat"
PICKUP_INFO = ("Ambil surat di kantor kelurahan", "Jl. Kantor Bukit Sangkal No. 1", "KTP asli")

COURIER = {"delivery": "courier", "delivery_address": DELIVERY_ADDRESS}
ELECTRONIC = {"service": "SITU", "delivery": "electronic"}  # SITU allows it, KTP does not

CASES = {
    "received": Expect(
        S.RECEIVED,
        "Petugas kelurahan sedang memeriksa berkas Anda.",
        (RECEIVE,),
        promised=True,
    ),
    "received_missing": Expect(
        S.RECEIVED,
        "Permohonan sudah diterima, tetapi berkasnya belum lengkap.",
        (RECEIVE,),
        {"one_rejected": True},  # "foto buram", not marked incomplete yet
        missing=("ditolak: foto buram",),
        promised=True,
    ),
    "incomplete": Expect(
        S.INCOMPLETE,
        "Berkas belum lengkap. Permohonan menunggu berkas dari Anda.",
        (RECEIVE, "Berkas dinyatakan belum lengkap"),
        missing=("ditolak: foto buram",),
        also=("Tanggal selesai dihitung ulang",),
    ),
    "archived": Expect(
        S.ARCHIVED,
        "Permohonan segera dikirim ke Ketua RT 001/RW 001 untuk diperiksa.",
        (RECEIVE, ARCHIVE),
        promised=True,
    ),
    "in_verification": Expect(
        S.IN_VERIFICATION,
        "Menunggu pemeriksaan Ketua RT 001/RW 001.",
        (RECEIVE, ARCHIVE, SEND),
        promised=True,
    ),
    "verified": Expect(
        S.VERIFIED,
        "Sudah disetujui Ketua RT 001/RW 001. Surat sedang dibuat",
        (RECEIVE, ARCHIVE, SEND, APPROVE),
        promised=True,
    ),
    "rejected": Expect(
        S.REJECTED,
        "Permohonan ditolak oleh Ketua RT 001/RW 001.",
        (RECEIVE, ARCHIVE, SEND, "Ditolak Ketua RT"),
        {"reason": "bukan warga RT ini"},
        also=("Alasan: “bukan warga RT ini”",),
    ),
    "returned": Expect(
        S.INCOMPLETE,
        "Dikembalikan oleh Ketua RT 001/RW 001: ada yang perlu diperbaiki.",
        (RECEIVE, ARCHIVE, SEND, "Dikembalikan Ketua RT untuk diperbaiki"),
        {"returned": True, "reason": "KK bukan milik pemohon"},
        also=("Alasan: “KK bukan milik pemohon”",),
    ),
    "issued": Expect(
        S.ISSUED,
        "Surat sudah jadi dan siap diambil di kantor kelurahan.",
        (RECEIVE, ARCHIVE, SEND, APPROVE, ISSUE),
        {"jobs": True},  # the letter's PDF rendered
        also=(*PICKUP_INFO, "Senin–Jumat, pukul 08.00–16.00 WIB"),
    ),
    "issued_courier": Expect(
        S.ISSUED,
        "Surat sudah jadi dan akan dikirim lewat kurir",
        (RECEIVE, ARCHIVE, SEND, APPROVE, ISSUE),
        {**COURIER, "jobs": True},
        also=("Pengiriman surat",),
    ),
    "issued_electronic": Expect(
        S.ISSUED,
        "Surat sudah jadi. Unduh surat Anda (PDF) di bawah ini.",
        (RECEIVE, ARCHIVE, SEND, APPROVE, ISSUE),
        {**ELECTRONIC, "jobs": True},
        also=("Unduh surat (PDF)", "Unduhan pertama dicatat"),
    ),
    "completed": Expect(
        S.COMPLETED,
        "Selesai. Surat sudah diambil.",
        (RECEIVE, ARCHIVE, SEND, APPROVE, ISSUE, "Surat diserahkan"),
    ),
    "completed_courier": Expect(
        S.COMPLETED,
        "Selesai. Surat sudah dikirim lewat kurir.",
        (RECEIVE, ARCHIVE, SEND, APPROVE, ISSUE, "Surat diserahkan"),
        {**COURIER, "courier_name": "JNE Palembang", "courier_receipt": "JP1234567890"},
        also=("JNE Palembang", "JP1234567890"),
    ),
    "completed_electronic": Expect(
        S.COMPLETED,
        "Selesai. Surat sudah diunduh.",
        (RECEIVE, ARCHIVE, SEND, APPROVE, ISSUE, "Surat diunduh pemohon"),
        ELECTRONIC,
        also=("Unduh surat (PDF)", "Surat sudah diunduh pada"),
    ),
    "cancelled": Expect(
        S.CANCELLED,
        "Permohonan ini dibatalkan.",
        (RECEIVE, "Permohonan dibatalkan"),
        {"reason": "pemohon sudah mengurus di kecamatan"},
        also=("pemohon sudah mengurus di kecamatan",),
    ),
}


def test_the_cases_cover_every_state():
    assert {expect.state for expect in CASES.values()} == set(S.values)


def assert_no_personal_data(html: str, case: Application) -> None:
    case.refresh_from_db()
    digits = re.sub(r"\D", "", html)
    for secret in (NIK, KK):
        assert secret not in digits, "a NIK/KK number is on the public page"
    assert PHONE_DIGITS not in digits, "the phone number is on the public page"
    assert case.nik not in html
    assert ADDRESS not in html and DELIVERY_ADDRESS not in html
    assert "/berkas/" not in html and "/media/" not in html, "a document URL on the public page"
    assert ".pdf" not in html and ".jpg" not in html
    for attachment in case.attachments.all():
        assert str(attachment.uuid) not in html and attachment.original_name not in html
    assert case.applicant_name not in html  # masked


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(CASES))
def test_the_status_page_says_where_the_case_is_in_every_state(
    client, officer, rt1, rt_chair, name
):
    expect = CASES[name]
    case = expect.case(officer=officer, rt=rt1, chair=rt_chair)
    case.refresh_from_db()
    assert case.state == expect.state
    assert case.kk_number == KK  # so the page's silence about it means something

    response = client.get(status_url(case))
    assert response.status_code == 200
    html = response.content.decode()

    assert expect.headline in html
    assert "S*** R********" in html  # the masked name
    assert case.service.name in html and case.code in html
    # The timeline: each public step once, in order, with its date.
    timeline = html.split('id="riwayat"')[1]
    positions = [timeline.index(label) for label in expect.steps]
    assert positions == sorted(positions)
    for event in case.events.filter(transition__in=["receive", "archive", "issue"]):
        assert day_date_time_id(event.at) in timeline
    assert "Berkas diunggah" not in html and "Berkas diterima" not in html  # officer's steps
    if expect.promised:
        assert f"Perkiraan selesai: <strong>{day_date_id(case.issue_due)}</strong>" in html
    else:
        assert "Perkiraan selesai" not in html
    if expect.missing:
        missing = html.split('id="kurang"')[1].split("</section>")[0]
        for text in expect.missing:
            assert text in missing
    else:
        assert 'id="kurang"' not in html
    for text in expect.also:
        assert text in html, text
    assert_no_personal_data(html, case)


@pytest.mark.django_db
def test_a_missing_document_never_brought_is_named(client, officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1, docs=False)
    html = client.get(status_url(case)).content.decode()
    missing = html.split('id="kurang"')[1].split("</section>")[0]
    labels = [s.requirement.label for s in requirement_statuses(case) if not s.satisfied]
    assert labels
    for label in labels:
        assert f"{label} — belum ada." in missing


@pytest.mark.django_db
def test_the_promised_date_is_the_sla_deadline_in_indonesian(client, officer, rt1, time_machine):
    time_machine.move_to("2026-11-23 09:00 +0700", tick=False)  # a Monday, before the cut-off
    case = ApplicationFactory(officer=officer, rt=rt1)
    html = client.get(status_url(case)).content.decode()
    assert "Perkiraan selesai: <strong>Rabu, 25 November 2026</strong>" in html
    assert "Senin, 23 November 2026, pukul 09.00" in html


@pytest.mark.django_db
def test_an_unknown_token_is_a_plain_404(client, application):
    for token in ("tidak-ada", application.status_token[:-1], application.code):
        response = client.get(reverse("services:public_status", args=[token]))
        assert response.status_code == 404
        assert application.service.name not in response.content.decode()
    # Control bytes are a 404 too, never a database error (PostgreSQL refuses NUL in text).
    assert client.get(f"/s/{application.status_token}%00/").status_code == 404
    assert client.get("/s/%00%01x/").status_code == 404


@pytest.mark.django_db
def test_the_status_page_is_noindex_no_store_and_has_no_third_party_assets(client, application):
    response = client.get(status_url(application))
    assert "noindex" in response["X-Robots-Tag"]
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert '<meta name="robots" content="noindex' in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "a third-party asset"


@pytest.mark.django_db
def test_the_status_page_needs_no_login_and_answers_only_get(client, application):
    assert client.get(status_url(application)).status_code == 200
    assert client.post(status_url(application)).status_code == 405


@pytest.mark.django_db
def test_the_status_page_query_count_does_not_grow_with_the_history(
    client, officer, rt1, django_assert_max_num_queries
):
    small = ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900031")
    with CaptureQueriesContext(connection) as baseline:
        client.get(status_url(small))

    big = ApplicationFactory(officer=officer, rt=rt1, nik="3271014501900032")
    for round_ in range(6):  # many documents, refusals, incomplete and resubmit rounds
        attachment = big.attachments.filter(verdict=Verdict.PENDING).first()
        workflow.attachment_reject(attachment=attachment, by=officer, reason=f"buram {round_}")
        big = workflow.application_mark_incomplete(application=big, by=officer)
        workflow.attachment_add(
            application=big,
            requirement=attachment.requirement,
            files=[clean_jpeg(f"ulang{round_}.jpg")],
            by=officer,
        )
        big = workflow.application_resubmit(application=big, by=officer)
    assert big.events.count() > 20 and big.attachments.count() > 8

    with django_assert_max_num_queries(len(baseline)):
        response = client.get(status_url(big))
    assert response.status_code == 200
    assert len(baseline) <= 8


# --- the lookup ----------------------------------------------------------------------------------
LOOKUP = "/lacak/"
CSRF_INPUT = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">')


def look(client, code, digits, **extra):
    return client.post(LOOKUP, {"code": code, "phone_last4": digits}, **extra)


@pytest.mark.django_db
def test_the_lookup_form_is_public_and_noindex(client):
    response = client.get(LOOKUP)
    assert response.status_code == 200
    assert "Kode permohonan" in response.content.decode()
    assert "noindex" in response["X-Robots-Tag"] and "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_lookup_with_the_code_and_last_4_digits_opens_the_status_page(client, application):
    response = look(client, f"  {application.code.lower()} ", "7890")
    assert response.status_code == 302
    assert response["Location"] == status_url(application)


@pytest.mark.django_db
def test_the_lookup_refuses_other_digits(client, application):
    for digits in ("7891", "0987", "1234"):
        response = look(client, application.code, digits)
        assert response.status_code == 200
        html = response.content.decode()
        assert "tidak cocok" in html
        assert application.status_token not in html
    response = look(client, application.code, "78a0")
    assert "Tulis tepat 4 angka" in response.content.decode()


@pytest.mark.django_db
def test_a_code_locks_for_15_minutes_after_5_wrong_tries(client, application, time_machine):
    time_machine.move_to("2026-11-23 10:00 +0700", tick=False)
    for left in (4, 3, 2, 1):
        html = look(client, application.code, "0000").content.decode()
        assert f"Sisa percobaan untuk kode ini: {left} kali" in html
    response = look(client, application.code, "0000")
    assert response.status_code == 429
    html = response.content.decode()
    assert f"Sudah 5 kali salah untuk kode {application.code}" in html
    assert "dikunci 15 menit, sampai pukul 10.15 WIB" in html

    # Locked: even the right answer waits, from another address too.
    response = look(client, application.code, "7890", REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429 and "sampai pukul 10.15 WIB" in response.content.decode()

    time_machine.shift(15 * 60 + 1)
    response = look(client, application.code, "7890")
    assert response.status_code == 302 and response["Location"] == status_url(application)


@pytest.mark.django_db
def test_the_lookup_reads_the_same_whether_the_code_exists_or_not(
    client, application, time_machine
):
    time_machine.move_to("2026-11-23 10:00 +0700", tick=False)
    fake = "BKS-2611-9999"
    assert not Application.objects.filter(code=fake).exists()

    def answers(code):
        pages = [look(client, code, "0000") for _ in range(6)]
        # The page minus its CSRF token (new on every response), the code as "KODE".
        return [
            (p.status_code, CSRF_INPUT.sub("", p.content.decode()).replace(code, "KODE"))
            for p in pages
        ]

    real = answers(application.code)
    cache.clear()
    assert answers(fake) == real


@pytest.mark.django_db
def test_one_address_is_throttled_across_codes(client, application, settings):
    settings.LOOKUP_ADDRESS_FAILURES = 8
    for i in range(7):
        response = look(client, f"BKS-2611-{i:04d}", "0000")
        assert response.status_code == 200
    response = look(client, "BKS-2611-0100", "0000")
    assert response.status_code == 429
    assert "dari perangkat atau jaringan ini" in response.content.decode()
    # The address is locked, even for a right answer; another address is not.
    assert look(client, application.code, "7890").status_code == 429
    other = look(client, application.code, "7890", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


@pytest.mark.django_db
def test_the_lookup_form_is_csrf_protected(application):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        LOOKUP, {"code": application.code, "phone_last4": "7890"}
    )
    assert response.status_code == 403


# --- the receipt and the case page -------------------------------------------------------------
@pytest.mark.django_db
def test_the_receipt_prints_the_status_link_its_qr_code_and_the_code(
    officer_client, application, settings
):
    from services.letters.pdf import qr_svg_data_uri

    settings.SITE_URL = "https://layanan.bukitsangkal.example"
    link = f"https://layanan.bukitsangkal.example/s/{application.status_token}/"
    receipt = reverse("services:application_receipt", args=[application.code])
    html = officer_client.get(receipt).content.decode()
    assert f'<strong class="status-link">{link}</strong>' in html
    assert f'<img src="{qr_svg_data_uri(link)}"' in html
    assert application.code in html
    # A reprint shows the same link and QR code; the link opens the case's status page.
    assert officer_client.get(receipt).content.decode().count(link) == html.count(link)
    assert officer_client.get(status_url(application)).status_code == 200


@pytest.mark.django_db
def test_the_case_page_links_to_what_the_resident_sees(officer_client, application):
    page = officer_client.get(reverse("services:application_detail", args=[application.code]))
    html = page.content.decode()
    assert f'href="{status_url(application)}"' in html
    assert "Lihat sebagai pemohon" in html


@pytest.mark.django_db
def test_every_case_gets_its_own_unguessable_status_token(officer, rt1):
    tokens = {
        ApplicationFactory(officer=officer, rt=rt1, nik=f"32710145019000{i:02d}").status_token
        for i in range(20)
    }
    assert len(tokens) == 20
    assert all(len(t) >= 22 and re.fullmatch(r"[A-Za-z0-9_-]+", t) for t in tokens)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_gives_every_existing_case_a_token_in_batches(officer, rt1, monkeypatch):
    import importlib

    from django.db.migrations.executor import MigrationExecutor

    for i in range(5):
        ApplicationFactory(officer=officer, rt=rt1, nik=f"32710145019001{i:02d}")
    migration = importlib.import_module("services.migrations.0016_application_status_token")
    monkeypatch.setattr(migration, "BATCH", 2)  # several batches over five rows

    executor = MigrationExecutor(connection)
    executor.migrate([("services", "0015_corrections")])
    executor.loader.build_graph()
    executor.migrate([("services", "0016_application_status_token")])
    # Forward to the latest schema again: the tests after this one need the later tables.
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    tokens = list(Application.objects.values_list("status_token", flat=True))
    assert len(tokens) == 5 and all(tokens) and len(set(tokens)) == 5
    assert all(len(t) >= 22 for t in tokens)


@pytest.mark.django_db
def test_the_lookup_refuses_control_bytes_with_a_message(client, application):
    response = look(client, application.code + "\x00", "7890")
    assert response.status_code == 200
    assert application.status_token not in response.content.decode()
    assert 'class="field-error"' in response.content.decode()
