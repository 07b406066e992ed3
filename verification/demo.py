"""The demo cases ``manage.py seed_demo`` adds to the demo office (through the AppConfig).

Eight residents' cases, one in each state a resident sees on the status page, made through the
real workflow steps by the demo staff (so they carry their events, checked documents, RT
requests, numbered letters and the resident's outbox messages). Returns the lines the command
prints: each case's code, state and status link ``SITE_URL/s/<token>/``.

The two completed cases' letters are rendered here (a letter is handed over only once its PDF
exists); the other letters and the archive bundles are queued after the command commits and
wait in the job broker until the cluster (``make run``) renders them.

Idempotent: an office that already has cases gets none; the lines then list the demo cases
it has.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from kelurahan.models import RT, Office
from services import workflow
from services.catalogue import requirements_for
from services.documents.cleaning import clean_upload
from services.letters.render import render_letter
from services.models import Application, ApplicationState, Delivery, Service
from services.public.status import status_link
from services.selectors import current_letter
from services.validators import normalize_phone, validate_nik
from verification import workflow as rt_workflow

S = ApplicationState


@dataclass(frozen=True)
class DemoCase:
    """One resident's case and the state the demo takes it to."""

    label: str  # what the printed line says about it
    state: str
    service: str
    name: str
    nik: str
    phone: str
    rt: tuple[int, int]  # (RW, RT)
    officer: str = "petugas"
    variant: str | None = None
    delivery: str = Delivery.PICKUP
    delivery_address: str = ""
    purpose: str = ""
    extra: dict = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # requirement codes the resident did not bring
    rejected: tuple[tuple[str, str], ...] = ()  # (requirement code, the officer's reason)
    courier: tuple[str, str] = ("", "")  # (courier, receipt number)
    picked_up_by: str = ""


CASES = [
    DemoCase(
        "KTP, berkas sedang diperiksa petugas",
        S.RECEIVED,
        "KTP",
        "Andi Saputra",
        "1671111203880003",
        "0812-7345-1290",
        (1, 1),
        purpose="Penggantian KTP yang rusak",
    ),
    DemoCase(
        "KK, menunggu pemeriksaan Ketua RT 001/RW 001",
        S.IN_VERIFICATION,
        "KK",
        "Dewi Lestari",
        "1671114507920001",
        "0813-6621-4478",
        (1, 1),
        variant="tambah-anggota",
        purpose="Menambahkan anak yang baru lahir",
    ),
    DemoCase(
        "KTP, kurang pas foto, fotokopi KK ditolak",
        S.INCOMPLETE,
        "KTP",
        "Muhammad Rizky Pratama",
        "1671112111950002",
        "0821-7790-3312",
        (1, 2),
        officer="petugas2",
        purpose="KTP hilang",
        missing=("pas-foto",),
        rejected=(("fotokopi-kk", "Foto buram, nomor KK tidak terbaca."),),
    ),
    DemoCase(
        "pengantar nikah, disetujui Ketua RT",
        S.VERIFIED,
        "NIKAH",
        "Nur Aisyah",
        "1671115702970004",
        "0852-6712-0934",
        (1, 2),
        purpose="Persyaratan nikah di KUA Kalidoni",
        extra={"nama_calon_pasangan": "Fajar Ramadhan"},
    ),
    DemoCase(
        "KTP, siap diambil di kantor",
        S.ISSUED,
        "KTP",
        "Hendra Gunawan",
        "1671110908790005",
        "0811-7856-2203",
        (2, 1),
        purpose="Perubahan status perkawinan",
    ),
    DemoCase(
        "SITU, siap diunduh pemohon",
        S.ISSUED,
        "SITU",
        "Fitri Handayani",
        "1671117004850006",
        "0857-8901-4456",
        (2, 1),
        officer="petugas2",
        delivery=Delivery.ELECTRONIC,
        purpose="Izin tempat usaha warung",
        extra={
            "nama_usaha": "Pempek Bu Fitri",
            "jenis_usaha": "Kuliner (pempek dan tekwan)",
            "alamat_usaha": "Jl. Residen H. Abdul Rozak No. 45, Bukit Sangkal",
        },
    ),
    DemoCase(
        "KK, dikirim kurir JNE",
        S.COMPLETED,
        "KK",
        "Yusuf Hidayat",
        "1671111406900007",
        "0819-3345-7781",
        (1, 1),
        variant="baru",
        delivery=Delivery.COURIER,
        delivery_address="Jl. Sersan Sani Lr. Melati No. 8, Bukit Sangkal, Palembang",
        purpose="KK baru setelah menikah",
        courier=("JNE", "JN0123456789"),
    ),
    DemoCase(
        "pengantar nikah, diunduh pemohon",
        S.COMPLETED,
        "NIKAH",
        "Ratna Sari",
        "1671114309930008",
        "0896-7012-5543",
        (2, 1),
        delivery=Delivery.ELECTRONIC,
        purpose="Persyaratan nikah di KUA Kalidoni",
        extra={"nama_calon_pasangan": "Bayu Firmansyah"},
    ),
]


def seed_demo_cases(office: Office) -> list[str]:
    """Make the demo cases of ``office`` (none if it has cases already); the lines to print."""
    if Application.objects.filter(office=office).exists():
        existing = Application.objects.filter(
            office=office, nik__in=[c.nik for c in CASES]
        ).order_by("code")
        return [
            "Kantor sudah punya permohonan; permohonan demo tidak dibuat lagi.",
            *(_line(case, _label_of(case)) for case in existing),
        ]
    users = {u.username: u for u in get_user_model().objects.filter(membership__office=office)}
    rts = {
        (rt.rw.number, rt.number): rt
        for rt in RT.objects.filter(rw__office=office).select_related("rw")
    }
    services = {s.code: s for s in Service.objects.all()}
    lines = ["Permohonan demo (tautan status untuk pemohon):"]
    for demo in CASES:
        case = _make(demo, office=office, users=users, rt=rts[demo.rt], services=services)
        lines.append(_line(case, demo.label))
    return lines


def _label_of(case: Application) -> str:
    return next((c.label for c in CASES if c.nik == case.nik), case.get_state_display())


def _line(case: Application, label: str) -> str:
    return f"  {case.code}  {case.get_state_display()} ({label})  {status_link(case)}"


@functools.lru_cache(maxsize=16)
def _photo(code: str) -> object:
    """A cleaned photo of a document, as the officer's form would store it (once per code:
    storing it copies the bytes, so the cases share none)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (900, 600), (245, 242, 232))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 870, 570), outline=(90, 90, 90), width=4)
    draw.text((60, 60), f"CONTOH DOKUMEN DEMO: {code}", fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return clean_upload(SimpleUploadedFile(f"{code}.jpg", buffer.getvalue(), "image/jpeg"))


def _make(demo: DemoCase, *, office, users, rt, services) -> Application:
    officer = users[demo.officer]
    service = services[demo.service]
    variant = service.variants.get(code=demo.variant) if demo.variant else None
    files = {
        requirement: [_photo(requirement.code)]
        for requirement in requirements_for(service, variant)
        if requirement.code not in demo.missing
    }
    case = workflow.application_receive(
        office=office,
        service=service,
        data=workflow.ApplicantData(
            applicant_name=demo.name,
            nik=validate_nik(demo.nik),
            phone=normalize_phone(demo.phone),
            address=f"{demo.delivery_address or 'Jl. Mayor Zen Lr. Kenanga No. 12'}, {rt}",
            rt_id=rt.pk,
            purpose=demo.purpose,
            delivery=demo.delivery,
            delivery_address=demo.delivery_address,
        ),
        files=files,
        by=officer,
        variant=variant,
        extra=demo.extra,
    )
    if demo.state == S.RECEIVED:
        return case
    if demo.state == S.INCOMPLETE:
        for code, reason in demo.rejected:
            attachment = case.attachments.get(requirement__code=code)
            workflow.attachment_reject(attachment=attachment, by=officer, reason=reason)
        workflow.application_mark_incomplete(application=case, by=officer)
        return _fresh(case)
    workflow.attachment_accept_all(application=case, by=officer)
    request = rt_workflow.application_archive_and_send_to_rt(
        application=case, by=officer, note="Mohon dicek domisili pemohon."
    )
    if demo.state == S.IN_VERIFICATION:
        return _fresh(case)
    chair = next(user for user in users.values() if user.pk == rt.chair_id)
    rt_workflow.verification_approve(request=request, by=chair)
    if demo.state == S.VERIFIED:
        return _fresh(case)
    case = _fresh(case)
    letter = workflow.application_issue(application=case, by=officer)
    if demo.state == S.ISSUED:
        return _fresh(case)
    render_letter(letter.pk)  # a letter is handed over only once its PDF exists
    case = _fresh(case)
    if demo.delivery == Delivery.ELECTRONIC:
        workflow.application_download_by_resident(application=case, letter=current_letter(case))
    else:
        name, receipt = demo.courier
        workflow.application_hand_over(
            application=case,
            by=officer,
            method=demo.delivery,
            received_by=demo.picked_up_by or demo.name,
            courier_name=name,
            courier_receipt=receipt,
        )
    return _fresh(case)


def _fresh(case: Application) -> Application:
    case.refresh_from_db()
    return case
