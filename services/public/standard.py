"""The Standar Pelayanan read model (UU 25/2009, PermenPANRB 15/2014), generated from the
catalogue: the six components that face the public, the office's Maklumat Pelayanan, and the
record measured from the office's own cases and survey.

``standard_for(office, service)`` reads everything in a fixed number of queries (the service,
its requirements with their variants, one row per case issued in the last 90 days, the
office's closed days, at most two survey aggregates), whatever the number of cases.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import F, Prefetch
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from kelurahan.models import Office
from services.models import Application, Requirement, Service, ServiceVariant
from services.sla.calendar import WorkingCalendar
from services.survey import IkmResult, Period, ikm_from_sums
from services.survey import survey_report as _survey_report

WINDOW_DAYS = 90
COMPLAINTS_PATH = "/pengaduan/"  # built by the complaints part; a plain path, not reverse()
LAPOR = "SP4N-LAPOR! (www.lapor.go.id)"
DUKCAPIL_NOTE = {
    "KK": "Kartu Keluarga sendiri diterbitkan oleh Dinas Kependudukan dan Pencatatan Sipil "
    "(Dukcapil) kota; kelurahan memberi surat pengantar dan meneruskan berkas Anda.",
    "KTP": "KTP sendiri diterbitkan oleh Dinas Kependudukan dan Pencatatan Sipil (Dukcapil) "
    "kota; kelurahan memberi surat pengantar dan meneruskan berkas Anda.",
}


@dataclass(frozen=True)
class RequirementLine:
    label: str
    required: bool
    scope: str  # "" = every kind of application; else "hanya untuk: …"
    help_text: str


@dataclass(frozen=True)
class Measured:
    issued: int  # cases whose letter was issued in the window
    on_time: int
    share: int | None  # percent, rounded; None without cases
    median_day: float | None  # the working day (1 = the first) on which the letter was issued
    ikm: IkmResult
    ikm_period: str

    @property
    def ikm_text(self) -> str:
        return f"{self.ikm.ikm_rounded:.2f}".replace(".", ",") if self.ikm.n else "–"

    @property
    def median_text(self) -> str:
        if self.median_day is None:
            return "–"
        value = f"{self.median_day:g}".replace(".", ",")
        return f"hari kerja ke-{value}"


@dataclass
class Standard:
    office: Office
    service: Service
    requirements: list[RequirementLine]
    procedure: list[str]
    time_limit: str
    fee: str
    product: str
    product_note: str
    complaints: list[str]
    complaints_path: str
    maklumat: str
    measured: Measured
    window_days: int = WINDOW_DAYS
    variants: list[str] = field(default_factory=list)


OFFICE_CODE = re.compile(r"[A-Z]{2,8}")
SERVICE_CODE = re.compile(r"[A-Z]{2,10}")


def office_for_standard(code: str | None) -> Office | None:
    """The office a public standard page is about: by its code, or the only one there is.
    Anything but a code (a NUL byte, which PostgreSQL refuses) finds none, before any query."""
    if code:
        code = code.upper()
        return Office.objects.filter(code=code).first() if OFFICE_CODE.fullmatch(code) else None
    offices = list(Office.objects.order_by("name")[:2])
    return offices[0] if len(offices) == 1 else None


def privacy_offices(code: str | None) -> list[Office]:
    """The offices the privacy notice names (their data protection officer): the one asked
    for by code, else all of them (one query)."""
    if code:
        office = office_for_standard(code)
        return [office] if office else []
    return list(Office.objects.order_by("name"))


def offices_and_services() -> tuple[list[Office], list[Service]]:
    """The index: every office and every active service (two queries)."""
    return list(Office.objects.order_by("name")), list(Service.objects.active())


def standard_for(office: Office, service_code: str, now=None) -> Standard:
    if not SERVICE_CODE.fullmatch(service_code):
        raise Http404("Layanan tidak ditemukan.")
    service = (
        Service.objects.active()
        .prefetch_related(
            Prefetch(
                "requirements",
                queryset=Requirement.objects.order_by("order", "id").prefetch_related(
                    Prefetch("variants", queryset=ServiceVariant.objects.order_by("order", "id"))
                ),
            ),
            Prefetch(
                "variants",
                queryset=ServiceVariant.objects.filter(active=True).order_by("order", "id"),
                to_attr="active_variants",
            ),
        )
        .filter(code=service_code)
        .first()
    )
    if service is None:
        raise Http404("Layanan tidak ditemukan.")
    return Standard(
        office=office,
        service=service,
        requirements=[_requirement(r) for r in service.requirements.all()],
        procedure=procedure_steps(service),
        time_limit=f"{service.sla_days} hari kerja sejak berkas lengkap diterima kantor kelurahan.",
        fee=service.fee_text,
        product=service.output or f"{service.letter_title.title()} (bernomor, dengan kode QR)",
        product_note=DUKCAPIL_NOTE.get(service.code, ""),
        complaints=[
            "Sampaikan pengaduan, saran atau masukan lewat halaman pengaduan, di kantor "
            f"kelurahan, atau lewat {LAPOR}.",
            "Setiap pengaduan mendapat kode dan tautan untuk melihat tanggapannya.",
            "Pengaduan diverifikasi paling lama 3 hari kerja dan ditindaklanjuti paling lama "
            "5 hari kerja sesudahnya.",
        ],
        complaints_path=COMPLAINTS_PATH,
        maklumat=office.maklumat_text,
        measured=measured_record(office, service, now=now),
        variants=[v.name for v in service.active_variants],
    )


def _requirement(requirement: Requirement) -> RequirementLine:
    variants = [v.name for v in requirement.variants.all()]
    return RequirementLine(
        label=requirement.label,
        required=requirement.required,
        scope=("hanya untuk: " + ", ".join(variants)) if variants else "",
        help_text=requirement.help_text,
    )


def procedure_steps(service: Service) -> list[str]:
    """The state machine's steps, in the resident's words (received → … → completed)."""
    cover = (
        "Minta surat pengantar kepada Ketua RT. Ketua RT juga dapat menyetujui langsung di "
        "portal; persetujuan itu menggantikan surat pengantar kertas."
        if service.rt_approval_replaces_cover_letter
        else "Minta surat pengantar kepada Ketua RT."
    )
    return [
        cover,
        "Serahkan persyaratan di kantor kelurahan, atau kirim foto/pindaiannya. Petugas "
        "mencatat permohonan dan memberi tanda terima dengan kode permohonan dan tautan "
        "status.",
        "Hari kerja 1 — petugas memeriksa berkas. Bila ada yang kurang atau ditolak, Anda "
        "diberi tahu apa yang perlu dibawa; hitungan hari berhenti sampai berkas lengkap. "
        "Bila lengkap, berkas diarsipkan.",
        "Hari kerja 2 — Ketua RT memeriksa permohonan (bila perlu juga menanyai tetangga), "
        "lalu menyetujui, mengembalikan untuk diperbaiki, atau menolak dengan alasan.",
        "Hari kerja 3 — petugas menerbitkan surat bernomor dengan kode QR untuk memeriksa "
        "keasliannya.",
        "Surat diambil di kantor kelurahan (bawa KTP asli) atau dikirim lewat kurir.",
        "Selama proses, lihat kemajuannya di halaman status atau di Lacak permohonan.",
    ]


def measured_record(office: Office, service: Service, now=None) -> Measured:
    now = now or timezone.now()
    rows = list(
        Application.objects.filter(
            office=office,
            service=service,
            issued_at__gte=now - timedelta(days=WINDOW_DAYS),
            issued_at__lte=now,
            issue_due__isnull=False,
        )
        .annotate(clock_start=Coalesce("sla_started_at", "received_at"))
        .values_list("clock_start", "issued_at", F("issue_due"))
    )
    on_time = sum(1 for _start, issued, due in rows if issued <= due)
    calendar = WorkingCalendar(office)
    days = [_working_day(calendar, start, issued) for start, issued, _due in rows]
    result, label = latest_ikm(office, now)
    return Measured(
        issued=len(rows),
        on_time=on_time,
        share=round(100 * on_time / len(rows)) if rows else None,
        median_day=statistics.median(days) if days else None,
        ikm=result,
        ikm_period=label,
    )


def _working_day(calendar: WorkingCalendar, start, issued) -> int:
    """1 when the letter came out on day 1 of the clock, 2 on the next working day, …"""
    day1 = calendar.start_day(start)
    return 1 + calendar.working_days_between(day1, calendar.local(issued).date())


def latest_ikm(office: Office, now) -> tuple[IkmResult, str]:
    """The IKM of the current semester, or of the one before when none answered yet."""
    period = Period.current(timezone.localdate(now))
    earlier = Period(period.year, 1) if period.half == 2 else Period(period.year - 1, 2)
    for candidate in (period, earlier):
        report = _survey_report(office, None, candidate, elements_only=True)
        if report.result.n:
            return report.result, candidate.label
    return ikm_from_sums(0, [0] * 9), ""
