"""The complaint's public side, read only: its status page, the office's public list, and
the few lookups the public form needs.

The status page (``/pengaduan/s/<token>/``) shows the kind, the dates, the state in plain
words, the deadline, the office's answer or its reason for "bukan pengaduan", and the steps
with their dates. The reporter's contact appears masked only (``0812****7890``,
``s***@gmail.com``); the staff's notes, the assigned officer and the photo never. The public
list shows only what a supervisor published, and of it only kind, date, state and answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse

from kelurahan.models import Office
from services.models import Application, Complaint, ComplaintEvent, ComplaintState
from services.public.status import day_date_id, day_date_time_id

C = ComplaintState
PUBLIC_LIST_SIZE = 50

PUBLIC_STEPS = {
    "file": "Laporan diterima kantor kelurahan",
    "verify": "Laporan diverifikasi, sedang ditindaklanjuti",
    "dismiss": "Dinyatakan bukan pengaduan",
    "answer": "Dijawab oleh kantor kelurahan",
    "close": "Selesai",
}
HEADLINES = {
    C.RECEIVED: "Laporan Anda sudah diterima dan sedang diperiksa petugas.",
    C.VERIFIED: "Laporan Anda sudah diverifikasi. Kantor kelurahan sedang menyiapkan jawaban.",
    C.ANSWERED: "Kantor kelurahan sudah menjawab laporan Anda.",
    C.CLOSED: "Selesai. Laporan ini sudah dijawab dan ditutup.",
    C.DISMISSED: "Laporan ini tidak ditindaklanjuti sebagai pengaduan.",
}


def complaint_link(complaint: Complaint) -> str:
    return settings.SITE_URL + reverse("services:complaint_status", args=[complaint.token])


def mask_phone(phone: str) -> str:
    """+6281234567890 -> 0812****7890."""
    if not phone:
        return ""
    digits = phone.lstrip("+")
    local = "0" + digits[2:] if digits.startswith("62") else digits
    if len(local) <= 8:
        return "*" * len(local)
    return local[:4] + "*" * (len(local) - 8) + local[-4:]


def mask_email(email: str) -> str:
    """siti.rahma@gmail.com -> s*********@gmail.com."""
    if "@" not in email:
        return ""
    user, domain = email.split("@", 1)
    return user[:1] + "*" * max(len(user) - 1, 1) + "@" + domain


@dataclass(frozen=True)
class ComplaintStep:
    label: str
    when: str


@dataclass(frozen=True)
class PublicComplaint:
    code: str
    kind: str
    state: str
    state_label: str
    headline: str
    filed_on: str
    due_label: str  # "Diverifikasi paling lambat ..." / "Dijawab paling lambat ..."
    answer: str
    answered_on: str
    dismiss_reason: str
    application_code: str
    contact: str  # masked
    has_photo: bool
    lapor_ref: str
    office_name: str
    office_phone: str
    text: str
    timeline: list[ComplaintStep] = field(default_factory=list)


def complaint_for_token(token: str) -> PublicComplaint | None:
    complaint = (
        Complaint.objects.select_related("office", "application")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=ComplaintEvent.objects.filter(transition__in=PUBLIC_STEPS)
                .only("complaint_id", "at", "transition")
                .order_by("at", "id"),
                to_attr="public_events",
            )
        )
        .filter(token=token)
        .first()
    )
    return public_complaint(complaint) if complaint is not None else None


def _due_label(complaint: Complaint) -> str:
    if complaint.state == C.RECEIVED:
        return f"Diverifikasi paling lambat {day_date_id(complaint.verify_due)}."
    if complaint.state == C.VERIFIED and complaint.answer_due:
        return f"Dijawab paling lambat {day_date_id(complaint.answer_due)}."
    return ""


def public_complaint(complaint: Complaint) -> PublicComplaint:
    contact = " · ".join(
        part
        for part in (mask_phone(complaint.contact_phone), mask_email(complaint.contact_email))
        if part
    )
    return PublicComplaint(
        code=complaint.code,
        kind=complaint.get_kind_display(),
        state=complaint.state,
        state_label=complaint.get_state_display(),
        headline=HEADLINES[complaint.state],
        filed_on=day_date_time_id(complaint.received_at),
        due_label=_due_label(complaint),
        answer=complaint.answer if complaint.state in (C.ANSWERED, C.CLOSED) else "",
        answered_on=day_date_id(complaint.answered_at) if complaint.answered_at else "",
        dismiss_reason=complaint.dismiss_reason if complaint.state == C.DISMISSED else "",
        application_code=complaint.application.code if complaint.application_id else "",
        contact=contact,
        has_photo=bool(complaint.photo),
        lapor_ref=complaint.lapor_ref,
        office_name=complaint.office.name,
        office_phone=complaint.office.phone,
        text=complaint.text,
        timeline=[
            ComplaintStep(label=PUBLIC_STEPS[e.transition], when=day_date_time_id(e.at))
            for e in complaint.public_events
        ],
    )


# --- the public form and list -----------------------------------------------------------------
def offices_for_complaints():
    return Office.objects.order_by("name")


def application_by_code(office: Office, code: str) -> Application | None:
    return Application.objects.filter(office=office, code=code.strip().upper()).first()


def office_with_public_list(code: str) -> Office | None:
    return Office.objects.filter(code=code, complaints_public_list=True).first()


@dataclass(frozen=True)
class ListedComplaint:
    kind: str
    filed_on: str
    state_label: str
    answer: str


def public_list(office: Office) -> list[ListedComplaint]:
    """What a supervisor chose to publish, newest first: kind, date, state, answer only."""
    rows = (
        Complaint.objects.filter(
            office=office, published=True, held=False, state__in=[C.ANSWERED, C.CLOSED]
        )
        .only("kind", "received_at", "state", "answer")
        .order_by("-received_at", "-id")[:PUBLIC_LIST_SIZE]
    )
    return [
        ListedComplaint(
            kind=c.get_kind_display(),
            filed_on=day_date_id(c.received_at),
            state_label=c.get_state_display(),
            answer=c.answer,
        )
        for c in rows
    ]
