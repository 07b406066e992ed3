"""The write side of RT verification: send a case to its RT, and the RT chair's decisions.

Each function is atomic, moves the application through ``services.workflow``'s one
transition runner (which writes the application's event) and records the request's decision
in the same transaction. Not allowed → ``WorkflowError`` with an Indonesian message.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from kelurahan.access import rt_for
from kelurahan.models import RT, Role
from services import workflow as services_workflow
from services.letters.numbering import new_rt_cover_letter
from services.letters.renders import queue_letter_render
from services.models import Application, Notification, RequirementKind, Verdict
from services.notifications import notify, staff_by_office
from services.notifications.residents import message_resident
from services.workflow import (
    CHANGED_UNDER_YOU,
    Correction,
    WorkflowError,
    WorkflowPermissionDenied,
    application_archive,
    application_transition,
    lock_case,
    sync,
    within_field,
)
from verification.models import NeighbourAttestation, RequestState, VerificationRequest

ALREADY_DECIDED = "Permintaan ini sudah diputuskan sebelumnya; keputusan tidak diubah."


@transaction.atomic
def application_send_to_rt(
    *,
    application: Application,
    by: AbstractBaseUser,
    note: str = "",
    needs_neighbours: bool = False,
    neighbour_reason: str = "",
) -> VerificationRequest:
    """Day 2 starts: ask the applicant's Ketua RT to confirm the case."""
    rt = application.rt
    _check_has_chair(rt)
    neighbour_reason = within_field(
        VerificationRequest, "neighbour_reason", neighbour_reason.strip()
    )
    if needs_neighbours and not neighbour_reason:
        raise WorkflowError("Tulis alasan mengapa perlu kesaksian tetangga.")
    case = application_transition(application, by, "send_to_rt", "dikirim ke RT", note.strip())
    try:
        with transaction.atomic():
            request = VerificationRequest.objects.create(
                application=case,
                rt=rt,
                officer_note=note.strip(),
                needs_neighbours=needs_neighbours,
                neighbour_reason=neighbour_reason if needs_neighbours else "",
                created_by=by,
                created_at=case.sent_to_rt_at,
            )
    except IntegrityError as exc:
        raise WorkflowError(CHANGED_UNDER_YOU) from exc
    _notify_chair(request, case, "Permintaan verifikasi baru")
    sync(application, case)
    return request


def _check_has_chair(rt: RT) -> None:
    if rt.chair_id is None:
        raise WorkflowError(
            f"{rt} belum punya Ketua RT di portal, jadi permintaan verifikasi tidak bisa "
            "dikirim. Minta admin menghubungkan Ketua RT-nya, atau hubungi RT langsung."
        )


def _notify_chair(request: VerificationRequest, case: Application, what: str) -> None:
    notify(
        [
            Notification(
                recipient_id=request.rt.chair_id,
                key=f"rt_request:{request.pk}",
                kind="rt_request",
                application=case,
                message=f"{what}: {case.applicant_name} ({case.code}), {case.service.name}."[:300],
                url=reverse("verification:request", args=[request.uuid]),
            )
        ]
    )


@transaction.atomic
def application_archive_and_send_to_rt(
    *,
    application: Application,
    by: AbstractBaseUser,
    note: str = "",
    needs_neighbours: bool = False,
    neighbour_reason: str = "",
) -> VerificationRequest:
    """Archive and send in one click; still two steps (two SLA milestones, two events)."""
    application_archive(application=application, by=by)
    return application_send_to_rt(
        application=application,
        by=by,
        note=note,
        needs_neighbours=needs_neighbours,
        neighbour_reason=neighbour_reason,
    )


def _check_chair(request: VerificationRequest, by: AbstractBaseUser) -> None:
    chair_rt = rt_for(by)
    if chair_rt is None or chair_rt.pk != request.rt_id:
        raise WorkflowPermissionDenied("Permintaan ini bukan untuk RT Anda.")


def _decide(
    request: VerificationRequest,
    by: AbstractBaseUser,
    state: str,
    transition: str,
    verb: str,
    note: str,
    **transition_kwargs,
) -> VerificationRequest:
    """Record one decision: exactly one of two concurrent decisions gets through."""
    _check_chair(request, by)
    within_field(VerificationRequest, "note", note)
    # The case first, then the request: the order an officer's RT correction takes too.
    lock_case(request.application)
    now = timezone.now()
    claimed = VerificationRequest.objects.filter(pk=request.pk, state=RequestState.PENDING).update(
        state=state,
        decided_by=by,
        decided_at=now,
        note=note,
        gave_cover_letter=bool(transition_kwargs.get("cover_letter_by")),
    )
    if not claimed:
        raise WorkflowError(ALREADY_DECIDED)
    case = application_transition(
        request.application, by, transition, verb, note, **transition_kwargs
    )
    request.refresh_from_db()
    _notify_office(request, case, by)
    return request


DECISION_TEXT = {
    RequestState.APPROVED: "menyetujui",
    RequestState.REJECTED: "menolak",
    RequestState.RETURNED: "mengembalikan",
}


def _notify_office(request: VerificationRequest, case: Application, by: AbstractBaseUser) -> None:
    """The office's officers (and whoever sent it, e.g. a supervisor) hear the RT's decision."""
    recipients = set(staff_by_office([case.office_id])[case.office_id][Role.OFFICER])
    recipients.add(request.created_by_id)
    recipients.discard(by.pk)
    text = f"Ketua {request.rt} {DECISION_TEXT[request.state]} {case.code} ({case.applicant_name})"
    text += f": {request.note}" if request.note else "."
    notify(
        Notification(
            recipient_id=user_id,
            key=f"rt_decision:{request.pk}",
            kind="rt_decision",
            application=case,
            message=text[:300],
            url=case.get_absolute_url(),
        )
        for user_id in sorted(recipients)
    )


def _needs_cover_letter(application: Application) -> bool:
    """Does the RT chair's approval have to stand in for the cover letter?"""
    if not application.service.rt_approval_replaces_cover_letter:
        return False
    return not application.attachments.filter(
        requirement__kind=RequirementKind.RT_COVER_LETTER, verdict=Verdict.ACCEPTED
    ).exists()


@transaction.atomic
def verification_approve(
    *, request: VerificationRequest, by: AbstractBaseUser, note: str = ""
) -> VerificationRequest:
    """The RT chair confirms: the applicant lives here and the documents are genuine."""
    if request.needs_neighbours and not request.attestations.exists():
        raise WorkflowError(
            "Permintaan ini perlu kesaksian tetangga. Catat minimal satu kesaksian dulu, "
            "lalu setujui."
        )
    cover_letter_by = by if _needs_cover_letter(request.application) else None
    decided = _decide(
        request,
        by,
        RequestState.APPROVED,
        "approve",
        "disetujui",
        note.strip(),
        cover_letter_by=cover_letter_by,
    )
    if cover_letter_by is not None:
        letter = new_rt_cover_letter(decided.application, by)
        queue_letter_render(letter)
    message_resident(decided.application, "approve")
    return decided


def _reason(note: str, what: str) -> str:
    note = (note or "").strip()
    if not note:
        raise WorkflowError(f"Tulis alasannya: {what}")
    return note


@transaction.atomic
def verification_reject(
    *, request: VerificationRequest, by: AbstractBaseUser, note: str
) -> VerificationRequest:
    """The RT chair refuses (e.g. the person does not live here); the case closes."""
    reason = _reason(note, "mengapa permohonan ditolak.")
    decided = _decide(request, by, RequestState.REJECTED, "reject", "ditolak", reason)
    message_resident(decided.application, "reject", alasan=reason)
    return decided


@transaction.atomic
def verification_return(
    *, request: VerificationRequest, by: AbstractBaseUser, note: str
) -> VerificationRequest:
    """A document is wrong: the case goes back to the applicant as incomplete."""
    reason = _reason(note, "berkas mana yang salah dan apa yang harus diperbaiki.")
    decided = _decide(
        request, by, RequestState.RETURNED, "return_to_applicant", "dikembalikan", reason
    )
    message_resident(decided.application, "return_to_applicant", alasan=reason)
    return decided


@transaction.atomic
def attestation_add(
    *,
    request: VerificationRequest,
    by: AbstractBaseUser,
    name: str,
    address: str,
    relation: str,
    statement: str,
) -> NeighbourAttestation:
    """Record a neighbour's statement while the request is pending."""
    _check_chair(request, by)
    for field, value in (
        ("name", name),
        ("address", address),
        ("relation", relation),
        ("statement", statement),
    ):
        within_field(NeighbourAttestation, field, value.strip())
    if not VerificationRequest.objects.filter(pk=request.pk, state=RequestState.PENDING).exists():
        raise WorkflowError(ALREADY_DECIDED)
    attestation = NeighbourAttestation.objects.create(
        request=request,
        name=name.strip(),
        address=address.strip(),
        relation=relation.strip(),
        statement=statement.strip(),
        recorded_by=by,
    )
    application = request.application
    application.events.create(
        by=by,
        transition="neighbour_attestation",
        source=application.state,
        target=application.state,
        note=f"{attestation.name} ({attestation.relation}), {attestation.address}",
    )
    return attestation


# --- corrections and reopening ------------------------------------------------------------------
def _reroute(
    case: Application, old_rt: RT, by: AbstractBaseUser, reason: str
) -> VerificationRequest:
    """The RT was corrected while the old RT's chair had the case: close that request
    (state ``rerouted``; its chair no longer sees it) and send a new one to the right RT."""
    rt = case.rt
    _check_has_chair(rt)
    now = timezone.now()
    old = VerificationRequest.objects.filter(application=case, state=RequestState.PENDING).first()
    if old is not None:
        closed = VerificationRequest.objects.filter(pk=old.pk, state=RequestState.PENDING).update(
            state=RequestState.REROUTED,
            decided_by=by,
            decided_at=now,
            note=f"Dialihkan ke {rt}: {reason}",
        )
        if not closed:
            raise WorkflowError(ALREADY_DECIDED)
    try:
        with transaction.atomic():
            request = VerificationRequest.objects.create(
                application=case,
                rt=rt,
                officer_note=old.officer_note if old else "",
                needs_neighbours=old.needs_neighbours if old else False,
                neighbour_reason=old.neighbour_reason if old else "",
                created_by=by,
                created_at=now,
            )
    except IntegrityError as exc:
        raise WorkflowError(CHANGED_UNDER_YOU) from exc
    case.events.create(
        by=by,
        transition="reroute",
        source=case.state,
        target=case.state,
        note=f"Dari {old_rt} ke {rt}.",
    )
    _notify_chair(request, case, "Permintaan verifikasi (dialihkan dari RT lain)")
    return request


@transaction.atomic
def application_correct(
    *,
    application: Application,
    by: AbstractBaseUser,
    changes: Mapping[str, object],
    reason: str,
    expected_version: datetime | None = None,
) -> Correction:
    """``services.workflow.application_correct``, re-routing a pending RT request when the
    RT changes. The one the case page calls."""
    return services_workflow.application_correct(
        application=application,
        by=by,
        changes=changes,
        reason=reason,
        expected_version=expected_version,
        on_rt_change=_reroute,
    )


@transaction.atomic
def application_reopen_and_send_to_rt(
    *,
    application: Application,
    by: AbstractBaseUser,
    reason: str,
    rt: RT | None = None,
    note: str = "",
) -> VerificationRequest:
    """A supervisor reopens an RT rejection, optionally moves the case to the right RT
    ("pindah ke RT 002"), and sends it to that RT's chair; all or nothing."""
    services_workflow.application_reopen(application=application, by=by, reason=reason)
    if rt is not None and getattr(rt, "pk", rt) != application.rt_id:
        services_workflow.application_correct(
            application=application, by=by, changes={"rt": rt}, reason=reason
        )
    return application_send_to_rt(application=application, by=by, note=note)
