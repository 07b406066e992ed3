"""The write side of applications: every step a case takes, each in one transaction.

Views, admin actions and jobs call these functions and nothing else to change a case. Each
checks the acting user's office and permission, runs the FSM transition defined on
``Application`` (the single definition of which step is allowed from where), saves with
optimistic locking and writes one ``ApplicationEvent`` in the same transaction. A step that
is not allowed raises ``WorkflowError`` with a message for the officer, and changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from kelurahan.access import office_for, rt_for
from kelurahan.numbering import next_number
from services.letters import new_output_letter
from services.models import (
    OPEN_STATES,
    Application,
    ApplicationEvent,
    Attachment,
    Delivery,
    Letter,
    LetterKind,
    Requirement,
    RequirementKind,
    Verdict,
)
from services.models import ApplicationState as S
from services.sla import deadlines
from services.tasks import enqueue_after_commit
from services.uploads import CleanFile


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
    go to the transition method.
    """
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


def open_application_for(*, office, nik: str, service) -> Application | None:
    return (
        Application.objects.filter(office=office, nik=nik, service=service, state__in=OPEN_STATES)
        .only("code")
        .first()
    )


def duplicate_message(existing: Application) -> str:
    return (
        f"Sudah ada permohonan terbuka untuk NIK dan layanan ini: {existing.code}. "
        "Lanjutkan permohonan itu, jangan membuat yang baru."
    )


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
) -> Application:
    """Record a new application with the documents that came with it (day 1 starts)."""
    _check_may_receive(office, data, by)
    if not service.active:
        raise WorkflowError(f"Layanan {service.name} sedang tidak dibuka.")
    if not office.rws.filter(rts__pk=data.rt_id).exists():
        raise WorkflowError("RT yang dipilih bukan bagian dari kelurahan ini.")
    stored: list[str] = []
    try:
        with transaction.atomic():
            existing = open_application_for(office=office, nik=data.nik, service=service)
            if existing:
                raise WorkflowError(duplicate_message(existing))
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
                assisted_by_user=assisted_by_user,
                **asdict(data),
            )
            try:
                with transaction.atomic():
                    application.save()
            except IntegrityError as exc:
                # Two officers (or a double click) racing past the check above.
                existing = open_application_for(office=office, nik=data.nik, service=service)
                raise WorkflowError(
                    duplicate_message(existing) if existing else CHANGED_UNDER_YOU
                ) from exc
            _record(application, by, "receive", "")
            for requirement, clean_files in files.items():
                for clean in clean_files:
                    attachment = _store_attachment(application, requirement, clean, by)
                    stored.extend(_paths(attachment))
            return application
    except BaseException:
        _delete_files(stored)
        raise


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
        attachment.refresh_from_db()
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
    return _set_verdict(attachment, by, Verdict.REJECTED, reason)


# --- what is still missing --------------------------------------------------------------------
@dataclass(frozen=True)
class RequirementStatus:
    requirement: Requirement
    attachments: list[Attachment]
    satisfied: bool
    waived_by_rt: bool  # the RT chair's approval in the portal will stand in for it
    problem: str  # empty when satisfied


def requirement_statuses(application: Application) -> list[RequirementStatus]:
    """Each requirement of the service with its files and whether it is met."""
    attachments = getattr(application, "prefetched_attachments", None)
    if attachments is None:
        attachments = list(application.attachments.all())
    statuses = []
    for requirement in application.service.requirements.all():
        mine = [a for a in attachments if a.requirement_id == requirement.pk]
        accepted = any(a.verdict == Verdict.ACCEPTED for a in mine)
        pending = any(a.verdict == Verdict.PENDING for a in mine)
        waivable = (
            requirement.kind == RequirementKind.RT_COVER_LETTER
            and application.service.rt_approval_replaces_cover_letter
        )
        given_in_portal = waivable and application.rt_cover_letter_at is not None
        if accepted or not requirement.required or given_in_portal or (waivable and not mine):
            problem = ""
        elif pending:
            problem = f"{requirement.label}: belum diperiksa"
        elif mine:
            reasons = "; ".join(a.verdict_reason for a in mine if a.verdict == Verdict.REJECTED)
            problem = f"{requirement.label}: ditolak ({reasons})"
        else:
            problem = f"{requirement.label}: belum ada"
        statuses.append(
            RequirementStatus(
                requirement=requirement,
                attachments=mine,
                satisfied=not problem,
                waived_by_rt=waivable and not accepted and (not mine or given_in_portal),
                problem=problem,
            )
        )
    return statuses


def missing_requirements(application: Application) -> list[str]:
    return [s.problem for s in requirement_statuses(application) if s.problem]


# --- transitions ------------------------------------------------------------------------------
@transaction.atomic
def application_archive(
    *, application: Application, by: AbstractBaseUser, note: str = ""
) -> Application:
    """Day 1 done: every required document is there and accepted (or the RT will stand in)."""

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
    enqueue_after_commit("services.tasks.render_bundle_task", case.pk)
    return sync(application, case)


@transaction.atomic
def application_mark_incomplete(
    *, application: Application, by: AbstractBaseUser, note: str = ""
) -> Application:
    """Ask the applicant for what is missing or rejected; the note lists it for them."""

    def what_is_missing(case: Application) -> str:
        missing = [m for m in missing_requirements(case) if not m.endswith("belum diperiksa")]
        if not missing:
            raise WorkflowError(
                "Tidak ada persyaratan yang kurang atau ditolak. Tolak berkas yang salah dulu, "
                "dengan alasannya."
            )
        text = "Kurang: " + "; ".join(missing) + "."
        return text + (f" Catatan: {note.strip()}" if note.strip() else "")

    return sync(
        application,
        application_transition(
            application, by, "mark_incomplete", "ditandai belum lengkap", "", what_is_missing
        ),
    )


@transaction.atomic
def application_resubmit(
    *, application: Application, by: AbstractBaseUser, note: str = ""
) -> Application:
    """The applicant sent what was missing: back to received, and day 1 starts again."""

    def restart_clock(case: Application) -> str:
        case.archive_due, case.verify_due, case.issue_due = deadlines(case.office, timezone.now())
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
    return sync(
        application, application_transition(application, by, "cancel", "dibatalkan", reason)
    )


# --- letters ----------------------------------------------------------------------------------
@transaction.atomic
def application_issue(*, application: Application, by: AbstractBaseUser) -> Letter:
    """Day 3: number the output letter in this transaction; its PDF renders after commit."""
    letters: list[Letter] = []

    def number_it(case: Application) -> str:
        letters.append(new_output_letter(case, by))
        return f"Nomor {letters[0].number}"

    case = application_transition(application, by, "issue", "diterbitkan", "", number_it)
    enqueue_after_commit("services.tasks.render_letter_task", letters[0].pk)
    sync(application, case)
    return letters[0]


def current_letter(application: Application) -> Letter | None:
    return (
        application.letters.filter(kind=LetterKind.OUTPUT, revoked_at__isnull=True)
        .order_by("-issued_at", "-id")
        .first()
    )


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

    def record(case: Application) -> str:
        letter = current_letter(case)
        if letter is None or not letter.is_rendered:
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
    return sync(application, case)


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
    if not Letter.objects.filter(pk=letter.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=f"Diganti: {reason}", revoked_by=by
    ):
        raise WorkflowError(f"Surat {letter.number} sudah dicabut sebelumnya.")
    new = new_output_letter(application, by, replaces=letter)
    note = f"{letter.number} → {new.number}: {reason}"
    _record(application, by, "reissue", application.state, note)
    enqueue_after_commit("services.tasks.render_letter_task", new.pk)
    return new
