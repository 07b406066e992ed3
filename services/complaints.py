"""The write side of complaints (pengaduan): every step a complaint takes, each atomic.

``complaint_file`` takes a report in from the public form (no login); the staff steps
(``complaint_assign``, ``complaint_verify``, ``complaint_dismiss``, ``complaint_answer``,
``complaint_close``, ``complaint_set_lapor_ref``, ``complaint_publish``) check that the acting
user is an officer or supervisor of the complaint's office, run the FSM transition defined on
``Complaint`` on the row as stored now (optimistic locking: of a double click or two officers
one wins, the other gets a ``WorkflowError``), and write one ``ComplaintEvent`` — and the
reporter's outbox message, when they left a contact — in the same transaction.

Deadlines are counted in working days on the SLA calendar (``services.sla.WorkingCalendar``:
weekends, national holidays and cuti bersama, the office's closed days), per kind from
``ComplaintDeadline``: verified by office close of working day ``verify_days`` (the day it was
received is day 1; after the cut-off or on a closed day, the next working day is), answered by
office close of the ``answer_days``-th working day after the day it was verified.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from kelurahan import limits
from kelurahan.access import STAFF_ROLES, membership_for
from kelurahan.models import Office, Role
from kelurahan.numbering import next_number
from services.documents.cleaning import CleanFile
from services.models import (
    Application,
    Complaint,
    ComplaintDeadline,
    ComplaintEvent,
    ComplaintKind,
    ComplaintState,
)
from services.notifications.residents import message_complainant
from services.sla import WorkingCalendar
from services.validators import normalize_phone
from services.workflow import WorkflowError, WorkflowPermissionDenied

C = ComplaintState
DEFAULT_DAYS = (3, 5)  # verify, answer: SP4N-LAPOR! (Perpres 76/2013)
TEXT_MIN = 10
TEXT_MAX = limits.COMPLAINT_TEXT_MAX
ANSWER_MAX = limits.COMPLAINT_ANSWER_MAX
REASON_MAX = limits.REASON_MAX
LAPOR_REF = re.compile(r"[A-Za-z0-9./-]{1,40}")
# Held for review rather than published: a link, or the same text again within this window.
LINK = re.compile(r"(https?://|www\.|\b[\w-]+\.(com|net|org|id|xyz|info|co|io|ly|me)\b)", re.I)
REPEAT_WINDOW = timedelta(days=30)
CHANGED_UNDER_YOU = (
    "Pengaduan ini baru saja diubah oleh petugas lain. Muat ulang halaman lalu periksa lagi."
)


# --- deadlines --------------------------------------------------------------------------------
def days_for(kind: str) -> tuple[int, int]:
    row = ComplaintDeadline.objects.filter(kind=kind).values_list("verify_days", "answer_days")
    return row.first() or DEFAULT_DAYS


def verify_due_for(office: Office, kind: str, received_at: datetime) -> datetime:
    calendar = WorkingCalendar(office)
    day = calendar.start_day(received_at)
    for _ in range(days_for(kind)[0] - 1):
        day = calendar.next_working_day(day)
    return calendar.day_close(day)


def answer_due_for(office: Office, kind: str, verified_at: datetime) -> datetime:
    calendar = WorkingCalendar(office)
    day = calendar.local(verified_at).date()
    for _ in range(days_for(kind)[1]):
        day = calendar.next_working_day(day)
    return calendar.day_close(day)


# --- helpers ----------------------------------------------------------------------------------
def normalized_text(text: str) -> str:
    return " ".join(text.lower().split())


def _spam_reason(office: Office, text: str) -> str:
    if LINK.search(text):
        return "berisi tautan"
    since = timezone.now() - REPEAT_WINDOW
    wanted = normalized_text(text)
    # A handful of rows: the office's complaints of the last month, compared in Python so
    # that spacing and case do not hide a repeat.
    recent = Complaint.objects.filter(office=office, received_at__gte=since).values_list(
        "text", flat=True
    )
    if any(normalized_text(other) == wanted for other in recent.iterator()):
        return "teks sama dengan laporan sebelumnya"
    return ""


def _check_staff(complaint: Complaint, by: AbstractBaseUser, *, supervisor: bool = False) -> None:
    if by.is_superuser:
        return
    membership = membership_for(by)
    if membership is None or membership.office_id != complaint.office_id:
        raise WorkflowPermissionDenied("Pengaduan ini bukan milik kantor Anda.")
    if membership.role not in STAFF_ROLES:
        raise WorkflowPermissionDenied("Anda tidak berwenang menangani pengaduan.")
    if supervisor and membership.role != Role.SUPERVISOR:
        raise WorkflowPermissionDenied("Hanya Lurah/Sekretaris yang boleh memilih ini.")


def _fresh(complaint: Complaint) -> Complaint:
    """The complaint as stored now (row-locked on PostgreSQL; SQLite's IMMEDIATE
    transaction serialises writers already)."""
    return (
        Complaint.objects.select_related("office")
        .select_for_update(of=("self",))
        .get(pk=complaint.pk)
    )


def _record(
    complaint: Complaint, by, transition: str, source: str, note: str = ""
) -> ComplaintEvent:
    return ComplaintEvent.objects.create(
        complaint=complaint,
        by=by,
        transition=transition,
        source=source,
        target=complaint.state,
        note=note,
    )


def _sync(complaint: Complaint, stored: Complaint) -> Complaint:
    complaint.refresh_from_db()
    return stored


def _not_now(complaint: Complaint, verb: str) -> str:
    return (
        f"Pengaduan {complaint.code} tidak dapat {verb} karena statusnya sekarang "
        f"“{complaint.get_state_display()}”."
    )


def _transition(complaint: Complaint, by, name: str, verb: str) -> tuple[Complaint, str]:
    """Run FSM transition ``name`` on the stored complaint (not saved yet); returns it and
    the state it came from."""
    stored = _fresh(complaint)
    _check_staff(stored, by)
    method = getattr(stored, name)
    if not can_proceed(method):
        raise WorkflowError(_not_now(stored, verb))
    source = stored.state
    method()
    return stored, source


def _save(stored: Complaint, **fields) -> None:
    for key, value in fields.items():
        setattr(stored, key, value)
    try:
        stored.save()
    except ConcurrentTransition as exc:
        raise WorkflowError(CHANGED_UNDER_YOU) from exc


def _required(value: str, message: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise WorkflowError(message)
    if len(value) > limit:
        raise WorkflowError(f"Teks terlalu panjang: paling banyak {limit} karakter.")
    return value


# --- filing (public, no login) ----------------------------------------------------------------
def _clean_contact(contact_name: str, contact_phone: str, contact_email: str) -> tuple:
    contact_name = (contact_name or "").strip()[:120]
    phone = (contact_phone or "").strip()
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValidationError as exc:
            raise WorkflowError(" ".join(exc.messages)) from exc
    email = (contact_email or "").strip()
    if len(email) > 254:  # Complaint.contact_email's column (SQLite would not refuse it)
        raise WorkflowError("Alamat email terlalu panjang: paling banyak 254 karakter.")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise WorkflowError("Alamat email tidak valid.") from exc
    return contact_name, phone, email


@transaction.atomic
def complaint_file(
    *,
    office: Office,
    kind: str,
    text: str,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    application: Application | None = None,
    photo: CleanFile | None = None,
) -> Complaint:
    """Take in a report. Anonymous reports (no phone, no email) are allowed: they get no
    message, only their status link. A report with a link, or a text the office received
    already, is held for review (never shown publicly before an officer has looked)."""
    if kind not in ComplaintKind.values:
        raise WorkflowError("Pilih jenis laporan: pengaduan, aspirasi atau permintaan informasi.")
    text = _required(text, "Tuliskan isi laporan Anda.", TEXT_MAX)
    if len(text) < TEXT_MIN:
        raise WorkflowError(f"Isi laporan terlalu pendek: tulis paling sedikit {TEXT_MIN} huruf.")
    if application is not None and application.office_id != office.pk:
        raise WorkflowError("Kode permohonan itu tidak ditemukan di kelurahan ini.")
    if photo is not None and not photo.content_type.startswith("image/"):
        raise WorkflowError("Lampiran pengaduan harus berupa foto (JPG, PNG atau WebP).")
    contact_name, phone, email = _clean_contact(contact_name, contact_phone, contact_email)
    held_reason = _spam_reason(office, text)
    now = timezone.now()
    seq = next_number(office=office, key=f"complaint-{timezone.localtime(now):%y%m}")
    complaint = Complaint(
        code=f"ADU-{office.code}-{timezone.localtime(now):%y%m}-{seq:04d}",
        office=office,
        kind=kind,
        text=text,
        application=application,
        contact_name=contact_name,
        contact_phone=phone,
        contact_email=email,
        received_at=now,
        verify_due=verify_due_for(office, kind, now),
        held=bool(held_reason),
        held_reason=held_reason,
    )
    if photo is not None:
        complaint.photo.save("foto.jpg", ContentFile(photo.content), save=False)
        complaint.photo_sha256 = photo.sha256
    try:
        complaint.save()
        note = f"Ditahan untuk diperiksa: {held_reason}." if held_reason else ""
        _record(complaint, None, "file", "", note)
        if not held_reason:
            message_complainant(complaint, "complaint_receive")
    except BaseException:
        if complaint.photo:
            complaint.photo.storage.delete(complaint.photo.name)
        raise
    return complaint


# --- the office's steps -----------------------------------------------------------------------
@transaction.atomic
def complaint_assign(
    *, complaint: Complaint, by: AbstractBaseUser, to: AbstractBaseUser
) -> Complaint:
    """Give the complaint to one officer (or supervisor) of its office."""
    stored = _fresh(complaint)
    _check_staff(stored, by)
    if stored.state not in (C.RECEIVED, C.VERIFIED):
        raise WorkflowError(_not_now(stored, "ditugaskan"))
    target = membership_for(to)
    if target is None or target.office_id != stored.office_id or target.role not in STAFF_ROLES:
        raise WorkflowError("Petugas itu bukan petugas kantor ini.")
    if stored.assigned_to_id == to.pk:
        return _sync(complaint, stored)
    updated = Complaint.objects.filter(
        pk=stored.pk, state=stored.state, assigned_to=stored.assigned_to_id
    ).update(assigned_to=to, updated_at=timezone.now())
    if not updated:
        raise WorkflowError(CHANGED_UNDER_YOU)
    stored.assigned_to = to
    _record(stored, by, "assign", stored.state, to.get_full_name() or to.get_username())
    return _sync(complaint, stored)


@transaction.atomic
def complaint_verify(*, complaint: Complaint, by: AbstractBaseUser) -> Complaint:
    """It is a real report: the answer's clock starts (``answer_days`` working days)."""
    stored, source = _transition(complaint, by, "verify", "diverifikasi")
    stored.answer_due = answer_due_for(stored.office, stored.kind, stored.verified_at)
    if stored.assigned_to_id is None:
        stored.assigned_to = by
    _save(stored)
    _record(stored, by, "verify", source)
    return _sync(complaint, stored)


@transaction.atomic
def complaint_dismiss(*, complaint: Complaint, by: AbstractBaseUser, reason: str) -> Complaint:
    """ "Bukan pengaduan": not a report the office handles (spam, a private matter...).

    A report still held for review (a link, a repeated text) got no receipt and gets no
    dismissal either: its contact is whatever the sender typed, and the office must not
    send WhatsApp or email to a number of a spammer's choice."""
    reason = _required(reason, "Tuliskan alasan mengapa ini bukan pengaduan.", REASON_MAX)
    stored, source = _transition(complaint, by, "dismiss", "dinyatakan bukan pengaduan")
    _save(stored, dismiss_reason=reason, published=False)
    _record(stored, by, "dismiss", source, reason)
    if not stored.held:
        message_complainant(stored, "complaint_dismiss", alasan=reason)
    return _sync(complaint, stored)


@transaction.atomic
def complaint_answer(*, complaint: Complaint, by: AbstractBaseUser, answer: str) -> Complaint:
    """The office's answer: on the status page, and sent to the reporter when reachable."""
    answer = _required(answer, "Tuliskan jawaban untuk pelapor.", ANSWER_MAX)
    stored, source = _transition(complaint, by, "respond", "dijawab")
    _save(stored, answer=answer, answered_by=by)
    _record(stored, by, "answer", source, answer)
    message_complainant(stored, "complaint_answer", jawaban=answer)
    return _sync(complaint, stored)


@transaction.atomic
def complaint_close(*, complaint: Complaint, by: AbstractBaseUser) -> Complaint:
    stored, source = _transition(complaint, by, "close", "ditutup")
    _save(stored)
    _record(stored, by, "close", source)
    return _sync(complaint, stored)


@transaction.atomic
def complaint_set_lapor_ref(
    *, complaint: Complaint, by: AbstractBaseUser, lapor_ref: str
) -> Complaint:
    """Record (or clear) the SP4N-LAPOR! tracking number."""
    lapor_ref = (lapor_ref or "").strip()
    if lapor_ref and not LAPOR_REF.fullmatch(lapor_ref):
        raise WorkflowError(
            "Nomor LAPOR! hanya berisi huruf, angka, titik, garis miring atau tanda hubung "
            "(paling banyak 40 karakter)."
        )
    stored = _fresh(complaint)
    _check_staff(stored, by)
    if stored.lapor_ref == lapor_ref:
        return _sync(complaint, stored)
    Complaint.objects.filter(pk=stored.pk).update(lapor_ref=lapor_ref, updated_at=timezone.now())
    stored.lapor_ref = lapor_ref
    _record(stored, by, "lapor_ref", stored.state, lapor_ref or "dihapus")
    return _sync(complaint, stored)


@transaction.atomic
def complaint_publish(*, complaint: Complaint, by: AbstractBaseUser, published: bool) -> Complaint:
    """A supervisor's choice: show (kind, date, state, answer) in the office's public list."""
    stored = _fresh(complaint)
    _check_staff(stored, by, supervisor=True)
    if published and stored.state not in (C.ANSWERED, C.CLOSED):
        raise WorkflowError("Hanya pengaduan yang sudah dijawab yang dapat ditampilkan.")
    if stored.published == published:
        return _sync(complaint, stored)
    Complaint.objects.filter(pk=stored.pk).update(published=published, updated_at=timezone.now())
    stored.published = published
    _record(stored, by, "publish" if published else "unpublish", stored.state)
    return _sync(complaint, stored)
