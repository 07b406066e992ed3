"""The simulation: working days of one or more offices, step by step through the real workflow.

A discrete-event loop. Every happening (a resident at the counter, an officer finishing a
piece of work, an RT chair's answer, a download, a complaint, a sweep) is an event on one
heap ordered by simulated time; before each event the clock is moved to its time with
time-machine, and the event calls the workflow function an officer's click, a chair's click or
the resident's page would call. The workflow reads ``timezone.now()`` for every timestamp and
deadline, so moving the clock is the only way to run it in another time without changing its
signature (an injected clock would have to thread through every step and the FSM
transitions); that is why time-machine is a main dependency.

Jobs the steps queue after commit (the letter's PDF, the archive bundle, emails) run in this
process at once, at the simulated time (``run_job``), instead of piling up in the broker;
``pdf=False`` swaps the PDF engine the render jobs call for a blank one-page PDF, so numbering,
the stored file, its SHA-256 and the hand-over rule (only a rendered letter is handed over)
stay real and only WeasyPrint's time is saved.

Randomness: one ``random.Random`` per office, seeded from ``seed`` and the office's place in
the run, drawn in event order: the same seed and parameters give the same month.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import io
import itertools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from unittest import mock

import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Min, Q
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.module_loading import import_string

from kelurahan.models import RT, Membership, Office, Role
from services import complaints, jobs, survey, workflow
from services.catalogue import active_variants, requirements_for
from services.documents.cleaning import clean_upload
from services.models import (
    Application,
    ApplicationState,
    Complaint,
    Delivery,
    RequirementKind,
    ResidentMessage,
    Service,
    SweepState,
)
from services.selectors import current_letter
from services.sla import WorkingCalendar, sla_sweep
from services.survey_forms import SurveyForm
from verification import workflow as rt_workflow
from verification.models import VerificationRequest

S = ApplicationState

# Minutes of an officer's time per piece of work: intake at the counter, checking the
# documents then archiving and sending to the RT, issuing the letter, handing it over, a
# complaint step.
RECEIVE_MINUTES = 4
CHECK_MINUTES = 8
ISSUE_MINUTES = 4
HAND_OVER_MINUTES = 3
COMPLAINT_MINUTES = 10
# Couriers collect the day's letters at this hour.
COURIER_PICKUP = time(15, 0)
# RT chairs answer between these hours (they are residents, not office staff).
CHAIR_DAY = (time(6, 0), time(21, 0))
DEFAULT_SWEEP_MINUTES = 5
DEFAULT_MIX = {"KTP": 0.35, "KK": 0.30, "NIKAH": 0.15, "SITU": 0.20}


class SimulationError(Exception):
    """The parameters or the database do not allow this run (an Indonesian message)."""


# --- parameters ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delay:
    """A distribution of delays in hours: ``lognormal:MEDIAN,SIGMA``, ``exp:MEAN``,
    ``uniform:LOW,HIGH`` or ``fixed:HOURS``."""

    kind: str
    a: float
    b: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Delay:
        kind, _, numbers = text.partition(":")
        try:
            values = [float(v) for v in numbers.split(",") if v.strip()]
        except ValueError:
            values = []
        wanted = {"lognormal": 2, "exp": 1, "uniform": 2, "fixed": 1}.get(kind)
        if wanted is None or len(values) != wanted or any(v < 0 for v in values):
            raise SimulationError(
                f"Sebaran jeda “{text}” tidak dikenal. Contoh: lognormal:4,0.8 (median jam, "
                "sigma), exp:4 (rata-rata jam), uniform:1,8 (jam), fixed:3 (jam)."
            )
        return cls(kind, *values)

    def draw(self, rng: random.Random) -> float:
        if self.kind == "lognormal":
            return self.a * math.exp(rng.gauss(0.0, self.b)) if self.a else 0.0
        if self.kind == "exp":
            return rng.expovariate(1 / self.a) if self.a else 0.0
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b)
        return self.a

    def __str__(self) -> str:
        numbers = [self.a] if self.kind in ("exp", "fixed") else [self.a, self.b]
        return f"{self.kind}:" + ",".join(f"{n:g}" for n in numbers)


@dataclass(frozen=True)
class Config:
    """What a run simulates; every field has the default of ``manage.py simulate``."""

    days: int = 22
    start: date | None = None  # day 1; None: the ``days`` working days before today
    per_day: float = 30.0  # arrivals per working day and office (Poisson)
    mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    incomplete: float = 0.08  # share of submissions missing a document
    resubmit: float = 0.85  # share of incomplete cases whose resident comes back
    resubmit_days: Delay = Delay("uniform", 1, 3)  # working days until they come back
    rt_return: float = 0.02  # share of RT answers returning the case (a wrong document)
    neighbours: float = 0.05  # share of RT requests that ask for a neighbour's attestation
    officer_capacity: int = 60  # pieces of work per officer per working day
    officer_hours: tuple[time, time] | None = None  # None: the office hours (SLA settings)
    rt_delay: Delay = Delay("lognormal", 4, 0.8)  # clock hours until the chair answers
    unresponsive_rt: str | None = None  # "RT/RW" (e.g. "002/001"), "" = the first chaired RT
    courier: float = 0.10  # share of cases delivered by courier
    electronic: float = 0.40  # share downloading it, where the service allows it
    pickup_days: Delay = Delay("uniform", 0, 2)  # working days until a pickup
    download_hours: Delay = Delay("lognormal", 3, 1.0)
    complaints_per_day: float = 0.5  # per working day and office (Poisson)
    survey_rate: float = 0.30  # share of completed cases whose resident answers the SKM
    pdf: bool = True
    seed: int = 1

    def check(self) -> None:
        if self.days < 1:
            raise SimulationError("--days paling sedikit 1.")
        if self.per_day < 0 or self.complaints_per_day < 0:
            raise SimulationError("Jumlah kedatangan per hari tidak boleh negatif.")
        if self.officer_capacity < 1:
            raise SimulationError("--officer-capacity paling sedikit 1.")
        shares = [self.incomplete, self.resubmit, self.rt_return, self.neighbours]
        shares += [self.courier, self.electronic, self.survey_rate]
        if any(not 0 <= share <= 1 for share in shares):
            raise SimulationError("Setiap bagian (share) harus di antara 0 dan 1.")
        if not self.mix or any(w < 0 for w in self.mix.values()) or not sum(self.mix.values()):
            raise SimulationError("Campuran layanan kosong atau bobotnya negatif.")
        if self.officer_hours and self.officer_hours[0] >= self.officer_hours[1]:
            raise SimulationError("Jam kerja petugas: jam mulai harus sebelum jam selesai.")

    def as_dict(self) -> dict:
        hours = self.officer_hours
        return {
            "days": self.days,
            "start": self.start.isoformat() if self.start else None,
            "per_day": self.per_day,
            "mix": self.mix,
            "incomplete": self.incomplete,
            "resubmit": self.resubmit,
            "resubmit_days": str(self.resubmit_days),
            "rt_return": self.rt_return,
            "neighbours": self.neighbours,
            "officer_capacity": self.officer_capacity,
            "officer_hours": f"{hours[0]:%H:%M}-{hours[1]:%H:%M}" if hours else None,
            "rt_delay": str(self.rt_delay),
            "unresponsive_rt": self.unresponsive_rt,
            "courier": self.courier,
            "electronic": self.electronic,
            "pickup_days": str(self.pickup_days),
            "download_hours": str(self.download_hours),
            "complaints_per_day": self.complaints_per_day,
            "survey_rate": self.survey_rate,
            "pdf": self.pdf,
            "seed": self.seed,
        }


def parse_mix(text: str) -> dict[str, float]:
    """``KTP=35,KK=30,NIKAH=15,SITU=20`` → weights by service code."""
    mix = {}
    for part in text.split(","):
        code, _, weight = part.partition("=")
        try:
            mix[code.strip().upper()] = float(weight)
        except ValueError as exc:
            raise SimulationError(
                f"Campuran layanan “{text}” tidak terbaca. Contoh: KTP=35,KK=30,NIKAH=15,SITU=20."
            ) from exc
    return mix


def parse_hours(text: str) -> tuple[time, time]:
    """``08:00-16:00`` → (08:00, 16:00)."""
    try:
        opens, closes = (time.fromisoformat(t.strip()) for t in text.split("-"))
    except ValueError as exc:
        raise SimulationError(f"Jam kerja “{text}” tidak terbaca. Contoh: 08:00-16:00.") from exc
    return opens, closes


# --- the run's result ---------------------------------------------------------------------------
@dataclass
class Outcome:
    """What the run did, besides the rows it left (the report reads those)."""

    offices: list[Office]
    start: datetime
    end: datetime
    sweep_minutes: int
    ticks: int = 0  # ticks of the sweep's schedule in the period
    sweeps: int = 0  # ticks at which sla_sweep ran (the others had nothing in their window)
    events: int = 0
    refused: list[str] = field(default_factory=list)  # steps the workflow refused (a bug)
    unresponsive: list[RT] = field(default_factory=list)


# --- the officers' desk -------------------------------------------------------------------------
class Desk:
    """The officers of one office: each works its queue within working hours on working days,
    at most ``capacity`` pieces of work a day; a piece goes to whoever finishes it first."""

    def __init__(self, officers, calendar: WorkingCalendar, hours, capacity: int):
        self.officers = officers
        self.calendar = calendar
        self.opens, self.closes = hours or (calendar.opens, calendar.closes)
        self.capacity = capacity
        self.free_at: dict[int, datetime] = {}
        self.done: dict[tuple[int, date], int] = {}

    def _earliest(self, officer, ready: datetime, minutes: int) -> datetime:
        length = timedelta(minutes=minutes)
        t = self.calendar.local(max(ready, self.free_at.get(officer.pk, ready)))
        while True:
            day = t.date()
            opens = datetime.combine(day, self.opens, tzinfo=self.calendar.tz)
            closes = datetime.combine(day, self.closes, tzinfo=self.calendar.tz)
            t = max(t, opens)
            if (
                self.calendar.is_working_day(day)
                and t + length <= closes
                and self.done.get((officer.pk, day), 0) < self.capacity
            ):
                return t
            t = datetime.combine(
                self.calendar.next_working_day(day), self.opens, tzinfo=self.calendar.tz
            )

    def book(self, ready: datetime, minutes: int):
        """(officer, when the work is done) for a piece of work that can start at ``ready``."""
        starts = [(self._earliest(o, ready, minutes), i) for i, o in enumerate(self.officers)]
        start, index = min(starts)
        officer = self.officers[index]
        finish = start + timedelta(minutes=minutes)
        self.free_at[officer.pk] = finish
        key = (officer.pk, start.date())
        self.done[key] = self.done.get(key, 0) + 1
        return officer, finish


# --- residents ----------------------------------------------------------------------------------
FIRST = [
    "Andi", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gita", "Hendra", "Indah", "Joko",
    "Kartika", "Lestari", "Maya", "Nur", "Putri", "Rizky", "Sari", "Taufik", "Wahyu", "Yusuf",
]  # fmt: skip
LAST = [
    "Saputra", "Lestari", "Pratama", "Hidayat", "Wahyuni", "Gunawan", "Handayani", "Kurniawan",
    "Sari", "Ramadhan", "Fauzi", "Santoso", "Marlina", "Firmansyah", "Aisyah", "Utami",
]  # fmt: skip
STREETS = ["Jl. Mayor Zen", "Jl. Sersan Sani", "Jl. Residen H. Abdul Rozak", "Jl. Kenanga"]
COMPLAINT_TOPICS = [
    ("pengaduan", "Antrean di loket pelayanan lama sekali, saya menunggu lebih dari satu jam"),
    ("pengaduan", "Lampu jalan di gang dekat rumah saya mati sudah seminggu"),
    ("pengaduan", "Sampah di tepi jalan belum diangkut petugas kebersihan"),
    ("aspirasi", "Mohon disediakan kursi tunggu tambahan di ruang pelayanan"),
    ("aspirasi", "Usul agar jadwal pelayanan diumumkan juga lewat grup WhatsApp RT"),
    ("informasi", "Mohon informasi syarat membuat surat keterangan usaha"),
]
SUGGESTIONS = ["", "", "", "Pelayanan cepat, terima kasih.", "Ruang tunggu agak panas."]


@functools.cache
def _tiny_photo(code: str):
    """A small valid photo of a document through the real upload cleaning, once per code
    (storing it copies the bytes)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (230, 226, 214)).save(buffer, "JPEG", quality=70)
    return clean_upload(SimpleUploadedFile(f"{code}.jpg", buffer.getvalue(), "image/jpeg"))


@functools.cache
def _blank_pdf() -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))  # A4
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _placeholder_pdf(template_name: str, context: dict, **kwargs) -> bytes:
    """What ``render_pdf`` returns when the run is told not to render PDFs."""
    return _blank_pdf()


def _nik(serial: int, female: bool) -> str:
    """A valid NIK of Kalidoni (1671 11), unique by ``serial``."""
    serial, number = divmod(serial, 9999)
    serial, day = divmod(serial, 28)
    birth_day = day + 1 + (40 if female else 0)
    month, year = (serial // 45) % 12 + 1, (60 + serial % 45) % 100
    return f"167111{birth_day:02}{month:02}{year:02}{number + 1:04}"


def _sample_extra(service: Service, rng: random.Random, name: str) -> dict:
    answers = {}
    for data_field in service.data_fields.filter(required=True).order_by("order", "pk"):
        if data_field.kind == "choice":
            answers[data_field.code] = rng.choice(data_field.choice_list())
        elif data_field.kind == "number":
            answers[data_field.code] = rng.randint(1, 5)
        elif data_field.kind == "date":
            answers[data_field.code] = "2026-12-12"
        else:
            answers[data_field.code] = f"{data_field.label} {name}"[:80]
    return answers


# --- one office ---------------------------------------------------------------------------------
@dataclass
class Case:
    """The simulation's handle on one application."""

    application: Application
    missing: list = field(default_factory=list)  # requirements the resident did not bring
    request: VerificationRequest | None = None


class OfficeRun:
    """One office in the run: its calendar, desk, chairs and random numbers."""

    def __init__(self, sim: Simulation, office: Office, index: int):
        self.sim = sim
        self.office = office
        self.rng = random.Random(f"{sim.config.seed}:{index}")
        self.calendar = WorkingCalendar(office)
        members = Membership.objects.filter(office=office, user__is_active=True).select_related(
            "user"
        )
        officers = [m.user for m in members.filter(role=Role.OFFICER).order_by("user_id")]
        if not officers:
            raise SimulationError(f"Kantor {office.code} belum punya petugas.")
        self.desk = Desk(
            officers, self.calendar, sim.config.officer_hours, sim.config.officer_capacity
        )
        self.chairs = {u.pk: u for u in (m.user for m in members.filter(role=Role.RT_CHAIR))}
        self.rts = [
            rt
            for rt in RT.objects.filter(rw__office=office)
            .select_related("rw")
            .order_by("rw__number", "number")
            if rt.chair_id in self.chairs
        ]
        if not self.rts:
            raise SimulationError(f"Kantor {office.code} belum punya RT dengan Ketua RT.")
        self.unresponsive = self._unresponsive(sim.config.unresponsive_rt)
        codes = [c for c, w in sim.config.mix.items() if w > 0]
        services = {s.code: s for s in Service.objects.filter(code__in=codes, active=True)}
        unknown = sorted(set(codes) - set(services))
        if unknown:
            raise SimulationError(f"Layanan tidak dikenal atau tidak aktif: {', '.join(unknown)}.")
        self.services = [services[c] for c in codes]
        self.weights = [sim.config.mix[c] for c in codes]
        self.requirements = {
            (s.pk, v.pk if v else None): list(requirements_for(s, v))
            for s in self.services
            for v in (active_variants(s) or [None])
        }
        self.serial = Application.objects.count() * 7 + index * 1_000_003
        self.complaints = 0

    def _unresponsive(self, wanted: str | None) -> RT | None:
        if wanted is None:
            return None
        if wanted == "":
            return self.rts[0]
        for rt in self.rts:
            if wanted in (f"{rt.number:03}/{rt.rw.number:03}", f"{rt.number}/{rt.rw.number}"):
                return rt
        raise SimulationError(
            f"RT {wanted} tidak ada (atau belum punya Ketua RT) di kantor {self.office.code}. "
            "Tulis RT/RW, mis. 002/001."
        )

    # --- scheduling helpers ---------------------------------------------------------------
    def at(self, when: datetime, step: Callable, *args) -> None:
        self.sim.schedule(when, step, *args)

    def work(self, ready: datetime, minutes: int, step: Callable, *args) -> None:
        """A piece of officer work that can start at ``ready``: done by the first free
        officer, then ``step(officer, *args)``. Work is put in the queue when it can start,
        so the queue is served in time order."""
        if ready > self.sim.now:
            self.at(ready, self.work, ready, minutes, step, *args)
            return
        officer, done = self.desk.book(self.sim.now, minutes)
        self.at(done, step, officer, *args)

    def office_moment(self, day: date, low: time, high: time, mode: time | None = None):
        """A random local time of ``day`` between ``low`` and ``high`` (peaking at ``mode``)."""

        def minutes(t: time) -> int:
            return t.hour * 60 + t.minute

        m = self.rng.triangular(minutes(low), minutes(high), minutes(mode or low))
        return datetime.combine(day, time(0), tzinfo=self.calendar.tz) + timedelta(minutes=m)

    def working_day_after(self, when: datetime, days: float) -> date:
        day = self.calendar.local(when).date()
        for _ in range(round(days)):
            day = self.calendar.next_working_day(day)
        if not self.calendar.is_working_day(day):
            day = self.calendar.next_working_day(day)
        return day

    def send_messages(self, officer, **owner) -> None:
        """The officer sends the resident's waiting WhatsApp messages of this case (or
        complaint) from the portal's click-to-chat link, as they do after each step: the
        office's outbox stays as short as a working office keeps it."""
        waiting = ResidentMessage.objects.filter(**owner).filter(workflow.CLICK_TO_CHAT)
        for message in waiting.order_by("pk"):
            self.sim.step(workflow.resident_message_mark_sent, message=message, by=officer)

    # --- the day's arrivals ---------------------------------------------------------------
    def open_day(self, day: date) -> None:
        config = self.sim.config
        opens, closes = self.calendar.opens, self.calendar.closes
        last = (datetime.combine(day, closes) - timedelta(minutes=30)).time()
        peak = (datetime.combine(day, opens) + timedelta(hours=2)).time()
        for _ in range(poisson(self.rng, config.per_day)):
            self.work(self.office_moment(day, opens, last, peak), RECEIVE_MINUTES, self.receive)

        for _ in range(poisson(self.rng, config.complaints_per_day)):
            self.at(self.office_moment(day, time(7), time(22)), self.file_complaint)

    def receive(self, officer) -> None:
        rng, config = self.rng, self.sim.config
        service = rng.choices(self.services, self.weights)[0]
        variants = active_variants(service)
        variant = rng.choice(variants) if variants else None
        requirements = self.requirements[(service.pk, variant.pk if variant else None)]
        missing = []
        documents = self._documents(requirements)
        if documents and rng.random() < config.incomplete:
            missing = [rng.choice(documents)]
        files = {r: [_tiny_photo(r.code)] for r in requirements if r not in missing}
        female = rng.random() < 0.5
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        rt = rng.choice(self.rts)
        delivery = Delivery.PICKUP
        draw = rng.random()
        if service.electronic_delivery and draw < config.electronic:
            delivery = Delivery.ELECTRONIC
        elif draw > 1 - config.courier:
            delivery = Delivery.COURIER
        address = f"{rng.choice(STREETS)} No. {rng.randint(1, 120)}, {rt}"
        self.serial += 1
        application = self.sim.step(
            workflow.application_receive,
            office=self.office,
            service=service,
            variant=variant,
            extra=_sample_extra(service, rng, name),
            data=workflow.ApplicantData(
                applicant_name=name,
                nik=_nik(self.serial, female),
                phone=f"+628{rng.randint(11, 59)}{rng.randint(1_000_000, 9_999_999)}",
                address=address,
                rt_id=rt.pk,
                purpose=f"Keperluan {service.name.lower()}"[:240],
                channel=rng.choice(["walk_in", "walk_in", "walk_in", "whatsapp"]),
                delivery=delivery,
                delivery_address=address if delivery == Delivery.COURIER else "",
            ),
            files=files,
            by=officer,
        )
        if application is not None:
            self.send_messages(officer, application=application)
            case = Case(application, missing)
            self.work(self.sim.now, CHECK_MINUTES, self.check, case)

    # --- the officer's checks, the archive and the RT -------------------------------------
    def check(self, officer, case: Case) -> None:
        application = case.application
        if application.attachments.filter(verdict="pending").exists():
            self.sim.step(workflow.attachment_accept_all, application=application, by=officer)
        if case.missing:
            done = self.sim.step(
                workflow.application_mark_incomplete,
                application=application,
                by=officer,
                note="Mohon dilengkapi.",
            )
            self.send_messages(officer, application=application)
            if done is not None and self.rng.random() < self.sim.config.resubmit:
                self._come_back(case)
            return
        if self.sim.step(workflow.application_archive, application=application, by=officer):
            needs = self.rng.random() < self.sim.config.neighbours
            case.request = self.sim.step(
                rt_workflow.application_send_to_rt,
                application=application,
                by=officer,
                note="Mohon dicek domisili pemohon.",
                needs_neighbours=needs,
                neighbour_reason="Pemohon baru pindah ke RT ini." if needs else "",
            )
            if case.request is not None and application.rt_id != getattr(
                self.unresponsive, "pk", None
            ):
                hours = self.sim.config.rt_delay.draw(self.rng)
                self.at(self._chair_time(self.sim.now + timedelta(hours=hours)), self.rt, case)

    def _chair_time(self, when: datetime) -> datetime:
        local = self.calendar.local(when)
        first, last = CHAIR_DAY
        if local.time() < first:
            return datetime.combine(local.date(), first, tzinfo=self.calendar.tz)
        if local.time() > last:
            return datetime.combine(local.date() + timedelta(days=1), first, tzinfo=local.tzinfo)
        return local

    def _come_back(self, case: Case) -> None:
        day = self.working_day_after(self.sim.now, self.sim.config.resubmit_days.draw(self.rng))
        opens, closes = self.calendar.opens, self.calendar.closes
        last = (datetime.combine(day, closes) - timedelta(minutes=30)).time()
        self.work(self.office_moment(day, opens, last), RECEIVE_MINUTES, self.resubmit, case)

    def resubmit(self, officer, case: Case) -> None:
        application = case.application
        self.send_messages(officer, application=application)  # e.g. the RT's return
        for requirement in case.missing:
            self.sim.step(
                workflow.attachment_add,
                application=application,
                requirement=requirement,
                files=[_tiny_photo(requirement.code)],
                by=officer,
            )
        case.missing = []
        if self.sim.step(
            workflow.application_resubmit,
            application=application,
            by=officer,
            note="Berkas dilengkapi.",
        ):
            self.work(self.sim.now, CHECK_MINUTES, self.check, case)

    def rt(self, case: Case) -> None:
        chair = self.chairs[case.request.rt.chair_id]
        if case.request.needs_neighbours:
            self.sim.step(
                rt_workflow.attestation_add,
                request=case.request,
                by=chair,
                name=f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}",
                address=f"{self.rng.choice(STREETS)} No. {self.rng.randint(1, 120)}",
                relation="tetangga sebelah rumah",
                statement="Benar pemohon tinggal di alamat tersebut.",
            )
        if self.rng.random() < self.sim.config.rt_return:
            returned = self.sim.step(
                rt_workflow.verification_return,
                request=case.request,
                by=chair,
                note="Foto KK kurang jelas, mohon diganti.",
            )
            if returned is not None:
                case.missing = self._documents(self._requirements(case))[:1]
                self._come_back(case)
            return
        if self.sim.step(rt_workflow.verification_approve, request=case.request, by=chair):
            self.work(self.sim.now, ISSUE_MINUTES, self.issue, case)

    @staticmethod
    def _documents(requirements: list) -> list:
        """The required documents a resident can forget (the RT cover letter may be stood in
        for by the chair's approval, so it is never what makes a case incomplete)."""
        return [r for r in requirements if r.required and r.kind != RequirementKind.RT_COVER_LETTER]

    def _requirements(self, case: Case) -> list:
        application = case.application
        return self.requirements[(application.service_id, application.variant_id)]

    # --- the letter and its hand-over -----------------------------------------------------
    def issue(self, officer, case: Case) -> None:
        if not self.sim.step(workflow.application_issue, application=case.application, by=officer):
            return
        self.send_messages(officer, application=case.application)  # the RT's approval, the letter
        application, config = case.application, self.sim.config
        if application.delivery == Delivery.ELECTRONIC:
            hours = config.download_hours.draw(self.rng)
            self.at(self.sim.now + timedelta(hours=hours), self.download, case)
        elif application.delivery == Delivery.COURIER:
            local = self.calendar.local(self.sim.now)
            day = local.date()
            if not self.calendar.is_working_day(day) or local.time() >= COURIER_PICKUP:
                day = self.calendar.next_working_day(day)
            when = datetime.combine(day, COURIER_PICKUP, tzinfo=self.calendar.tz)
            self.work(when, HAND_OVER_MINUTES, self.hand_over, case)
        else:
            day = self.working_day_after(self.sim.now, config.pickup_days.draw(self.rng))
            last = (datetime.combine(day, self.calendar.closes) - timedelta(minutes=30)).time()
            comes = max(
                self.calendar.local(self.sim.now) + timedelta(minutes=30),
                self.office_moment(day, self.calendar.opens, last),
            )
            self.work(comes, HAND_OVER_MINUTES, self.hand_over, case)

    def hand_over(self, officer, case: Case) -> None:
        application = case.application
        courier = application.delivery == Delivery.COURIER
        done = self.sim.step(
            workflow.application_hand_over,
            application=application,
            by=officer,
            method=application.delivery,
            received_by="" if courier else application.applicant_name,
            courier_name="JNE" if courier else "",
            courier_receipt=f"JN{application.pk:010d}" if courier else "",
        )
        if done is not None:
            self.send_messages(officer, application=application)
            self._maybe_survey(case)

    def download(self, case: Case) -> None:
        application = case.application
        letter = current_letter(application)
        done = self.sim.step(
            workflow.application_download_by_resident, application=application, letter=letter
        )
        if done:
            self._maybe_survey(case)

    # --- the resident's SKM answer --------------------------------------------------------
    def _maybe_survey(self, case: Case) -> None:
        if self.rng.random() < self.sim.config.survey_rate:
            later = self.sim.now + timedelta(hours=self.rng.uniform(0.2, 30))
            self.at(later, self.answer_survey, case)

    def answer_survey(self, case: Case) -> None:
        rng = self.rng
        case.application.refresh_from_db()  # the download completed a copy of it
        data = {e.code: str(rng.choices([1, 2, 3, 4], [2, 6, 45, 47])[0]) for e in survey.ELEMENTS}
        form = SurveyForm(data={})
        for name in survey.PROFILE_FIELDS:
            choices = [value for value, _ in form.fields[name].choices if value]
            data[name] = rng.choice(choices)
        data["suggestion"] = rng.choice(SUGGESTIONS)
        form = SurveyForm(data=data)
        if not form.is_valid():
            self.sim.outcome.refused.append(f"survey form: {form.errors.as_text()}")
            return
        self.sim.step(
            survey.survey_submit,
            application=case.application,
            answers=form.answers,
            profile=form.profile,
            suggestion=form.cleaned_data["suggestion"],
        )

    # --- complaints -----------------------------------------------------------------------
    def file_complaint(self) -> None:
        kind, text = self.rng.choice(COMPLAINT_TOPICS)
        self.complaints += 1
        rt = self.rng.choice(self.rts)
        complaint = self.sim.step(
            complaints.complaint_file,
            office=self.office,
            kind=kind,
            # Residents word the same worry differently; the office holds exact repeats.
            text=f"{text} (warga {rt}, laporan ke-{self.complaints}).",
            contact_name=f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}",
            contact_phone=f"+628{self.rng.randint(11, 59)}{self.rng.randint(1_000_000, 9_999_999)}",
        )
        if complaint is not None:
            later = self.sim.now + timedelta(hours=self.rng.uniform(0.5, 6))
            self.work(later, COMPLAINT_MINUTES, self.verify_complaint, complaint)

    def verify_complaint(self, officer, complaint) -> None:
        self.send_messages(officer, complaint=complaint)  # the receipt
        if self.sim.step(complaints.complaint_verify, complaint=complaint, by=officer):
            day = self.working_day_after(self.sim.now, self.rng.uniform(0, 3))
            ready = datetime.combine(day, self.calendar.opens, tzinfo=self.calendar.tz)
            self.work(max(ready, self.sim.now), COMPLAINT_MINUTES, self.answer_complaint, complaint)

    def answer_complaint(self, officer, complaint) -> None:
        answer = "Terima kasih atas laporannya. Sudah kami tindak lanjuti bersama RT setempat."
        if self.sim.step(
            complaints.complaint_answer, complaint=complaint, by=officer, answer=answer
        ):
            self.send_messages(officer, complaint=complaint)
            day = self.working_day_after(self.sim.now, self.rng.uniform(1, 3))
            ready = datetime.combine(day, self.calendar.opens, tzinfo=self.calendar.tz)
            self.work(ready, COMPLAINT_MINUTES, self.close_complaint, complaint)

    def close_complaint(self, officer, complaint) -> None:
        self.sim.step(complaints.complaint_close, complaint=complaint, by=officer)


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: the means here are small)."""
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# --- the run ------------------------------------------------------------------------------------
def sweep_minutes() -> int:
    """The interval of the SLA sweep's schedule (migration 0008: every 5 minutes)."""
    from django_q.models import Schedule

    schedule = Schedule.objects.filter(func=jobs.SLA_SWEEP).first()
    return (schedule.minutes if schedule and schedule.minutes else None) or DEFAULT_SWEEP_MINUTES


def next_due(since: datetime) -> datetime | None:
    """The first instant after ``since`` at which the sweep has something to do: a case's or
    a complaint's deadline, or an RT chair's reminder (``SLA_RT_REMINDER_HOURS`` before
    ``verify_due``)."""
    lead = timedelta(hours=settings.SLA_RT_REMINDER_HOURS)
    cases = Application.objects.filter(is_open=True).aggregate(
        archive=Min("archive_due", filter=Q(archive_due__gt=since)),
        verify=Min("verify_due", filter=Q(verify_due__gt=since)),
        issue=Min("issue_due", filter=Q(issue_due__gt=since)),
        remind=Min("verify_due", filter=Q(verify_due__gt=since + lead)),
    )
    if cases["remind"] is not None:
        cases["remind"] -= lead
    filed = Complaint.objects.aggregate(
        verify=Min("verify_due", filter=Q(verify_due__gt=since)),
        answer=Min("answer_due", filter=Q(answer_due__gt=since)),
    )
    times = [t for t in (*cases.values(), *filed.values()) if t is not None]
    return min(times) if times else None


def period(config: Config, calendar: WorkingCalendar, today: date) -> list[date]:
    """The working days of the run: from ``config.start`` (or the ``days`` working days before
    ``today``), ``days`` of them."""
    if config.start is not None:
        day = config.start
        if not calendar.is_working_day(day):
            day = calendar.next_working_day(day)
        days = [day]
        while len(days) < config.days:
            days.append(calendar.next_working_day(days[-1]))
        return days
    days, day = [], today
    while len(days) < config.days:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            days.append(day)
    return days[::-1]


class Simulation:
    """One run over ``offices``. The period's working days follow the first office's
    calendar; each office gets arrivals only on its own working days (its closed days
    included), and its desk and deadlines follow its own calendar."""

    def __init__(self, config: Config, offices: list[Office]):
        config.check()
        self.config = config
        self.heap: list = []
        self.counter = itertools.count()
        self.now: datetime | None = None
        calendar = WorkingCalendar(offices[0])
        self.days = period(config, calendar, timezone.localdate())
        start = datetime.combine(self.days[0], time(0), tzinfo=calendar.tz)
        end = datetime.combine(self.days[-1] + timedelta(days=1), time(0), tzinfo=calendar.tz)
        swept = SweepState.objects.filter(name="sla").values_list("swept_until", flat=True).first()
        if swept is not None and swept > start:
            raise SimulationError(
                f"Basis data ini sudah disapu SLA sampai {calendar.local(swept):%d-%m-%Y %H:%M}; "
                "simulasi harus mulai sesudahnya (--start) atau di basis data baru, agar setiap "
                "keterlambatan tercatat."
            )
        self.outcome = Outcome(offices=offices, start=start, end=end, sweep_minutes=sweep_minutes())
        self.swept_until = swept or start
        self.next_due: datetime | None = None
        self.every_tick = False  # tests: run the sweep at every tick, to compare
        self.runs = [OfficeRun(self, office, i) for i, office in enumerate(offices)]
        self.outcome.unresponsive = [r.unresponsive for r in self.runs if r.unresponsive]

    def schedule(self, when: datetime, step: Callable, *args) -> None:
        heapq.heappush(self.heap, (when, next(self.counter), step, args))

    def step(self, function: Callable, **kwargs):
        """Call one workflow step; a refusal is recorded (a realistic month has none)."""
        self.next_due = None  # the step may have set a deadline
        try:
            return function(**kwargs)
        except workflow.WorkflowError as exc:
            self.outcome.refused.append(f"{function.__name__}: {exc.message}")
            return None

    def sweep(self) -> None:
        """One tick of the sweep's schedule.

        A tick whose window (the last sweep, now] holds no deadline and no reminder instant
        would record and send nothing (every part of ``sla_sweep`` selects by a due time in
        its window), so it is left to the next tick that has one, which then claims the
        whole window: the breaches, their ``detected`` time and the notifications are those
        of a sweep run at every tick (tests/test_simulation.py compares the two). The last
        tick always runs, so the database is swept up to the end of the period.
        """
        self.outcome.ticks += 1
        if self.next_due is None:
            self.next_due = next_due(self.swept_until)
        last = self.now + timedelta(minutes=self.outcome.sweep_minutes) > self.outcome.end
        if self.every_tick or last or (self.next_due is not None and self.next_due <= self.now):
            sla_sweep()
            self.swept_until = self.now
            self.next_due = None
            self.outcome.sweeps += 1
        following = self.now + timedelta(minutes=self.outcome.sweep_minutes)
        if following <= self.outcome.end:
            self.schedule(following, self.sweep)

    def run(self) -> Outcome:
        outcome = self.outcome
        for day in self.days:
            for office_run in self.runs:
                if not office_run.calendar.is_working_day(day):
                    continue  # this office's own closed day
                self.schedule(
                    datetime.combine(day, time(0), tzinfo=office_run.calendar.tz),
                    office_run.open_day,
                    day,
                )
        self.schedule(outcome.start + timedelta(minutes=outcome.sweep_minutes), self.sweep)
        with time_machine.travel(outcome.start, tick=False) as traveller, self._jobs():
            while self.heap:
                when, _, step, args = heapq.heappop(self.heap)
                if when > outcome.end:
                    break  # what is left happens after the period (the cases stay open)
                self.now = when
                traveller.move_to(when)
                step(*args)
                outcome.events += 1
        return outcome

    @contextlib.contextmanager
    def _jobs(self) -> Iterator[None]:
        """Jobs run in this process at the simulated time; PDFs blank when ``pdf`` is off.

        Nothing leaves the machine: the made-up residents' phone numbers could be someone's,
        and the staff must not get a month of emails about simulated breaches. Emails go to
        Django's in-memory outbox and residents' messages wait for the officer's WhatsApp
        click (the click-to-chat backend), whatever the settings say.
        """
        with contextlib.ExitStack() as stack:
            stack.enter_context(
                override_settings(
                    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                    RESIDENT_MESSAGE_BACKEND="services.notifications.gateway.ClickToChatBackend",
                )
            )
            stack.enter_context(mock.patch("services.jobs.async_task", run_job))
            if not self.config.pdf:
                stack.enter_context(
                    mock.patch("services.letters.render.render_pdf", _placeholder_pdf)
                )
            yield


def run_job(func: str, *args, **options):
    """Stands in for django-q2's ``async_task`` during a run: the task the step queued after
    commit (``services.tasks``, by its dotted name) runs here and now, at the simulated time.
    django-q2's own sync mode does the same through its broker, pickling and task log, which
    took half of a run's time; the task functions are the same."""
    return import_string(func)(*args)


def simulate(config: Config, offices: list[Office]) -> Outcome:
    """Run ``config`` over ``offices``; the rows stay in the database."""
    if not offices:
        raise SimulationError("Pilih paling sedikit satu kantor.")
    return Simulation(config, offices).run()
