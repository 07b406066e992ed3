"""The write side of applications: every step a case takes, each in one transaction.

Views, admin actions and jobs call these functions and nothing else to change a case. Each
checks the acting user's office and permission, runs the FSM transition defined on
``Application`` (the single definition of which step is allowed from where), saves with
optimistic locking and writes one ``ApplicationEvent`` in the same transaction. A step that
is not allowed raises ``WorkflowError`` with a message for the officer, and changes nothing.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import capfirst
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from kelurahan import limits
from kelurahan.access import STAFF_ROLES, membership_for, office_for, rt_for
from kelurahan.limits import too_long
from kelurahan.models import RT
from kelurahan.numbering import next_number
from services.catalogue import active_variants, clean_extra, requirements_for
from services.documents.cleaning import CleanFile
from services.letters.numbering import new_output_letter
from services.letters.renders import queue_bundle_render, queue_letter_render
from services.models import (
    OPEN_STATES,
    Application,
    ApplicationEvent,
    Attachment,
    Complaint,
    ComplaintEvent,
    Delivery,
    Letter,
    LetterKind,
    MessageChannel,
    MessageState,
    Requirement,
    ResidentMessage,
    ServiceVariant,
    SlaBreach,
    Verdict,
)
from services.models import ApplicationState as S
from services.notifications.residents import follow_contact_correction, message_resident
from services.requirements import missing_requirements
from services.selectors import current_letter, open_application_for
from services.sla import WorkingCalendar, deadlines
from services.sla.stages import record_stage_time
from services.sla.sweep import record_moved_breaches
from services.validators import mask_nik, normalize_phone, validate_kk_number, validate_nik


class WorkflowError(Exception):
    """A step that is not allowed now; ``message`` is shown to the user as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class WorkflowPermissionDenied(WorkflowError):
    """The user may not take this step at all (as opposed to: not in this state)."""


CHANGED_UNDER_YOU = (
    "Permohonan ini baru saja diubah oleh petugas lain. Muat ulang halaman lalu periksa lagi."
)
EDITABLE_STATES = (S.RECEIVED, S.INCOMPLETE)


# --- helpers ----------------------------------------------------------------------------------
def within_limit(value: str, limit: int, label: str) -> str:
    """``value`` if it fits ``limit`` characters; otherwise the step is refused (J63)."""
    if value and len(value) > limit:
        raise WorkflowError(too_long(label, limit, len(value)))
    return value


def within_field(model, name: str, value: str) -> str:
    """``value`` within the limit of ``model``'s field ``name`` (named by its verbose name)."""
    field = model._meta.get_field(name)
    return within_limit(value, field.max_length, capfirst(field.verbose_name))


def _check_office(application: Application, by: AbstractBaseUser) -> None:
    if by.is_superuser:
        return
    office = office_for(by)
    if office is None or office.pk != application.office_id:
        raise WorkflowPermissionDenied("Permohonan ini bukan milik kantor Anda.")


def _record(
    application: Application,
    by: AbstractBaseUser | None,
    transition: str,
    source: str,
    note: str = "",
) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        application=application,
        by=by,
        transition=transition,
        source=source,
        target=application.state,
        note=note,
    )


def _fresh(application: Application) -> Application:
    """The case as stored now, so a decision never rests on a stale page.

    On PostgreSQL the row is locked until the transaction ends, so a document verdict and
    an archive of the same case cannot interleave (on SQLite the IMMEDIATE transaction
    already serialises them).
    """
    return (
        Application.objects.select_related("service", "office")
        .select_for_update(of=("self",))
        .get(pk=application.pk)
    )


def lock_case(application: Application) -> Application:
    """Take the case's row lock first (PostgreSQL), before any row that hangs off it.

    Steps that also write a VerificationRequest call this before touching it, so that two
    of them always lock in the same order and cannot deadlock.
    """
    return _fresh(application)


def application_transition(
    application: Application,
    by: AbstractBaseUser,
    name: str,
    verb: str,
    note: str = "",
    precondition: Callable[[Application], str] | None = None,
    **kwargs,
) -> Application:
    """Run transition ``name`` on the stored case and record its event.

    The one way every workflow module (this one, ``verification.workflow``) moves a case;
    the caller holds the transaction. ``precondition`` runs once state and permission allow
    the step; it raises WorkflowError to refuse, or returns the note to record. ``kwargs``
    go to the transition method. A ``note`` (the reason or note the user typed) over
    ``limits.NOTE_MAX`` is refused before anything changes.
    """
    within_limit(note, limits.NOTE_MAX, "Catatan")
    case = _fresh(application)
    _check_office(case, by)
    method = getattr(case, name)
    if not can_proceed(method):
        raise WorkflowError(_not_now(case, verb))
    if not has_transition_perm(method, by):
        raise WorkflowPermissionDenied(f"Anda tidak berwenang: permohonan tidak dapat {verb}.")
    if precondition is not None:
        note = precondition(case)
    source = case.state
    method(**kwargs)
    record_stage_time(case, name)
    try:
        case.save()
    except ConcurrentTransition as exc:
        raise WorkflowError(CHANGED_UNDER_YOU) from exc
    _record(case, by, name, source, note)
    return case


def _not_now(case: Application, verb: str) -> str:
    return (
        f"Permohonan {case.code} tidak dapat {verb} karena statusnya sekarang "
        f"“{case.get_state_display()}”."
    )


def sync(application: Application, case: Application) -> Application:
    """Bring the caller's instance up to date with what was saved."""
    application.refresh_from_db()
    return case


# --- intake -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApplicantData:
    applicant_name: str
    nik: str
    phone: str
    address: str
    rt_id: int
    kk_number: str = ""
    email: str = ""
    purpose: str = ""
    channel: str = "walk_in"
    assisted_by: str = ""
    delivery: str = "pickup"
    delivery_address: str = ""


# What anyone who may not open the other case hears (SECURITY.md J62): an RT chair probing
# a NIK learns neither the code nor the RT nor the state of a case; the same words whichever
# RT the case is in, their own included. The refusal itself cannot be hidden without a second
# open case, which the conditional UniqueConstraint exists to prevent.
DUPLICATE_OUT_OF_SCOPE = (
    "Permohonan ini tidak dapat dicatat lewat halaman Ketua RT. Minta pemohon datang ke "
    "kantor kelurahan, atau hubungi petugas kelurahan."
)


def duplicate_message(existing: Application | None, by: AbstractBaseUser) -> str:
    """The refusal of a second open case; only staff of its office are told its code."""
    if existing is None:
        return CHANGED_UNDER_YOU
    membership = membership_for(by)
    if by.is_superuser or (
        membership is not None
        and membership.role in STAFF_ROLES
        and membership.office_id == existing.office_id
    ):
        return (
            f"Sudah ada permohonan terbuka untuk NIK dan layanan ini: {existing.code}. "
            "Lanjutkan permohonan itu, jangan membuat yang baru."
        )
    return DUPLICATE_OUT_OF_SCOPE


def _check_applicant_text(data: ApplicantData) -> None:
    """Every text of the applicant within its column's limit (a form may not have run)."""
    for name, value in asdict(data).items():
        if isinstance(value, str):
            within_field(Application, name, value)


def _check_may_receive(office, data: ApplicantData, by: AbstractBaseUser) -> None:
    """Officers record for anyone in their office; an RT chair only for their own RT."""
    if by.has_perm("services.receive_application") and office_for(by) == office:
        return
    chair_rt = rt_for(by)
    if (
        by.has_perm("services.submit_assisted_application")
        and chair_rt is not None
        and chair_rt.pk == data.rt_id
        and data.channel == "assisted"
    ):
        return
    raise WorkflowPermissionDenied("Anda tidak berwenang mencatat permohonan ini.")


def application_receive(
    *,
    office,
    service,
    data: ApplicantData,
    files: dict[Requirement, list[CleanFile]],
    by: AbstractBaseUser,
    assisted_by_user: AbstractBaseUser | None = None,
    variant: ServiceVariant | None = None,
    extra: dict | None = None,
) -> Application:
    """Record a new application with the documents that came with it (day 1 starts).

    ``variant`` is the jenis permohonan (required when the service has any); ``extra`` the
    answers to the service's data fields, checked again here whatever form sent them.
    """
    _check_may_receive(office, data, by)
    _check_applicant_text(data)
    if not service.active:
        raise WorkflowError(f"Layanan {service.name} sedang tidak dibuka.")
    _check_delivery(service, data.delivery)
    _check_variant(service, variant)
    try:
        extra = clean_extra(service, extra or {})
    except ValidationError as exc:
        raise WorkflowError(" ".join(exc.messages)) from exc
    allowed = {r.pk for r in requirements_for(service, variant)}
    if any(r.pk not in allowed for r in files):
        raise WorkflowError("Ada berkas untuk persyaratan yang bukan dari jenis permohonan ini.")
    if not office.rws.filter(rts__pk=data.rt_id).exists():
        raise WorkflowError("RT yang dipilih bukan bagian dari kelurahan ini.")
    stored: list[str] = []
    try:
        with transaction.atomic():
            existing = open_application_for(office=office, nik=data.nik, service=service)
            if existing:
                raise WorkflowError(duplicate_message(existing, by))
            now = timezone.localtime()
            seq = next_number(office=office, key=f"application-{now:%y%m}")
            archive_due, verify_due, issue_due = deadlines(office, now)
            application = Application(
                archive_due=archive_due,
                verify_due=verify_due,
                issue_due=issue_due,
                code=f"{office.code}-{now:%y%m}-{seq:04d}",
                office=office,
                service=service,
                received_by=by,
                received_at=now,
                sla_started_at=now,
                assisted_by_user=assisted_by_user,
                variant=variant,
                extra=extra,
                **asdict(data),
            )
            try:
                with transaction.atomic():
                    application.save()
            except IntegrityError as exc:
                # Two officers (or a double click) racing past the check above.
                existing = open_application_for(office=office, nik=data.nik, service=service)
                raise WorkflowError(duplicate_message(existing, by)) from exc
            _record(application, by, "receive", "")
            for requirement, clean_files in files.items():
                for clean in clean_files:
                    attachment = _store_attachment(application, requirement, clean, by)
                    stored.extend(_paths(attachment))
            message_resident(application, "receive")
            return application
    except BaseException:
        _delete_files(stored)
        raise


def _check_delivery(service, delivery: str) -> None:
    """Pickup and courier for every service; electronic only where the service allows it."""
    if delivery not in Delivery.values:
        raise WorkflowError("Pilih cara pengambilan hasil layanan.")
    if delivery == Delivery.ELECTRONIC and not service.electronic_delivery:
        raise WorkflowError(
            f"Hasil layanan {service.name} tidak dapat diunduh sendiri: pilih diambil di "
            "kantor kelurahan atau dikirim kurir."
        )


def _check_variant(service, variant: ServiceVariant | None) -> None:
    if variant is None:
        if active_variants(service):
            raise WorkflowError(f"Pilih jenis permohonan untuk layanan {service.name}.")
        return
    if variant.service_id != service.pk:
        raise WorkflowError(
            f"Jenis permohonan “{variant.name}” bukan untuk layanan {service.name}."
        )
    if not variant.active:
        raise WorkflowError(f"Jenis permohonan “{variant.name}” sedang tidak dibuka.")


def _store_attachment(
    application: Application, requirement: Requirement, clean: CleanFile, by: AbstractBaseUser
) -> Attachment:
    if requirement.service_id != application.service_id:
        raise WorkflowError("Persyaratan ini bukan untuk layanan permohonan ini.")
    attachment = Attachment(
        application=application,
        requirement=requirement,
        content_type=clean.content_type,
        size=len(clean.content),
        sha256=clean.sha256,
        original_name=clean.original_name,
        uploaded_by=by,
    )
    attachment.file.save(f"x.{clean.extension}", ContentFile(clean.content), save=False)
    if clean.thumbnail:
        attachment.thumbnail.save("x.jpg", ContentFile(clean.thumbnail), save=False)
    attachment.save()
    return attachment


def _paths(attachment: Attachment) -> list[str]:
    return [f.name for f in (attachment.file, attachment.thumbnail) if f]


def _delete_files(names: Iterable[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        with contextlib.suppress(OSError):
            default_storage.delete(name)


# --- documents --------------------------------------------------------------------------------
def attachment_add(
    *,
    application: Application,
    requirement: Requirement,
    files: list[CleanFile],
    by: AbstractBaseUser,
) -> list[Attachment]:
    """Add files for one requirement; allowed while the case is received or incomplete."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            case = _fresh(application)
            _check_office(case, by)
            if not by.has_perm("services.check_attachment"):
                raise WorkflowPermissionDenied("Anda tidak berwenang menambah berkas.")
            if case.state not in EDITABLE_STATES:
                raise WorkflowError(_not_now(case, "ditambah berkasnya"))
            if not requirements_for(case.service, case.variant).filter(pk=requirement.pk).exists():
                raise WorkflowError("Persyaratan ini bukan untuk jenis permohonan ini.")
            attachments = []
            for clean in files:
                attachment = _store_attachment(case, requirement, clean, by)
                stored.extend(_paths(attachment))
                attachments.append(attachment)
            names = ", ".join(a.original_name for a in attachments)
            _record(case, by, "upload", case.state, f"{requirement.label}: {names}")
            return attachments
    except BaseException:
        _delete_files(stored)
        raise


def _set_verdict(
    attachment: Attachment, by: AbstractBaseUser, verdict: str, reason: str
) -> Attachment:
    with transaction.atomic():
        case = _fresh(attachment.application)
        _check_office(case, by)
        if not by.has_perm("services.check_attachment"):
            raise WorkflowPermissionDenied("Anda tidak berwenang memeriksa berkas.")
        if case.state not in EDITABLE_STATES:
            raise WorkflowError(_not_now(case, "diperiksa berkasnya"))
        updated = Attachment.objects.filter(pk=attachment.pk, application=case).update(
            verdict=verdict,
            verdict_reason=reason,
            verdict_by=by,
            verdict_at=timezone.now(),
        )
        if not updated:
            raise WorkflowError("Berkas ini sudah tidak ada.")
        # Its requirement in the same query: accept-all runs this once per document.
        attachment.refresh_from_db(from_queryset=Attachment.objects.select_related("requirement"))
        transition = "accept_document" if verdict == Verdict.ACCEPTED else "reject_document"
        note = attachment.requirement.label + (f": {reason}" if reason else "")
        _record(case, by, transition, case.state, note)
        return attachment


def attachment_accept(*, attachment: Attachment, by: AbstractBaseUser) -> Attachment:
    return _set_verdict(attachment, by, Verdict.ACCEPTED, "")


@transaction.atomic
def attachment_accept_all(*, application: Application, by: AbstractBaseUser) -> list[Attachment]:
    """Accept every document still unchecked, with one event per document (as one by one)."""
    case = _fresh(application)
    pending = list(case.attachments.filter(verdict=Verdict.PENDING).select_related("requirement"))
    if not pending:
        raise WorkflowError("Tidak ada berkas yang belum diperiksa.")
    return [_set_verdict(attachment, by, Verdict.ACCEPTED, "") for attachment in pending]


def attachment_reject(*, attachment: Attachment, by: AbstractBaseUser, reason: str) -> Attachment:
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError(
            "Tulis alasan penolakan, agar pemohon tahu berkas mana yang harus dikirim ulang."
        )
    within_field(Attachment, "verdict_reason", reason)
    return _set_verdict(attachment, by, Verdict.REJECTED, reason)


# --- transitions ------------------------------------------------------------------------------
def _restart_clock(case: Application) -> None:
    """Day 1 starts now (resubmit, reopen): the three deadlines from this moment."""
    case.sla_started_at = timezone.now()
    case.archive_due, case.verify_due, case.issue_due = deadlines(case.office, case.sla_started_at)


@transaction.atomic
def application_archive(
    *, application: Application, by: AbstractBaseUser, note: str = ""
) -> Application:
    """Day 1 done: every required document is there and accepted (or the RT will stand in)."""
    within_limit(note, limits.NOTE_MAX, "Catatan")

    def complete(case: Application) -> str:
        pending = case.attachments.filter(verdict=Verdict.PENDING).count()
        if pending:
            raise WorkflowError(
                f"Masih ada {pending} berkas yang belum diperiksa. "
                "Terima atau tolak dulu setiap berkas."
            )
        missing = missing_requirements(case)
        if missing:
            raise WorkflowError("Belum bisa diarsipkan. Kurang: " + "; ".join(missing) + ".")
        return note

    case = application_transition(application, by, "archive", "diarsipkan", "", complete)
    queue_bundle_render(case)
    return sync(application, case)


@transaction.atomic
def application_mark_incomplete(
    *, application: Application, by: AbstractBaseUser, note: str = ""
) -> Application:
    """Ask the applicant for what is missing or rejected; the note lists it for them."""
    within_limit(note, limits.NOTE_MAX, "Catatan")
    missing: list[str] = []

    def what_is_missing(case: Application) -> str:
        missing.extend(m for m in missing_requirements(case) if not m.endswith("belum diperiksa"))
        if not missing:
            raise WorkflowError(
                "Tidak ada persyaratan yang kurang atau ditolak. Tolak berkas yang salah dulu, "
                "dengan alasannya."
            )
        text = "Kurang: " + "; ".join(missing) + "."
        return text + (f" Catatan: {note.strip()}" if note.strip() else "")

    case = application_transition(
        application, by, "mark_incomplete", "ditandai belum lengkap", "", what_is_missing
    )
    message_resident(case, "mark_incomplete", kurang="; ".join(missing) + ".", alasan=note.strip())
    return sync(application, case)


@transaction.atomic
def application_resubmit(
    *, application: Application, by: AbstractBaseUser, note: str = ""
) -> Application:
    """The applicant sent what was missing: back to received, and day 1 starts again."""

    def restart_clock(case: Application) -> str:
        _restart_clock(case)
        return note

    return sync(
        application,
        application_transition(application, by, "resubmit", "diajukan ulang", note, restart_clock),
    )


@transaction.atomic
def application_cancel(
    *, application: Application, by: AbstractBaseUser, reason: str
) -> Application:
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("Tulis alasan pembatalan.")
    within_limit(reason, limits.REASON_MAX, "Alasan pembatalan")
    case = application_transition(application, by, "cancel", "dibatalkan", reason)
    message_resident(case, "cancel", alasan=reason)
    return sync(application, case)


# --- letters ----------------------------------------------------------------------------------
# The case's text a letter prints (templates/letters/): each must fit its column's limit.
PRINTED_FIELDS = ("applicant_name", "nik", "kk_number", "address", "purpose", "delivery_address")


def check_printable(case: Application) -> None:
    """Refuse to number a letter whose text is over a limit (F41): no render would be sane.

    The forms, the workflow and (for the addresses) a CHECK constraint keep such text out;
    this covers rows written before the limits, or by a path that skipped them (SQLite does
    not enforce a CharField's length).
    """
    for name in PRINTED_FIELDS:
        field = Application._meta.get_field(name)
        value = getattr(case, name) or ""
        if len(value) > field.max_length:
            raise WorkflowError(
                f"{capfirst(field.verbose_name)} terlalu panjang untuk dicetak: "
                f"{len(value):,} karakter, paling banyak {field.max_length}. ".replace(",", ".")
                + "Koreksi data permohonan dulu, lalu terbitkan suratnya."
            )


@transaction.atomic
def application_issue(*, application: Application, by: AbstractBaseUser) -> Letter:
    """Day 3: number the output letter in this transaction; its PDF renders after commit."""
    letters: list[Letter] = []

    def number_it(case: Application) -> str:
        check_printable(case)
        letters.append(new_output_letter(case, by))
        return f"Nomor {letters[0].number}"

    case = application_transition(application, by, "issue", "diterbitkan", "", number_it)
    message_resident(case, "issue")
    queue_letter_render(letters[0])
    sync(application, case)
    return letters[0]


@transaction.atomic
def application_hand_over(
    *,
    application: Application,
    by: AbstractBaseUser,
    method: str,
    received_by: str = "",
    courier_name: str = "",
    courier_receipt: str = "",
) -> Application:
    """The letter reached the applicant: collected in person, or sent by courier."""
    within_field(Application, "handed_over_to", received_by.strip())
    within_field(Application, "courier_name", courier_name.strip())
    within_field(Application, "courier_receipt", courier_receipt.strip())

    def record(case: Application) -> str:
        letter = current_letter(case)
        if letter is None:
            raise WorkflowError(
                "Belum ada surat yang berlaku (surat terakhir dicabut). "
                "Terbitkan surat pengganti dulu."
            )
        if not letter.is_rendered:
            raise WorkflowError("PDF surat masih dibuat. Tunggu sebentar, lalu muat ulang.")
        if method == Delivery.PICKUP:
            if not received_by.strip():
                raise WorkflowError("Tulis nama orang yang mengambil surat.")
            case.handed_over_to = received_by.strip()
            return f"Diambil oleh {case.handed_over_to}"
        if method == Delivery.COURIER:
            if not (courier_name.strip() and courier_receipt.strip()):
                raise WorkflowError("Tulis nama kurir dan nomor resi pengiriman.")
            case.courier_name, case.courier_receipt = courier_name.strip(), courier_receipt.strip()
            return f"Dikirim lewat {case.courier_name}, resi {case.courier_receipt}"
        raise WorkflowError("Pilih cara penyerahan: diambil atau dikirim kurir.")

    case = application_transition(application, by, "hand_over", "diserahkan", "", record)
    message_resident(case, "hand_over")
    return sync(application, case)


# The note of the event the resident's first download writes (the case page shows it).
DOWNLOADED_NOTE = "Diunduh pemohon lewat tautan status"


@transaction.atomic
def application_download_by_resident(*, application: Application, letter: Letter) -> bool:
    """The resident downloaded the letter from the status page (electronic delivery).

    The first download of an issued case completes it: the ``hand_over`` transition, taken
    by nobody (the resident has no account; the status link is their key), with one event
    "Diunduh pemohon …" in this transaction. A later download, a double click or two
    downloads at once change nothing more: the case row is locked (PostgreSQL; on SQLite
    the IMMEDIATE transaction serialises them), and a case no longer issued is left as it
    is. Returns True when this download completed the case.

    No message goes to the resident: they have just done it themselves (the officer's
    hand-over writes the ``hand_over`` message, since the resident may not know it yet).
    Raises WorkflowError when the letter may not be downloaded (not an electronic case,
    not issued, or not the case's current, rendered letter).
    """
    case = _fresh(application)
    if case.delivery != Delivery.ELECTRONIC:
        raise WorkflowError("Surat permohonan ini tidak diunduh lewat tautan status.")
    if case.state not in (S.ISSUED, S.COMPLETED):
        raise WorkflowError(_not_now(case, "diunduh suratnya"))
    current = current_letter(case)
    if current is None or current.pk != letter.pk:
        raise WorkflowError("Surat ini sudah dicabut; tunggu surat penggantinya.")
    if not current.is_rendered:
        raise WorkflowError("PDF surat masih dibuat. Tunggu sebentar, lalu muat ulang.")
    if case.state != S.ISSUED:
        return False  # completed already: by an earlier download or the officer's hand-over
    case.hand_over()
    case.downloaded_at = case.completed_at
    try:
        with transaction.atomic():
            case.save()
    except ConcurrentTransition:
        return False  # completed a moment ago by another request
    _record(case, None, "hand_over", S.ISSUED, f"{DOWNLOADED_NOTE} (surat {current.number}).")
    return True


def _letter_for_change(letter: Letter, by: AbstractBaseUser) -> Letter:
    fresh = Letter.objects.select_related("application__office", "application__service").get(
        pk=letter.pk
    )
    _check_office(fresh.application, by)
    return fresh


@transaction.atomic
def letter_revoke(*, letter: Letter, by: AbstractBaseUser, reason: str) -> Letter:
    """A supervisor withdraws a letter; its verification page says so from now on."""
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("Tulis alasan pencabutan surat.")
    within_field(Letter, "revoked_reason", reason)
    letter = _letter_for_change(letter, by)
    if not by.has_perm("services.revoke_letter"):
        raise WorkflowPermissionDenied("Hanya Lurah/Sekretaris yang dapat mencabut surat.")
    revoked = Letter.objects.filter(pk=letter.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason, revoked_by=by
    )
    if not revoked:
        raise WorkflowError(f"Surat {letter.number} sudah dicabut sebelumnya.")
    application = letter.application
    _record(application, by, "revoke_letter", application.state, f"{letter.number}: {reason}")
    letter.refresh_from_db()
    return letter


@transaction.atomic
def letter_reissue(*, letter: Letter, by: AbstractBaseUser, reason: str) -> Letter:
    """A correction: a new number and PDF, and the old letter revoked (never overwritten)."""
    letter = _letter_for_change(letter, by)
    application = letter.application
    if application.state not in (S.ISSUED, S.COMPLETED):
        raise WorkflowError(_not_now(application, "diterbitkan ulang suratnya"))
    if not by.has_perm("services.issue_application"):
        raise WorkflowPermissionDenied("Anda tidak berwenang menerbitkan surat.")
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("Tulis alasan penerbitan ulang (apa yang dikoreksi).")
    within_limit(reason, limits.REASON_MAX, "Alasan penerbitan ulang")
    new = _replace_letter(application, letter, by, f"Diganti: {reason}")
    note = f"{letter.number} → {new.number}: {reason}"
    _record(application, by, "reissue", application.state, note)
    return new


def _replace_letter(case: Application, letter: Letter, by: AbstractBaseUser, why: str) -> Letter:
    check_printable(case)
    """Revoke ``letter`` (once: a conditional UPDATE) and number its replacement."""
    if not Letter.objects.filter(pk=letter.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=why[:240], revoked_by=by
    ):
        raise WorkflowError(f"Surat {letter.number} sudah dicabut sebelumnya.")
    new = new_output_letter(case, by, replaces=letter)
    queue_letter_render(new)
    return new


@transaction.atomic
def application_issue_replacement(
    *, application: Application, by: AbstractBaseUser, reason: str = ""
) -> Letter:
    """A new letter for an issued or completed case whose letter was revoked.

    Revoking (a supervisor) leaves the case without a valid letter; this numbers the
    replacement, linked to the revoked one. Correct the data first if that was the problem.
    """
    case = _fresh(application)
    _check_office(case, by)
    if not by.has_perm("services.issue_application"):
        raise WorkflowPermissionDenied("Anda tidak berwenang menerbitkan surat.")
    if case.state not in (S.ISSUED, S.COMPLETED):
        raise WorkflowError(_not_now(case, "diterbitkan surat penggantinya"))
    check_printable(case)
    valid = current_letter(case)
    if valid is not None:
        raise WorkflowError(
            f"Surat {valid.number} masih berlaku. Untuk mengoreksinya, pakai “Terbitkan ulang”."
        )
    revoked = (
        case.letters.filter(
            kind=LetterKind.OUTPUT, revoked_at__isnull=False, replaced_by__isnull=True
        )
        .order_by("-issued_at", "-id")
        .first()
    )
    if revoked is None:
        raise WorkflowError("Tidak ada surat dicabut yang perlu diganti.")
    try:
        with transaction.atomic():
            new = new_output_letter(case, by, replaces=revoked)
    except IntegrityError as exc:  # someone replaced it a moment ago
        raise WorkflowError(CHANGED_UNDER_YOU) from exc
    reason = (reason or "").strip()
    note = f"{new.number} menggantikan {revoked.number}" + (f": {reason}" if reason else "")
    _record(case, by, "issue_replacement", case.state, note)
    queue_letter_render(new)
    sync(application, case)
    return new


# --- corrections ------------------------------------------------------------------------------
# What an officer may correct, with the label the case history shows.
CORRECTABLE_FIELDS = {
    "applicant_name": "Nama",
    "nik": "NIK",
    "kk_number": "Nomor KK",
    "phone": "Telepon",
    "email": "Email",
    "address": "Alamat",
    "rt": "RT",
    "purpose": "Keperluan",
    "delivery": "Hasil layanan",
    "delivery_address": "Alamat pengiriman",
    "variant": "Jenis permohonan",
}
# Open cases, and completed ones (the letter is replaced in the same step, see
# application_correct). Rejected and cancelled cases are closed: reopen first.
CORRECTABLE_STATES = (*OPEN_STATES, S.COMPLETED)
# Once the RT chair has confirmed the case, the confirmation is about that RT.
RT_FIXED_STATES = (S.VERIFIED, S.ISSUED, S.COMPLETED)
MAX_TEXT = {"applicant_name": 120, "address": 500, "purpose": 240, "delivery_address": 500}
REQUIRED_TEXT = {"applicant_name": "Nama pemohon", "address": "Alamat"}
SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")

# Called when the RT of a case in verification changes: closes the pending request and sends
# a new one (verification.workflow passes it; services may not import verification).
RtChangeHandler = Callable[[Application, RT, AbstractBaseUser, str], object]


@dataclass(frozen=True)
class Correction:
    application: Application
    changed: dict[str, tuple[object, object]] = field(default_factory=dict)  # field: (old, new)
    note: str = ""
    replacement: Letter | None = None  # the new letter, when the case already had one


def _clean_value(case: Application, name: str, value) -> object:
    """The value as it would be stored, re-validated as at intake; WorkflowError if invalid."""
    if name not in CORRECTABLE_FIELDS:
        raise WorkflowError(f"Data “{name}” tidak dapat dikoreksi di sini.")
    if name == "variant":
        return _clean_variant(case, value)
    if name == "rt":
        rt = (
            RT.objects.select_related("rw")
            .filter(pk=getattr(value, "pk", value), rw__office_id=case.office_id)
            .first()
        )
        if rt is None:
            raise WorkflowError("RT yang dipilih bukan bagian dari kelurahan ini.")
        return rt
    text = str(value or "").strip()
    try:
        if name == "nik":
            return validate_nik(text)
        if name == "kk_number":
            return validate_kk_number(text) if text else ""
        if name == "phone":
            return normalize_phone(text)
        if name == "email" and text:
            validate_email(text)
    except ValidationError as exc:
        raise WorkflowError(" ".join(exc.messages)) from exc
    if name == "delivery" and text != case.delivery:
        # A choice already on the case stands (the admin may have changed the service since).
        _check_delivery(case.service, text)
    if name in REQUIRED_TEXT and not text:
        raise WorkflowError(f"{REQUIRED_TEXT[name]} tidak boleh kosong.")
    if len(text) > MAX_TEXT.get(name, 254):
        raise WorkflowError(
            f"{CORRECTABLE_FIELDS[name]} terlalu panjang (paling banyak "
            f"{MAX_TEXT.get(name, 254)} karakter)."
        )
    return text


def _extra_changes(case: Application, answers: Mapping[str, object]) -> dict | None:
    """The service's data fields (SITU: nama usaha) with the answers corrected, re-validated
    as at intake; None when nothing differs."""
    merged = {**(case.extra or {}), **answers}
    try:
        extra = clean_extra(case.service, merged)
    except ValidationError as exc:
        raise WorkflowError(" ".join(exc.messages)) from exc
    return extra if extra != (case.extra or {}) else None


def _clean_variant(case: Application, value) -> ServiceVariant | None:
    """Another variant of the case's own service; the requirements follow it, so only while
    the documents are still being checked (before the archive)."""
    variants = active_variants(case.service)
    if not variants:
        return None
    pk = getattr(value, "pk", value)
    variant = next((v for v in variants if str(v.pk) == str(pk)), None)
    if variant is None:
        raise WorkflowError(f"Pilih jenis permohonan {case.service.name} yang masih dibuka.")
    if variant.pk != case.variant_id and case.state not in EDITABLE_STATES:
        raise WorkflowError(
            "Jenis permohonan hanya dapat diganti sebelum permohonan diarsipkan, karena "
            "persyaratannya ikut berganti."
        )
    return variant


def _diff(case: Application, changes: Mapping[str, object]) -> dict[str, tuple[object, object]]:
    changes = dict(changes)
    answers = changes.pop("extra", None)
    wanted = {name: _clean_value(case, name, value) for name, value in changes.items()}
    delivery = wanted.get("delivery", case.delivery)
    if delivery in (Delivery.PICKUP, Delivery.ELECTRONIC):
        wanted["delivery_address"] = ""
    elif not wanted.get("delivery_address", case.delivery_address):
        raise WorkflowError("Tulis alamat pengiriman untuk kurir.")
    changed = {}
    for name, new in wanted.items():
        old = getattr(case, name)
        if _key(old) != _key(new):
            changed[name] = (old, new)
    if answers and (extra := _extra_changes(case, answers)) is not None:
        changed["extra"] = (case.extra or {}, extra)
    return changed


def _key(value) -> object:
    """What a value is compared by: a row (RT, variant) by its key, anything else as it is."""
    return getattr(value, "pk", value)


def _shown(name: str, value) -> str:
    """A value for the history: NIK and KK masked, the RT as 001/002, choices by label."""
    if name in ("nik", "kk_number"):
        return mask_nik(value) if value else "—"
    if name == "rt":
        return f"{value.number:03}/{value.rw.number:03}"
    if name == "delivery":
        return Delivery(value).label
    if name == "variant":
        return value.name if value else "—"
    return str(value) if value else "—"


def _extra_parts(service, old: dict, new: dict) -> list[str]:
    labels = {f.code: f.label for f in service.data_fields.all()}
    return [
        f"{labels.get(code, code)}: {old.get(code) or '—'} → {new.get(code) or '—'}"
        for code in [*labels, *sorted((set(old) | set(new)) - set(labels))]
        if old.get(code) != new.get(code)
    ]


def correction_note(changed: dict[str, tuple[object, object]], reason: str, service=None) -> str:
    parts = [
        f"{CORRECTABLE_FIELDS[name]}: {_shown(name, old)} → {_shown(name, new)}"
        for name, (old, new) in changed.items()
        if name != "extra"
    ]
    if "extra" in changed:
        parts += _extra_parts(service, *changed["extra"])
    # An officer may paste a NIK into the reason; the history never holds one in full.
    reason = SIXTEEN_DIGITS.sub(lambda m: mask_nik(m.group(0)), reason)
    ending = "" if reason.endswith((".", "!", "?")) else "."
    return "; ".join(parts) + f". Alasan: {reason}{ending}"


@transaction.atomic
def application_correct(
    *,
    application: Application,
    by: AbstractBaseUser,
    changes: Mapping[str, object],
    reason: str,
    expected_version: datetime | None = None,
    on_rt_change: RtChangeHandler | None = None,
) -> Correction:
    """Correct the applicant's data (a typo in the name or NIK, the wrong RT), with a reason.

    ``changes`` maps field names of ``CORRECTABLE_FIELDS`` to new values, and ``extra`` to
    corrected answers of the service's data fields; each is validated as at intake and only
    those that differ are written, in one "correct" event listing old → new (NIK and KK
    masked). ``expected_version`` is the ``updated_at`` the officer's
    page showed: a case changed since then is refused. On an issued or completed case the
    valid letter carries the old data, so it is revoked and replaced in the same step. An
    RT change while the case waits on its RT needs ``on_rt_change`` (verification's
    re-routing; use ``verification.workflow.application_correct``).
    """
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("Tulis alasan koreksi, mis. “salah ketik nama saat pencatatan”.")
    case = _fresh(application)
    _check_office(case, by)
    if not by.has_perm("services.correct_application"):
        raise WorkflowPermissionDenied("Anda tidak berwenang mengoreksi data pemohon.")
    if expected_version is not None and case.updated_at != expected_version:
        raise WorkflowError(CHANGED_UNDER_YOU)
    if case.state not in CORRECTABLE_STATES:
        hint = " Lurah/Sekretaris dapat membukanya kembali." if case.state == S.REJECTED else ""
        raise WorkflowError(_not_now(case, "dikoreksi datanya") + hint)
    changed = _diff(case, changes)
    if not changed:
        raise WorkflowError("Tidak ada data yang berubah. Ubah isian yang salah, lalu simpan.")
    if "rt" in changed and case.state in RT_FIXED_STATES:
        raise WorkflowError(
            "RT tidak dapat dikoreksi setelah Ketua RT memverifikasi permohonan. Batalkan "
            "permohonan ini dan catat permohonan baru untuk RT yang benar."
        )
    rerouting = "rt" in changed and case.state == S.IN_VERIFICATION
    if rerouting and on_rt_change is None:
        raise WorkflowError("Permohonan sedang diverifikasi RT: koreksi RT lewat halaman kasus.")
    if "nik" in changed:
        existing = (
            Application.objects.filter(
                office=case.office, nik=changed["nik"][1], service=case.service
            )
            .filter(state__in=OPEN_STATES)
            .exclude(pk=case.pk)
            .only("code", "office")
            .first()
        )
        if existing and case.is_open:
            raise WorkflowError(duplicate_message(existing, by))
    letter = current_letter(case) if case.state in (S.ISSUED, S.COMPLETED) else None
    if letter is not None and not by.has_perm("services.issue_application"):
        raise WorkflowPermissionDenied("Anda tidak berwenang menerbitkan surat pengganti.")
    old_rt = case.rt
    for name, (_old, new) in changed.items():
        setattr(case, name, new)
    try:
        with transaction.atomic():
            case.save(update_fields=[*changed, "updated_at"])
            if "rt" in changed:  # the breaches count under the case's RT (charts per RT)
                SlaBreach.objects.filter(application=case).update(rt=case.rt)
    except ConcurrentTransition as exc:
        raise WorkflowError(CHANGED_UNDER_YOU) from exc
    except IntegrityError as exc:  # another case took this NIK a moment ago
        existing = open_application_for(office=case.office, nik=case.nik, service=case.service)
        raise WorkflowError(duplicate_message(existing, by)) from exc
    note = correction_note(changed, reason, case.service)
    if followed := follow_contact_correction(
        case,
        phone=changed["phone"][1] if "phone" in changed else None,
        email=changed["email"][1] if "email" in changed else None,
    ):
        note += f" {followed}"
    replacement = None
    if letter is not None:
        replacement = _replace_letter(case, letter, by, f"Diganti karena koreksi data: {reason}")
        note += f" Surat {letter.number} diganti {replacement.number}."
    _record(case, by, "correct", case.state, note)
    if rerouting:
        on_rt_change(case, old_rt, by, reason)
    sync(application, case)
    return Correction(application=case, changed=changed, note=note, replacement=replacement)


@transaction.atomic
def application_reopen(
    *, application: Application, by: AbstractBaseUser, reason: str
) -> Application:
    """A supervisor takes back an RT rejection: the case is archived again, day 1 from now.

    The clock restarts as on resubmit (today is day 1, already met by the archive; the RT
    has until the close of day 2, the letter day 3). ``verification.workflow`` sends the
    new RT request in the same transaction.
    """
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("Tulis alasan membuka kembali permohonan ini.")
    within_limit(reason, limits.REASON_MAX, "Alasan membuka kembali")

    def restart_clock(case: Application) -> str:
        _restart_clock(case)
        return reason

    try:
        with transaction.atomic():
            case = application_transition(
                application, by, "reopen", "dibuka kembali", reason, restart_clock
            )
    except IntegrityError as exc:  # a new open case for this NIK and service exists
        existing = open_application_for(
            office=application.office, nik=application.nik, service=application.service
        )
        raise WorkflowError(duplicate_message(existing, by)) from exc
    message_resident(case, "reopen", alasan=reason)
    return sync(application, case)


# --- the office calendar changed --------------------------------------------------------------
# States in which a milestone is still awaited with the clock running (incomplete: stopped,
# and resubmit recomputes anyway; issued: every milestone reached).
CLOCK_RUNNING = [S.RECEIVED, S.ARCHIVED, S.IN_VERIFICATION, S.VERIFIED]
DEADLINE_FIELDS = (
    ("archive_due", "archived_at", "Hari 1"),
    ("verify_due", "verified_at", "Hari 2"),
    ("issue_due", "issued_at", "Hari 3"),
)
SHORT_MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]
UPDATE_BATCH = 500


def short_date(value) -> str:
    """24 Des 2026 (a date, or a datetime in local time)."""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return f"{value.day} {SHORT_MONTHS[value.month - 1]} {value.year}"


@transaction.atomic
def deadlines_recompute(*, office, reason: str, by: AbstractBaseUser | None = None) -> int:
    """The office's closed days changed: move the open cases' deadlines to match.

    Each case is recomputed from the start of its running clock (``sla_started_at``, or
    ``received_at``); a milestone already reached keeps its deadline, so nothing met on time
    turns late (and a deadline moved into the past is recorded as breached at once). Rows are
    locked while read (PostgreSQL), updated in one UPDATE per distinct
    set of new deadlines, and each changed case gets one "adjust_deadlines" event. Running it
    again changes nothing. Returns the number of cases changed.
    """
    calendar = WorkingCalendar(office)
    by_start_day: dict = {}
    rows = (
        Application.objects.select_for_update()
        .filter(office=office, is_open=True, state__in=CLOCK_RUNNING)
        .annotate(clock_start=Coalesce("sla_started_at", "received_at"))
        .values_list(
            "pk",
            "state",
            "clock_start",
            *(f for f, _, _ in DEADLINE_FIELDS),
            *(r for _, r, _ in DEADLINE_FIELDS),
        )
        .order_by("pk")
    )
    groups: dict[tuple, list[int]] = {}
    events: list[ApplicationEvent] = []
    for pk, state, start, *values in rows.iterator(chunk_size=2000):
        old, reached = values[:3], values[3:]
        day = calendar.start_day(start)
        if day not in by_start_day:
            by_start_day[day] = calendar.deadlines(start)
        new = tuple(o if r else n for o, n, r in zip(old, by_start_day[day], reached, strict=True))
        if tuple(old) == new:
            continue
        groups.setdefault(new, []).append(pk)
        moves = [
            f"{label}: {short_date(o) if o else '—'} → {short_date(n)}"
            for (_, _, label), o, n in zip(DEADLINE_FIELDS, old, new, strict=True)
            if o != n
        ]
        events.append(
            ApplicationEvent(
                application_id=pk,
                by=by,
                transition="adjust_deadlines",
                source=state,
                target=state,
                note=f"{reason[:1].upper()}{reason[1:]}. " + "; ".join(moves) + ".",
            )
        )
    for new, pks in groups.items():
        for i in range(0, len(pks), UPDATE_BATCH):
            Application.objects.filter(pk__in=pks[i : i + UPDATE_BATCH]).update(
                **dict(zip((f for f, _, _ in DEADLINE_FIELDS), new, strict=True)),
                updated_at=timezone.now(),
            )
    ApplicationEvent.objects.bulk_create(events, batch_size=UPDATE_BATCH)
    # A deadline moved behind the sweep's position is a breach the sweep would never see.
    record_moved_breaches([event.application_id for event in events])
    return len(events)


# --- the resident's outbox --------------------------------------------------------------------
# Rows the officer's WhatsApp click may mark sent (ResidentMessage.click_to_chat, as a filter).
CLICK_TO_CHAT = Q(state=MessageState.PENDING, channel=MessageChannel.WHATSAPP) | Q(
    state=MessageState.FAILED, channel=MessageChannel.GATEWAY
)


@transaction.atomic
def resident_message_mark_sent(
    *, message: ResidentMessage, by: AbstractBaseUser
) -> ResidentMessage:
    """The officer opened the WhatsApp chat with the message typed: record who and when.

    For a click-to-chat message, or a gateway message the gateway gave up on (failed: the
    officer's fallback). Once only (a conditional UPDATE): a double click, or two officers at
    once, mark it and log it one time; the second call changes nothing and returns the
    message as stored.
    """
    if not by.is_superuser and (
        (office := office_for(by)) is None or office.pk != message.office_id
    ):
        raise WorkflowPermissionDenied("Pesan ini bukan milik kantor Anda.")
    if not by.has_perm("services.receive_application"):
        raise WorkflowPermissionDenied("Anda tidak berwenang mengirim pesan ke pemohon.")
    if message.channel == MessageChannel.EMAIL:
        raise WorkflowError("Pesan email dikirim otomatis, bukan lewat WhatsApp petugas.")
    if message.state == MessageState.DROPPED:
        raise WorkflowError("Pesan ini tidak dikirim: kontak pemohon sudah dikoreksi.")
    if message.channel == MessageChannel.GATEWAY and message.state == MessageState.PENDING:
        raise WorkflowError(
            "Pesan ini sedang dikirim otomatis lewat gateway. Bila gagal, tombol WhatsApp "
            "muncul di sini."
        )
    marked = (
        ResidentMessage.objects.filter(pk=message.pk)
        .filter(CLICK_TO_CHAT)
        .update(state=MessageState.SENT, sent_at=timezone.now(), sent_by=by, next_attempt_at=None)
    )
    message.refresh_from_db()
    if marked and message.application_id is not None:
        case = Application.objects.only("state").get(pk=message.application_id)
        ApplicationEvent.objects.create(
            application_id=message.application_id,
            by=by,
            transition="message_sent",
            source=case.state,
            target=case.state,
            note=f"“{message.step_label}” ke WhatsApp {message.recipient}",
        )
    elif marked and message.complaint_id is not None:
        complaint = Complaint.objects.only("state").get(pk=message.complaint_id)
        ComplaintEvent.objects.create(
            complaint_id=message.complaint_id,
            by=by,
            transition="message_sent",
            source=complaint.state,
            target=complaint.state,
            note=f"“{message.step_label}” ke WhatsApp {message.recipient}",
        )
    return message
