"""The status read model: from an application to what its applicant may see (and no more).

``status_for_token(token)`` loads a case in a fixed number of queries, whatever the length of
its history, and ``public_status(application)`` turns it into plain sentences. Nothing here
reads the NIK, KK number, address or phone, and no document is linked: the template gets only
the ``PublicStatus`` below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone

from kelurahan.prepared import PreparedQuery
from services.letters.patterns import MONTHS_ID
from services.letters.verify import masked_name
from services.models import (
    Application,
    ApplicationEvent,
    ApplicationState,
    Attachment,
    Complaint,
    Delivery,
    Letter,
    LetterKind,
    Verdict,
)
from services.requirements import requirement_statuses

S = ApplicationState
DAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]

# The steps a resident sees in the timeline, in their words. Document checks, corrections,
# neighbour statements and deadline adjustments stay on the officer's side (their notes may
# hold personal data).
PUBLIC_STEPS = {
    "receive": "Permohonan diterima kantor kelurahan",
    "mark_incomplete": "Berkas dinyatakan belum lengkap",
    "resubmit": "Berkas dilengkapi, permohonan diproses lagi",
    "archive": "Berkas lengkap, diperiksa petugas",
    "send_to_rt": "Dikirim ke Ketua RT untuk diperiksa",
    "approve": "Disetujui Ketua RT",
    "reject": "Ditolak Ketua RT",
    "return_to_applicant": "Dikembalikan Ketua RT untuk diperbaiki",
    "reopen": "Dibuka kembali oleh kelurahan",
    "issue": "Surat selesai dibuat",
    "issue_replacement": "Surat pengganti selesai dibuat",
    "reissue": "Surat pengganti selesai dibuat",
    "hand_over": "Surat diserahkan",
    "cancel": "Permohonan dibatalkan",
}
# The hand-over the resident took themselves (electronic delivery: no staff user on it).
DOWNLOADED_STEP = "Surat diunduh pemohon"
LETTER_BEING_MADE = "Surat sedang dibuat. Buka lagi halaman ini beberapa menit lagi."
LETTER_REVOKED = (
    "Surat dicabut oleh kantor kelurahan dan tidak berlaku lagi. Surat pengganti sedang "
    "disiapkan; buka lagi halaman ini nanti."
)
# Steps whose note is written for the applicant: the RT's reason, the cancellation's reason.
STEPS_WITH_REASON = {"reject", "return_to_applicant", "cancel"}


def day_date_id(when) -> str:
    """Kamis, 26 November 2026."""
    when = timezone.localtime(when) if isinstance(when, datetime) else when
    return f"{DAYS_ID[when.weekday()]}, {when.day} {MONTHS_ID[when.month - 1]} {when.year}"


def day_date_time_id(when: datetime) -> str:
    """Kamis, 26 November 2026, pukul 09.15."""
    return f"{day_date_id(when)}, pukul {timezone.localtime(when):%H.%M}"


@dataclass(frozen=True)
class TimelineStep:
    label: str
    when: str
    reason: str = ""


@dataclass(frozen=True)
class Problem:
    """A document the resident still has to bring, or one that was refused (and why)."""

    label: str
    reason: str  # empty: not brought yet


@dataclass(frozen=True)
class Handover:
    """How the letter reaches the resident, once it exists."""

    method: str  # Delivery value
    # Electronic delivery: the download link of the current letter (empty while its PDF is
    # being made, or when it was revoked: ``letter_note`` then says which), and when the
    # resident first downloaded it.
    download_url: str = ""
    letter_note: str = ""
    downloaded_on: str = ""
    office_address: str = ""
    office_hours: str = ""
    bring: tuple[str, ...] = ()
    courier_name: str = ""
    courier_receipt: str = ""
    done_on: str = ""


@dataclass(frozen=True)
class LinkedComplaint:
    """A report filed about the case (services.complaints): code, kind, date, state only."""

    code: str
    kind: str
    filed_on: str
    state_label: str


@dataclass(frozen=True)
class PublicStatus:
    code: str
    service: str
    variant: str
    holder: str
    state: str
    state_label: str
    headline: str
    reason: str  # the RT's or the office's words, when the case was returned/rejected/cancelled
    promised: str  # "Kamis, 26 November 2026", or empty
    promise_note: str
    problems: list[Problem] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    timeline: list[TimelineStep] = field(default_factory=list)
    handover: Handover | None = None
    office_name: str = ""
    office_phone: str = ""
    complaints: list[LinkedComplaint] = field(default_factory=list)
    # The SKM invitation on a completed case: "open" (once), "done" (answered), or "".
    survey: str = ""
    survey_link: str = ""


# The status page's case, its public history and its complaints, on every visit of a
# resident's link: SQL compiled once per connection (kelurahan.prepared) and, on PostgreSQL,
# planned once (the case's six joins took 2.9 ms to plan, 0.8 ms to run). The placeholders
# are values no row has: a token with "!" (links are TOKEN's letters), a negative case pk.
_TOKEN_PLACEHOLDER = "!status-token-placeholder!"  # noqa: S105 - not a secret
_CASE_PLACEHOLDER = -1_987_654_321
_status_case = PreparedQuery(
    Application,
    lambda token: Application.objects.select_related(
        "service", "variant", "office", "rt__rw", "survey_response"
    ).filter(status_token=token),
    token=_TOKEN_PLACEHOLDER,
)
_public_events = PreparedQuery(
    ApplicationEvent,
    lambda application_id: (
        ApplicationEvent.objects.filter(
            application_id=application_id, transition__in=sorted(PUBLIC_STEPS)
        )
        .only("application_id", "at", "by", "transition", "note")
        .order_by("at", "id")
    ),
    application_id=_CASE_PLACEHOLDER,
)
_public_complaints = PreparedQuery(
    Complaint,
    lambda application_id: (
        Complaint.objects.filter(application_id=application_id)
        .only("application_id", "code", "kind", "received_at", "state")
        .order_by("received_at", "id")
    ),
    application_id=_CASE_PLACEHOLDER,
)


def status_for_token(token: str) -> PublicStatus | None:
    application = application_for_status(token)
    return public_status(application) if application is not None else None


def application_for_status(token: str) -> Application | None:
    """The case behind a status link with what its page needs, in a fixed number of queries.

    Only what the case's state shows is read: the documents while they are checked (what is
    missing), the RT request while it waits there, the letter once issued; the history and
    the complaints always. Each other list is empty, so the page reads the same attributes.
    """
    case = _status_case.first(token=token)
    if case is None:
        return None
    case.public_events = _public_events.all(application_id=case.pk)
    case.public_complaints = _public_complaints.all(application_id=case.pk)
    for row in (*case.public_events, *case.public_complaints):
        row.application = case  # as the prefetch of the reverse relation sets it
    lookups = []
    if case.state in (S.RECEIVED, S.INCOMPLETE):  # _problems
        lookups.append(
            Prefetch(
                "attachments",
                queryset=Attachment.objects.only(
                    "application_id", "requirement_id", "verdict", "verdict_reason"
                ),
                to_attr="prefetched_attachments",
            )
        )
    if case.state in (S.ISSUED, S.COMPLETED):  # _handover, _download, _next_steps
        lookups.append(
            Prefetch(
                "letters",
                queryset=Letter.objects.filter(kind=LetterKind.OUTPUT, revoked_at__isnull=True)
                .only("application_id", "issued_at", "revoked_at", "sha256")
                .order_by("-issued_at", "-id"),
                to_attr="valid_letters",
            )
        )
    if case.state == S.IN_VERIFICATION:  # _pending_request
        # The reverse accessor of verification.VerificationRequest, read without importing
        # the verification app (services never imports it).
        lookups.append(Prefetch("verification_requests", to_attr="public_requests"))
    if lookups:
        prefetch_related_objects([case], *lookups)
    for not_read in ("prefetched_attachments", "valid_letters", "public_requests"):
        # Set only after the prefetch: one finds an attribute already set and skips it.
        if not hasattr(case, not_read):
            setattr(case, not_read, [])
    return case


def public_status(case: Application) -> PublicStatus:
    problems = _problems(case) if case.state in (S.RECEIVED, S.INCOMPLETE) else []
    reason = _reason(case)
    promised, promise_note = _promise(case, problems)
    return PublicStatus(
        code=case.code,
        service=case.service.name,
        variant=case.variant.name if case.variant_id else "",
        holder=masked_name(case.applicant_name),
        state=case.state,
        state_label=case.get_state_display(),
        headline=_headline(case, problems),
        reason=reason,
        promised=promised,
        promise_note=promise_note,
        problems=problems,
        next_steps=_next_steps(case, problems),
        timeline=[
            TimelineStep(
                label=DOWNLOADED_STEP
                if event.transition == "hand_over" and event.by_id is None
                else PUBLIC_STEPS[event.transition],
                when=day_date_time_id(event.at),
                reason=event.note if event.transition in STEPS_WITH_REASON else "",
            )
            for event in case.public_events
        ],
        handover=_handover(case),
        office_name=case.office.name,
        office_phone=case.office.phone,
        complaints=[
            LinkedComplaint(
                code=c.code,
                kind=c.get_kind_display(),
                filed_on=day_date_id(c.received_at),
                state_label=c.get_state_display(),
            )
            for c in getattr(case, "public_complaints", [])
        ],
        **_survey(case),
    )


def _survey(case: Application) -> dict[str, str]:
    """Invite the resident of a completed case to the SKM survey, once per application."""
    if case.state != S.COMPLETED:
        return {}
    try:
        answered = case.survey_response is not None
    except ObjectDoesNotExist:
        answered = False
    if answered:
        return {"survey": "done"}
    return {
        "survey": "open",
        "survey_link": reverse("services:public_survey", args=[case.status_token]),
    }


# --- the parts ----------------------------------------------------------------------------------
def _problems(case: Application) -> list[Problem]:
    """Required documents not brought yet or refused; one waiting for a check is not missing."""
    problems = []
    for status in requirement_statuses(case):
        if status.satisfied or any(a.verdict == Verdict.PENDING for a in status.attachments):
            continue
        reasons = [a.verdict_reason for a in status.attachments if a.verdict == Verdict.REJECTED]
        problems.append(Problem(label=status.requirement.label, reason="; ".join(reasons)))
    return problems


def _last_event(case: Application, *transitions: str) -> ApplicationEvent | None:
    for event in reversed(case.public_events):
        if event.transition in transitions:
            return event
    return None


def _reason(case: Application) -> str:
    if case.state == S.REJECTED:
        event = _last_event(case, "reject")
    elif case.state == S.CANCELLED:
        event = _last_event(case, "cancel")
    elif case.state == S.INCOMPLETE:
        # Returned by the RT (not marked incomplete by the office): the RT chair's words.
        event = _last_event(case, "return_to_applicant", "mark_incomplete")
        event = event if event is not None and event.transition == "return_to_applicant" else None
    else:
        event = None
    return event.note if event is not None else ""


def _pending_request(case: Application):
    return next((r for r in case.public_requests if r.state == "pending"), None)


def _headline(case: Application, problems: list[Problem]) -> str:
    rt = f"Ketua {case.rt}"
    state = case.state
    if state == S.RECEIVED:
        if problems:
            return "Permohonan sudah diterima, tetapi berkasnya belum lengkap."
        return "Permohonan sudah diterima. Petugas kelurahan sedang memeriksa berkas Anda."
    if state == S.INCOMPLETE:
        if _reason(case):
            return f"Dikembalikan oleh {rt}: ada yang perlu diperbaiki."
        return "Berkas belum lengkap. Permohonan menunggu berkas dari Anda."
    if state == S.ARCHIVED:
        return f"Berkas lengkap. Permohonan segera dikirim ke {rt} untuk diperiksa."
    if state == S.IN_VERIFICATION:
        request = _pending_request(case)
        if request is not None and request.needs_neighbours:
            return f"Menunggu pemeriksaan {rt}. Ketua RT juga akan menanyai tetangga Anda."
        return f"Menunggu pemeriksaan {rt}."
    if state == S.VERIFIED:
        return f"Sudah disetujui {rt}. Surat sedang dibuat di kantor kelurahan."
    if state == S.REJECTED:
        return f"Permohonan ditolak oleh {rt}."
    if state == S.ISSUED:
        if not case.valid_letters:
            return LETTER_REVOKED
        if case.delivery == Delivery.ELECTRONIC:
            if not case.valid_letters[0].is_rendered:
                return LETTER_BEING_MADE
            return "Surat sudah jadi. Unduh surat Anda (PDF) di bawah ini."
        if case.delivery == Delivery.COURIER:
            return "Surat sudah jadi dan akan dikirim lewat kurir ke alamat pengiriman Anda."
        return "Surat sudah jadi dan siap diambil di kantor kelurahan."
    if state == S.COMPLETED:
        if case.courier_name:
            return "Selesai. Surat sudah dikirim lewat kurir."
        if case.downloaded_at:
            return "Selesai. Surat sudah diunduh."
        return "Selesai. Surat sudah diambil."
    if state == S.CANCELLED:
        return "Permohonan ini dibatalkan."
    return case.get_state_display()


def _promise(case: Application, problems: list[Problem]) -> tuple[str, str]:
    if case.state == S.INCOMPLETE:
        return "", "Tanggal selesai dihitung ulang setelah berkas lengkap diserahkan."
    if case.state in (S.RECEIVED, S.ARCHIVED, S.IN_VERIFICATION, S.VERIFIED) and case.issue_due:
        note = "Bila berkas yang kurang diserahkan hari ini." if problems else ""
        return day_date_id(case.issue_due), note
    return "", ""


def office_hours() -> str:
    opens = settings.SLA_OFFICE_OPENS.replace(":", ".")
    closes = settings.SLA_OFFICE_CLOSES.replace(":", ".")
    return f"Senin–Jumat, pukul {opens}–{closes} WIB (kecuali hari libur)"


PICKUP_BRING = (
    "Tanda terima permohonan ini (atau sebutkan kode permohonan)",
    "KTP asli pemohon",
    "Bila diwakilkan: surat kuasa dan KTP orang yang mengambil",
)


def _handover(case: Application) -> Handover | None:
    if case.state not in (S.ISSUED, S.COMPLETED) or (
        case.state == S.ISSUED and not case.valid_letters
    ):
        return None
    if case.delivery == Delivery.ELECTRONIC:
        return _download(case)
    if case.state == S.COMPLETED:
        done = case.completed_at and day_date_id(case.completed_at)
        if case.courier_name:
            return Handover(
                method=Delivery.COURIER,
                courier_name=case.courier_name,
                courier_receipt=case.courier_receipt,
                done_on=done or "",
            )
        return Handover(method=Delivery.PICKUP, done_on=done or "")
    if case.delivery == Delivery.COURIER:
        return Handover(method=Delivery.COURIER)
    return Handover(
        method=Delivery.PICKUP,
        office_address=case.office.address,
        office_hours=office_hours(),
        bring=PICKUP_BRING,
    )


def _download(case: Application) -> Handover:
    """Electronic delivery: the current letter's download, or why there is none now.

    Offered again after the first download (a resident who lost the file downloads it
    again), and beside a pickup the officer recorded.
    """
    letter = case.valid_letters[0] if case.valid_letters else None
    url, note = "", ""
    if letter is None:
        note = LETTER_REVOKED
    elif not letter.is_rendered:
        note = LETTER_BEING_MADE
    else:
        url = reverse("services:public_letter", args=[case.status_token])
    return Handover(
        method=Delivery.ELECTRONIC,
        download_url=url,
        letter_note=note,
        downloaded_on=day_date_id(case.downloaded_at) if case.downloaded_at else "",
        done_on=day_date_id(case.completed_at) if case.completed_at else "",
        office_address=case.office.address,
        office_hours=office_hours(),
    )


def letter_for_download(token: str) -> Letter | None:
    """The letter a status link may download: the case's current output letter, when the case
    chose electronic delivery and its letter is issued and rendered; else None (404)."""
    letter = (
        Letter.objects.select_related("application")
        .filter(
            application__status_token=token,
            application__delivery=Delivery.ELECTRONIC,
            application__state__in=[S.ISSUED, S.COMPLETED],
            kind=LetterKind.OUTPUT,
            revoked_at__isnull=True,
        )
        .order_by("-issued_at", "-id")
        .first()
    )
    return letter if letter is not None and letter.is_rendered else None


def _next_steps(case: Application, problems: list[Problem]) -> list[str]:
    code = case.code
    state = case.state
    office = "kantor kelurahan" + (
        f" (telepon/WhatsApp {case.office.phone})" if case.office.phone else ""
    )
    if state in (S.RECEIVED, S.INCOMPLETE) and problems:
        steps = [
            "Bawa atau kirim berkas yang tertulis di atas ke kantor kelurahan.",
            f"Sebutkan kode permohonan {code}.",
        ]
        if state == S.INCOMPLETE:
            steps.append("Hitungan hari layanan mulai lagi setelah berkas lengkap.")
        return steps
    if state == S.INCOMPLETE:
        return [
            f"Perbaiki yang diminta di atas, lalu hubungi {office} dengan kode permohonan {code}."
        ]
    if state in (S.RECEIVED, S.ARCHIVED, S.IN_VERIFICATION, S.VERIFIED):
        return ["Anda tidak perlu datang sekarang. Buka lagi halaman ini untuk melihat kemajuan."]
    if state == S.REJECTED:
        return [f"Bila menurut Anda keputusan ini keliru, hubungi {office} dengan kode {code}."]
    if state == S.ISSUED and not case.valid_letters:
        return ["Tunggu sebentar. Buka lagi halaman ini nanti."]
    if state == S.ISSUED and case.delivery == Delivery.ELECTRONIC:
        if not case.valid_letters[0].is_rendered:
            return ["Tunggu sebentar. Buka lagi halaman ini nanti."]
        return [
            "Tekan “Unduh surat (PDF)” di bawah dan simpan berkasnya di ponsel atau komputer.",
            "Tunjukkan atau cetak surat itu di tempat yang memerlukannya. Keasliannya bisa "
            "diperiksa lewat kode QR pada surat.",
        ]
    if state == S.ISSUED and case.delivery == Delivery.COURIER:
        return ["Tunggu kurir datang. Siapkan KTP asli saat menerima surat."]
    if state == S.ISSUED:
        return ["Ambil surat di kantor kelurahan pada jam buka (lihat di bawah)."]
    if state == S.COMPLETED:
        return ["Simpan surat Anda. Keasliannya bisa diperiksa lewat kode QR pada surat."]
    if state == S.CANCELLED:
        return ["Bila masih memerlukan layanan ini, ajukan permohonan baru di kantor kelurahan."]
    return []


def status_link(application: Application) -> str:
    """The full link printed on the receipt (and behind its QR code)."""
    path = reverse("services:public_status", args=[application.status_token])
    return settings.SITE_URL + path


def survey_link(application: Application) -> str:
    """The full link of the case's SKM survey (the hand-over message's ``{survei}``)."""
    return settings.SITE_URL + reverse("services:public_survey", args=[application.status_token])


def receipt_status(application: Application) -> dict[str, str]:
    """What the receipt prints for the resident: the status link, its QR code (an SVG data:
    URI) and the lookup page's address, as template context."""
    from services.letters.pdf import qr_svg_data_uri  # WeasyPrint loads only where a PDF is made

    link = status_link(application)
    return {
        "status_link": link,
        "status_qr": qr_svg_data_uri(link),
        "lookup_link": settings.SITE_URL + reverse("services:public_lookup"),
    }
